/* analyzed.toml (Platform spec, analyzed.toml) written by the host. */
#include "analyzed-file.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/toml/toml-json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *digest_ref(const cnb__oci_image *img, const char *fallback_name)
{
	char *out = NULL;
	const char *name = img->source ? img->source : fallback_name;
	return asprintf(&out, "%s@%s", name, img->manifest_digest ? img->manifest_digest : "") < 0 ? NULL : out;
}

/* The previous image's metadata label, parsed; NULL when absent or not an object. */
static json_t *previous_metadata(const cnb__oci_image *previous)
{
	const json_t *labels = json_object_get(json_object_get(previous->config, "config"), "Labels");
	const char *text = json_string_value(json_object_get(labels, "io.buildpacks.lifecycle.metadata"));
	json_t *md = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (md && !json_is_object(md)) {
		json_decref(md);
		md = NULL;
	}
	return md;
}

static int set_table(cnb_toml *root, const char *key, cnb_toml *table)
{
	return table ? cnb__toml_set(root, key, table) : -1;
}

int cnb__write_analyzed(const char *path, const cnb__oci_image *previous, const cnb__oci_image *run,
			const char *run_name, const cnb__owner *owner, cnb_error **err)
{
	cnb_toml *root = cnb__toml_new_table();
	_cleanup_free_ char *run_ref = digest_ref(run, run_name);
	bool ok = root && run_ref;
	if (ok && previous) {
		_cleanup_free_ char *prev_ref = digest_ref(previous, "");
		json_t *md = previous_metadata(previous);
		cnb_toml *image = cnb__toml_new_table();
		ok = prev_ref && image && cnb__toml_set(image, "reference", cnb__toml_new_string(prev_ref)) == 0 &&
		     set_table(root, "image", image) == 0 && (!md || set_table(root, "metadata", cnb__toml_from_json(md)) == 0);
		json_decref(md);
	}
	cnb_toml *run_table = ok ? cnb__toml_new_table() : NULL;
	ok = ok && run_table && cnb__toml_set(run_table, "reference", cnb__toml_new_string(run_ref)) == 0 &&
	     cnb__toml_set(run_table, "image", cnb__toml_new_string(run_name)) == 0 && set_table(root, "run-image", run_table) == 0;
	_cleanup_buf_ cnb__buf text = CNB_BUF_INIT;
	int r = ok ? cnb__toml_write(root, &text, err) : cnb__error_set(err, CNB_ENOMEM, "analyzed.toml: out of memory");
	cnb__toml_free(root);
	if (r == 0)
		r = cnb__write_file_atomic(path, text.data ? text.data : "", text.len, 0644, err);
	if (r == 0)
		r = cnb__job_chown_file(path, owner, err);
	return r;
}
