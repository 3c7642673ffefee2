/* Layer metadata files written by buildpacks: [types], ignored layers (platform.md "builder"; buildpack.md "Layer Types"). */
#include "layer-metadata.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/dir-list.h"
#include "lib/toml/toml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cnb__lifecycle_layer_list_free(cnb__lifecycle_layer_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].path);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool is_layer_toml(int dirfd, const char *name, void *ud)
{
	size_t len = strlen(name);
	if (len <= 5 || strcmp(name + len - 5, ".toml"))
		return false;
	return strcmp(name, "launch.toml") && strcmp(name, "build.toml") && strcmp(name, "store.toml");
}

/* One layer: decode the types; 1 = kept, 0 = ignored (renamed), or an error. */
static int process_one(cnb__lifecycle_layer *layer, const char *dir, const char *file, const char *bp_ref, cnb_error **err)
{
	_cleanup_free_ char *path = cnb__path_join(dir, file);
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb_toml *doc = NULL;
	int rc = cnb__toml_parse_file(&doc, path, err);
	if (rc)
		return cnb__error_prefix(err, "buildpack %s: layer metadata", bp_ref);
	static const char *const keys[] = { "launch", "build", "cache" };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(keys); i++)
		if (cnb__toml_get(doc, keys[i])) {
			cnb__toml_free(doc);
			return cnb__error_set(err, CNB_EPARSE,
					      "buildpack %s: %s: `%s` is at the top level; it must be in the [types] "
					      "table ([types] %s = true)",
					      bp_ref, path, keys[i], keys[i]);
		}
	const cnb_toml *types = cnb__toml_get(doc, "types");
	cnb__toml_bool(cnb__toml_get(types, "launch"), &layer->launch);
	cnb__toml_bool(cnb__toml_get(types, "build"), &layer->build);
	cnb__toml_bool(cnb__toml_get(types, "cache"), &layer->cache);
	cnb__toml_free(doc);
	layer->name = strndup(file, strlen(file) - 5);
	layer->path = layer->name ? cnb__path_join(dir, layer->name) : NULL;
	if (!layer->path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (layer->launch || layer->build || layer->cache)
		return 1;
	/* All false: the layer stays on disk for this buildpack only (buildpack.md "Ignored Layers"). */
	_cleanup_free_ char *ignored = NULL;
	struct stat st;
	if (asprintf(&ignored, "%s.ignore", layer->path) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (lstat(layer->path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if ((rc = cnb__rm_rf(ignored, err)))
			return rc;
		if (rename(layer->path, ignored) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "buildpack %s: rename %s to %s", bp_ref,
						layer->path, ignored);
	}
	return 0;
}

int cnb__lifecycle_layer_metadata_process(cnb__lifecycle_layer_list *out, const char *bp_layers_dir, const char *bp_ref,
				cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	char **files = NULL;
	size_t n = 0;
	int rc = cnb__dir_list_sorted_path(bp_layers_dir, is_layer_toml, NULL, &files, &n, err);
	if (rc == 0 && n && !(out->v = calloc(n, sizeof(*out->v))))
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		cnb__lifecycle_layer layer = { 0 };
		int kept = process_one(&layer, bp_layers_dir, files[i], bp_ref, err);
		if (kept == 1) {
			out->v[out->n++] = layer;
			continue;
		}
		free(layer.name);
		free(layer.path);
		rc = kept < 0 ? kept : 0;
	}
	cnb__strv_free(files);
	if (rc)
		cnb__lifecycle_layer_list_free(out);
	return rc;
}
