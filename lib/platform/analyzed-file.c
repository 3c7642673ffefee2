/* analyzed.toml (Platform spec, analyzed.toml) written by the host. */
#include "analyzed-file.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/toml/toml-json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int set_string(cnb_toml *table, const char *key, const char *value)
{
	return cnb__toml_set(table, key, cnb__toml_new_string(value ? value : ""));
}

/*
 * [run-image.target] from the run image's config (lifecycle platform/target_data.go GetTargetMetadata,
 * platform/files/analyzed.go TargetMetadata): os, arch, arch-variant when set, distro when either
 * io.buildpacks.base.distro.* label is, id from io.buildpacks.base.id. Buildpacks get it as CNB_TARGET_*.
 */
static cnb_toml *run_target(const cnb__oci_image *run)
{
	const json_t *labels = json_object_get(json_object_get(run->config, "config"), "Labels");
	const char *id = json_string_value(json_object_get(labels, "io.buildpacks.base.id"));
	const char *variant = json_string_value(json_object_get(run->config, "variant"));
	const char *distro_name = json_string_value(json_object_get(labels, "io.buildpacks.base.distro.name"));
	const char *distro_version = json_string_value(json_object_get(labels, "io.buildpacks.base.distro.version"));
	cnb_toml *t = cnb__toml_new_table();
	bool ok = t && (!id || set_string(t, "id", id) == 0) &&
		  set_string(t, "os", json_string_value(json_object_get(run->config, "os"))) == 0 &&
		  set_string(t, "arch", json_string_value(json_object_get(run->config, "architecture"))) == 0 &&
		  (!variant || !*variant || set_string(t, "arch-variant", variant) == 0);
	if (ok && (distro_name || distro_version)) {
		cnb_toml *distro = cnb__toml_new_table();
		ok = distro && set_string(distro, "name", distro_name) == 0 &&
		     set_string(distro, "version", distro_version) == 0 && set_table(t, "distro", distro) == 0;
	}
	if (!ok) {
		cnb__toml_free(t);
		return NULL;
	}
	return t;
}

int cnb__platform_stage_previous_sbom(cnb_ctx *ctx, cnb__oci_image *previous, const char *job_cache, cnb_error **err)
{
	json_t *md = previous ? previous_metadata(previous) : NULL;
	const char *sha = json_string_value(json_object_get(json_object_get(md, "sbom"), "sha"));
	size_t i = 0;
	while (sha && previous && i < previous->n_layers && strcmp(previous->layers[i].diff_id, sha))
		i++;
	int r = 0;
	if (sha && previous && i < previous->n_layers) {
		_cleanup_free_ char *path = cnb__path_join(job_cache, "sbom-launch.tar");
		_cleanup_close_ int fd = path ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644) : -1;
		uint64_t size = 0;
		if (!path)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		else if (fd < 0)
			r = cnb__error_errno(err, CNB_EIO, errno, "create %s", path);
		if (r == 0)
			r = cnb__oci_image_fetch_layer(ctx, previous, i, err);
		if (r == 0)
			r = cnb__oci_layer_write_tar(ctx, &previous->layers[i], fd, &size, err);
		if (r < 0 && path)
			unlink(path);
	} else if (sha) {
		r = cnb__error_set(err, CNB_ENOTFOUND, "the previous image has no layer %s", sha);
	}
	json_decref(md);
	return r < 0 ? cnb__error_prefix(err, "SBOM layer of the previous image") : 0;
}

int cnb__platform_write_analyzed(const char *path, const cnb__oci_image *previous, const cnb__oci_image *run,
			const char *run_name, const cnb__platform_owner *owner, cnb_error **err)
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
	     cnb__toml_set(run_table, "image", cnb__toml_new_string(run_name)) == 0 &&
	     set_table(run_table, "target", run_target(run)) == 0 && set_table(root, "run-image", run_table) == 0;
	_cleanup_buf_ cnb__buf text = CNB_BUF_INIT;
	int r = ok ? cnb__toml_write(root, &text, err) : cnb__error_set(err, CNB_ENOMEM, "analyzed.toml: out of memory");
	cnb__toml_free(root);
	if (r == 0)
		r = cnb__write_file_atomic(path, text.data ? text.data : "", text.len, 0644, err);
	if (r == 0)
		r = cnb__platform_job_chown_file(path, owner, err);
	return r;
}
