/*
 * Which buildpack layers go into the image and the cache, in which order, and which are reused
 * from the previous image (platform.md "exporter", "Caching"; buildpack.md "Reusing Layers"; lifecycle phase/exporter.go
 * addBuildpackLayers, lifecycle phase/cache.go). Reuse of a *rebuilt* layer with an unchanged diffID is
 * the host's decision: the guest does not hash.
 */
#include "export-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The previous image's sha of <bp>:<layer> (analyzed.toml [metadata]), or NULL. */
static const char *previous_sha(const cnb__lifecycle_export *ex, const char *bp_id, const char *layer)
{
	const cnb_toml *bp = cnb__lifecycle_layers_metadata_buildpack(ex->previous, bp_id);
	return cnb__toml_get_string(cnb__toml_get(cnb__toml_get(bp, "layers"), layer), "sha");
}

/*
 * The layer's entry in lifecycle_metadata: {"sha", "data", "build", "launch", "cache"}; "data" is null
 * without a [metadata] table, as the reference's `any` field marshals (lifecycle buildpack/layermetadata.go).
 */
static json_t *layer_data(const cnb__lifecycle_export_layer_md *md)
{
	return md->metadata ? cnb__toml_to_json(md->metadata) : json_null();
}

static json_t *layer_json(const cnb__lifecycle_export_layer_md *md, json_t *sha)
{
	json_t *data = layer_data(md);
	if (!sha || !data) {
		json_decref(sha);
		json_decref(data);
		return NULL;
	}
	return json_pack("{s o, s o, s b, s b, s b}", "sha", sha, "data", data, "build", md->build, "launch",
			 md->launch, "cache", md->cache);
}

