/*
 * The restore matrix (platform.md "restorer"; platform.md "Layer Restoration"; lifecycle internal/layer/metadata_restorer.go): which
 * layers of the previous image and of the cache come back, as metadata only or with contents.
 * Restored <layer>.toml files hold [metadata] only, never [types]: a buildpack opts in again.
 */
#include "restore.h"
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "lib/lifecycle/spec/group-plan-files.h"
#include "lib/lifecycle/spec/layers-inputs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct restore {
	const cnb__lifecycle_phase_inputs *in;
	const cnb_toml *previous; /* analyzed.toml [metadata], or NULL */
	const cnb_toml *cache;    /* cache.json as TOML, or NULL */
} restore;

typedef struct restore_bp {
	const char *id, *escaped_id;
	int dirfd; /* <layers>/<escaped id> */
} restore_bp;

static bool flag(const cnb_toml *layer, const char *key)
{
	bool v = false;
	return cnb__toml_bool(cnb__toml_get(layer, key), &v) && v;
}

/*
 * A layer's [metadata] in image or cache metadata: the reference analyzer's TOML names it
 * "metadata", the label's JSON (which our host converts key by key, docs/cache-protocol.md) "data".
 */
static const cnb_toml *layer_data(const cnb_toml *layer)
{
	const cnb_toml *m = cnb__toml_get(layer, "metadata");
	return m ? m : cnb__toml_get(layer, "data");
}