/* Opens <layers>/<bp> without following a symlink; -1 with errno ENOENT when absent. */
static int open_bp_dir(const cnb__lifecycle_export *ex, const cnb__lifecycle_export_bp *bp)
{
	_cleanup_free_ char *path = cnb__path_join(ex->opts->layers_dir, bp->escaped_id);
	if (!path) {
		errno = ENOMEM;
		return -1;
	}
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Whether <layers>/<bp>/<name>/ exists; a symlink or a file there is refused. */
static int layer_dir_exists(int bpfd, const cnb__lifecycle_export_bp *bp, const char *name, bool *exists, cnb_error **err)
{
	struct stat st;
	*exists = false;
	if (bpfd < 0 || fstatat(bpfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (bpfd < 0 || errno == ENOENT)
			return 0;
		return cnb__error_errno(err, CNB_EIO, errno, "stat layer '%s' of buildpack %s", name, bp->id);
	}
	if (!S_ISDIR(st.st_mode))
		return cnb__error_set(err, CNB_EUNSAFE,
				      "layer '%s' of buildpack %s: <layers>/%s/%s is not a directory (a symlink or file); "
				      "the buildpack must create a directory there", name, bp->id, bp->escaped_id, name);
	*exists = true;
	return 0;
}

/* Tars the directory dirfd/name, recorded as `path`, into a new out/<kind>/NNN.tar; *file gets its name. */
static int tar_dir(cnb__lifecycle_export *ex, int dirfd, const char *name, const char *path, bool cache, char **file,
		   cnb_error **err)
{
	cnb__lifecycle_export_tar t;
	int r = cnb__lifecycle_export_tar_begin(ex, &t, cache, err);
	if (r >= 0)
		r = cnb__lifecycle_export_tar_add_dir_layer(&t, dirfd, name, path, ex->opts->uid, ex->opts->gid, err);
	if (r >= 0)
		r = cnb__lifecycle_export_tar_end(&t, err);
	if (r >= 0)
		*file = TAKE_PTR(t.file);
	cnb__lifecycle_export_tar_abort(&t);
	return r;
}

static int tar_layer_dir(cnb__lifecycle_export *ex, int bpfd, const cnb__lifecycle_export_bp *bp, const char *name, bool cache,
			 char **file, cnb_error **err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s/%s", ex->opts->layers_dir, bp->escaped_id, name) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = tar_dir(ex, bpfd, name, path, cache, file, err);
	return r < 0 ? cnb__error_prefix(err, "layer '%s' of buildpack %s", name, bp->id) : r;
}

static int export_launch_layer(cnb__lifecycle_export *ex, int bpfd, const cnb__lifecycle_export_bp *bp, const cnb__lifecycle_export_layer_md *md,
			       json_t *layers_md, cnb_error **err)
{
	bool exists;
	int r = layer_dir_exists(bpfd, bp, md->name, &exists, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *created_by = NULL, *id = NULL, *file = NULL;
	if (asprintf(&created_by, "Layer: '%s', Created by buildpack: %s@%s", md->name, bp->id, bp->version) < 0 ||
	    asprintf(&id, "%s:%s", bp->id, md->name) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	const char *reuse = NULL;
	if (exists) {
		if ((r = tar_layer_dir(ex, bpfd, bp, md->name, false, &file, err)) < 0)
			return r;
	} else if (md->cache) {
		return cnb__error_set(err, CNB_EEXPORT,
				      "layer '%s' is cache=true but has no contents: buildpack %s must create "
				      "<layers>/%s/%s or set [types] cache = false in %s.toml",
				      id, bp->id, bp->escaped_id, md->name, md->name);
	} else {
		/* launch-only reuse (buildpack.md "Reusing Layers"): the buildpack kept the previous image's layer */
		reuse = previous_sha(ex, bp->id, md->name);
		if (!reuse)
			return cnb__error_set(err, CNB_EEXPORT,
					      "cannot reuse '%s', previous image has no metadata for layer '%s': "
					      "buildpack %s must create <layers>/%s/%s or set [types] launch = false",
					      id, id, bp->id, bp->escaped_id, md->name);
		if (!cnb__lifecycle_layers_diff_id_valid(reuse))
			return cnb__error_set(err, CNB_EPARSE, "%s: previous image metadata has an invalid sha '%s' "
					      "for layer '%s'", ex->opts->analyzed_path, reuse, id);
	}
	if ((r = cnb__lifecycle_export_record_layer(ex, file, reuse, created_by, id, err)) < 0)
		return r;
	json_t *entry = layer_json(md, file ? cnb__lifecycle_export_file_ref(file) : json_string(reuse));
	if (!entry || json_object_set_new(layers_md, md->name, entry) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

int cnb__lifecycle_export_buildpack_layers(cnb__lifecycle_export *ex, cnb_error **err)
{
	json_t *bps_md = json_array();
	if (!bps_md || json_object_set_new(ex->lifecycle, "buildpacks", bps_md) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < ex->n_bps; i++) {
		const cnb__lifecycle_export_bp *bp = &ex->bps[i];
		_cleanup_close_ int bpfd = open_bp_dir(ex, bp);
		if (bpfd < 0 && errno != ENOENT)
			return cnb__error_errno(err, CNB_EIO, errno, "open <layers>/%s of buildpack %s", bp->escaped_id,
						bp->id);
		json_t *layers_md = json_object();
		json_t *bp_md = layers_md ? json_pack("{s s, s s, s o}", "key", bp->id, "version", bp->version, "layers",
						      layers_md) : NULL;
		if (!bp_md || json_array_append_new(bps_md, bp_md) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (bp->store) {
			json_t *store = cnb__toml_to_json(bp->store);
			if (!store || json_object_set_new(bp_md, "store", json_pack("{so}", "metadata", store)) < 0)
				return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
		/* layers are sorted by name, so "<id>:<name>" order within the buildpack (platform.md "exporter") */
		for (size_t j = 0; j < bp->n_layers; j++) {
			if (!bp->layers[j].launch)
				continue;
			int r = export_launch_layer(ex, bpfd, bp, &bp->layers[j], layers_md, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Tars <layers>/sbom/<kind> (an image or a cache tar); *file NULL when there is none. */
static int tar_sbom_dir(cnb__lifecycle_export *ex, const char *kind, bool cache, char **path, char **file, cnb_error **err)
{
	*file = NULL;
	if (asprintf(path, "%s/sbom/%s", ex->opts->layers_dir, kind) < 0) {
		*path = NULL;
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	struct stat st;
	if (lstat(*path, &st) < 0 && errno == ENOENT)
		return 0;
	int r = tar_dir(ex, AT_FDCWD, *path, *path, cache, file, err);
	return r < 0 ? cnb__error_prefix(err, "SBOM layer %s", *path) : r;
}

int cnb__lifecycle_export_sbom_layer(cnb__lifecycle_export *ex, cnb_error **err)
{
	_cleanup_free_ char *path = NULL, *file = NULL;
	int r = tar_sbom_dir(ex, "launch", false, &path, &file, err);
	if (r < 0 || !file)
		return r;
	if (r >= 0)
		r = cnb__lifecycle_export_record_layer(ex, file, NULL, "Software Bill-of-Materials",
					     "buildpacksio/lifecycle:launch.sbom", err);
	if (r >= 0 && json_object_set_new(ex->lifecycle, "sbom", cnb__lifecycle_export_sha_ref(file)) < 0)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return r < 0 ? cnb__error_prefix(err, "SBOM layer %s", path) : r;
}

/* <layers>/sbom/cache as the cache's SBOM layer (lifecycle phase/cache.go addSBOMCacheLayer). */
static int export_cache_sbom(cnb__lifecycle_export *ex, cnb_error **err)
{
	_cleanup_free_ char *path = NULL, *file = NULL;
	int r = tar_sbom_dir(ex, "cache", true, &path, &file, err);
	if (r < 0 || !file)
		return r;
	json_t *entry = json_pack("{s s, s s, s b}", "file", file, "id", "buildpacksio/lifecycle:cache.sbom", "sbom", 1);
	if (!entry || json_array_append_new(ex->cache, entry) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

/* The image layer already written for <bp>:<layer>, if any ("layers/NNN.tar"). */
static const char *image_file_of(const cnb__lifecycle_export *ex, const char *bp_id, const char *layer)
{
	size_t i;
	json_t *entry;
	size_t bp_len = strlen(bp_id);
	json_array_foreach(ex->layers, i, entry) {
		const char *id = json_string_value(json_object_get(entry, "id"));
		const char *file = json_string_value(json_object_get(entry, "file"));
		if (file && id && !strncmp(id, bp_id, bp_len) && id[bp_len] == ':' && !strcmp(id + bp_len + 1, layer))
			return file;
	}
	return NULL;
}

int cnb__lifecycle_export_cache_layers(cnb__lifecycle_export *ex, cnb_error **err)
{
	for (size_t i = 0; i < ex->n_bps; i++) {
		const cnb__lifecycle_export_bp *bp = &ex->bps[i];
		_cleanup_close_ int bpfd = open_bp_dir(ex, bp);
		for (size_t j = 0; j < bp->n_layers; j++) {
			const cnb__lifecycle_export_layer_md *md = &bp->layers[j];
			bool exists;
			if (!md->cache)
				continue;
			int r = layer_dir_exists(bpfd, bp, md->name, &exists, err);
			if (r < 0)
				return r;
			if (!exists) {
				/* lifecycle phase/cache.go: a warning, not a failed build */
				fprintf(stderr, "Warning: layer '%s:%s' is cache=true but has no contents; not cached\n",
					bp->id, md->name);
				continue;
			}
			/* a launch+cache layer is already in out/layers: the host caches that same tar */
			_cleanup_free_ char *file = NULL;
			const char *image_file = image_file_of(ex, bp->id, md->name);
			if (!image_file && (r = tar_layer_dir(ex, bpfd, bp, md->name, true, &file, err)) < 0)
				return r;
			json_t *data = layer_data(md);
			json_t *entry = data ? json_pack("{s s, s s, s s, s o, s b, s b, s b}", "file", image_file ? image_file : file,
						 "buildpack", bp->id, "layer", md->name, "data", data, "launch", md->launch,
						 "build", md->build, "cache", md->cache) : NULL;
			if (!entry || json_array_append_new(ex->cache, entry) < 0)
				return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
	}
	return export_cache_sbom(ex, err);
}