/* A layer name from image or cache metadata must name one file in <layers>/<bp> (buildpack.md "Layer Types"). */
static bool valid_layer_name(const cnb_toml *layers, size_t i, const char **out)
{
	size_t len = 0;
	const char *name = cnb__toml_key_at_n(layers, i, &len);
	*out = name;
	if (!name || !len || strlen(name) != len || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	/* <name>.toml must not become one of the buildpack's own files */
	return strcmp(name, "launch") && strcmp(name, "build") && strcmp(name, "store");
}

/* The i-th layer of `layers` and its name, or NULL (with a warning) when the name is unusable. */
static const cnb_toml *layer_at(restore *rs, restore_bp *bp, const cnb_toml *layers, size_t i, const char *source,
				const char **name)
{
	if (valid_layer_name(layers, i, name))
		return cnb__toml_at(layers, i);
	cnb__lifecycle_phase_log(rs->in, CNB_LOG_WARN, "buildpack %s: %s has a layer with an invalid name '%s': not restored",
		       bp->id, source, *name ? *name : "");
	return NULL;
}

static void remove_layer(restore_bp *bp, const char *layer)
{
	_cleanup_free_ char *toml = NULL;
	cnb__rm_rf_at(bp->dirfd, layer, NULL);
	if (asprintf(&toml, "%s.toml", layer) >= 0)
		unlinkat(bp->dirfd, toml, 0);
}

/* Writes <layers>/<bp>/<file> = [metadata] <metadata> (an empty table when absent). */
static int write_metadata_file(restore *rs, restore_bp *bp, const char *file, const cnb_toml *metadata,
			       cnb_error **err)
{
	cnb_toml *doc = cnb__toml_new_table();
	cnb_toml *md = metadata && cnb__toml_type(metadata) == CNB_TOML_TABLE ? cnb__toml_clone(metadata)
									   : cnb__toml_new_table();
	if (!doc || cnb__toml_set(doc, "metadata", md) < 0) {
		cnb__toml_free(doc);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	_cleanup_buf_ cnb__buf text = CNB_BUF_INIT;
	_cleanup_free_ char *path = NULL;
	int r = cnb__toml_write(doc, &text, err);
	cnb__toml_free(doc);
	if (r < 0)
		return cnb__error_prefix(err, "buildpack %s: %s", bp->id, file);
	if (asprintf(&path, "%s/%s/%s", rs->in->layers_dir, bp->escaped_id, file) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return cnb__write_file_atomic(path, text.data ? text.data : "", text.len, 0644, err);
}

static int write_layer_toml(restore *rs, restore_bp *bp, const char *layer, const cnb_toml *metadata,
			    cnb_error **err)
{
	_cleanup_free_ char *file = NULL;
	if (asprintf(&file, "%s.toml", layer) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return write_metadata_file(rs, bp, file, metadata, err);
}

/* Contents from the cache, then the metadata: both or neither (platform.md "Layer Restoration"). A bad cache only warns. */
static int restore_cached(restore *rs, restore_bp *bp, const char *layer, const cnb_toml *metadata,
			  const char *sha, cnb_error **err)
{
	cnb_error *cerr = NULL;
	if (cnb__lifecycle_restore_cache_extract(rs->in, bp->dirfd, bp->escaped_id, layer, sha ? sha : "", &cerr) < 0) {
		cnb__lifecycle_phase_log(rs->in, CNB_LOG_WARN, "not restoring cached layer \"%s:%s\": %s", bp->id, layer,
			       cnb_error_message(cerr));
		cnb_error_free(cerr);
		remove_layer(bp, layer);
		return 0;
	}
	cnb__lifecycle_phase_log(rs->in, CNB_LOG_INFO, "Restoring data for \"%s:%s\" from cache", bp->id, layer);
	int r = write_layer_toml(rs, bp, layer, metadata, err);
	if (r < 0)
		remove_layer(bp, layer);
	return r;
}

/* Layers of the previous image: launch-only ones as metadata, launch+cache ones from the cache. */
static int restore_image_layers(restore *rs, restore_bp *bp, const cnb_toml *image_layers,
				const cnb_toml *cache_layers, cnb_error **err)
{
	for (size_t i = 0; i < cnb__toml_len(image_layers); i++) {
		const char *name;
		const cnb_toml *l = layer_at(rs, bp, image_layers, i, "the previous image", &name);
		if (!l)
			continue;
		if (!flag(l, "launch"))
			continue;
		int r = 0;
		if (flag(l, "cache")) {
			const cnb_toml *cl = cnb__toml_get(cache_layers, name);
			const char *sha = cnb__toml_get_string(l, "sha"), *cache_sha = cnb__toml_get_string(cl, "sha");
			if (!cl || !flag(cl, "cache"))
				continue;
			if (!sha || !cache_sha || strcmp(sha, cache_sha)) {
				cnb__lifecycle_phase_log(rs->in, CNB_LOG_INFO, "Not restoring \"%s:%s\": the cache's sha differs from "
					       "the previous image's", bp->id, name);
				remove_layer(bp, name);
				continue;
			}
			r = restore_cached(rs, bp, name, layer_data(l), sha, err);
		} else if (!flag(l, "build")) {
			cnb__lifecycle_phase_log(rs->in, CNB_LOG_INFO, "Restoring metadata for \"%s:%s\" from app image", bp->id, name);
			r = write_layer_toml(rs, bp, name, layer_data(l), err);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Cache layers the previous image does not hold (cache-only; launch+cache from Platform 0.14). */
static int restore_cache_only_layers(restore *rs, restore_bp *bp, const cnb_toml *image_layers,
				     const cnb_toml *cache_layers, cnb_error **err)
{
	for (size_t i = 0; i < cnb__toml_len(cache_layers); i++) {
		const char *name;
		const cnb_toml *cl = layer_at(rs, bp, cache_layers, i, "the cache", &name);
		if (!cl)
			continue;
		if (!flag(cl, "cache") || flag(cnb__toml_get(image_layers, name), "launch"))
			continue;
		if (flag(cl, "launch") && !cnb__lifecycle_api_at_least(rs->in->platform_api, 0, 14))
			continue; /* before 0.14 a launch layer missing from the image was rebuilt */
		int r = restore_cached(rs, bp, name, layer_data(cl), cnb__toml_get_string(cl, "sha"), err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int restore_buildpack(restore *rs, restore_bp *bp, cnb_error **err)
{
	const cnb_toml *image_bp = cnb__lifecycle_layers_metadata_buildpack(rs->previous, bp->id);
	const cnb_toml *cache_bp = cnb__lifecycle_layers_metadata_buildpack(rs->cache, bp->id);
	if (!image_bp && !cache_bp)
		return 0;
	_cleanup_free_ char *dir = cnb__path_join(rs->in->layers_dir, bp->escaped_id);
	if (!dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", dir);
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s (buildpack %s)", dir, bp->id);
	bp->dirfd = fd;
	/* store.toml comes back even with nothing else (platform.md "restorer") */
	const cnb_toml *store = cnb__toml_get(cnb__toml_get(image_bp, "store"), "metadata");
	int r = store ? write_metadata_file(rs, bp, "store.toml", store, err) : 0;
	if (rs->in->skip_layers)
		return r;
	const cnb_toml *image_layers = cnb__toml_get(image_bp, "layers");
	const cnb_toml *cache_layers = cnb__toml_get(cache_bp, "layers");
	if (r >= 0)
		r = restore_image_layers(rs, bp, image_layers, cache_layers, err);
	if (r >= 0)
		r = restore_cache_only_layers(rs, bp, image_layers, cache_layers, err);
	if (r >= 0)
		r = cnb__lifecycle_restore_sbom_copy(rs->in, bp->escaped_id, bp->dirfd, err);
	return r;
}

static int restore_group(restore *rs, cnb_error **err)
{
	const char *path = rs->in->group_path;
	cnb__lifecycle_group_elem *elems = NULL;
	size_t n = 0;
	int r = cnb__lifecycle_group_file_read(path, &elems, &n, err);
	if (r < 0)
		return cnb__error_prefix(err, "%s (written by the detector)", path);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *escaped = NULL;
		if (r >= 0 && !cnb__lifecycle_bp_id_valid(elems[i].id))
			r = cnb__error_set(err, CNB_EPARSE, "%s: invalid buildpack id '%s'", path, elems[i].id);
		else if (r >= 0 && !(escaped = cnb__lifecycle_bp_escape_id(elems[i].id)))
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		else if (r >= 0) {
			restore_bp bp = { .id = elems[i].id, .escaped_id = escaped, .dirfd = -1 };
			r = restore_buildpack(rs, &bp, err);
		}
		cnb__lifecycle_group_elem_free(&elems[i]);
	}
	free(elems);
	return r;
}

int cnb__lifecycle_restore_phase(const cnb__lifecycle_phase_inputs *in, int *exit_code, cnb_error **err)
{
	*exit_code = CNB_LC_EXIT_RESTORE;
	cnb_toml *previous = NULL, *cache = NULL;
	int r = cnb__lifecycle_layers_analyzed_metadata_read(&previous, in->analyzed_path, err);
	if (r >= 0 && !in->skip_layers)
		r = cnb__lifecycle_restore_cache_read(in, &cache, err);
	if (r >= 0 && !in->skip_layers)
		r = cnb__lifecycle_restore_sbom_unpack(in, cache, err);
	if (r >= 0) {
		restore rs = { .in = in, .previous = previous, .cache = cache };
		r = restore_group(&rs, err);
	}
	if (r >= 0 && !in->skip_layers)
		r = cnb__lifecycle_restore_sbom_cleanup(in, err);
	cnb__toml_free(previous);
	cnb__toml_free(cache);
	if (r >= 0)
		*exit_code = CNB_LC_EXIT_OK;
	return r < 0 ? r : 0;
}
