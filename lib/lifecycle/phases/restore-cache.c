/*
 * The restorer's side of the cache (docs/cache-protocol.md): cache.json and the layer tars under
 * the cache dir. The host named each tar by the diffID it computed when it committed the cache;
 * the guest does not hash again (hashing is host work: lib/README.md) and trusts those names.
 */
#include "restore.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-reader.h"
#include "lib/toml/toml-json.h"
#include "lib/lifecycle/spec/layers-inputs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_CACHE_JSON (16u * 1024 * 1024)

int cnb__lifecycle_restore_cache_read(const cnb__lifecycle_phase_inputs *in, cnb_toml **out, cnb_error **err)
{
	*out = NULL;
	_cleanup_free_ char *path = cnb__path_join(in->cache_dir, "cache.json");
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	cnb_error *rerr = NULL;
	if (cnb__read_file(path, MAX_CACHE_JSON, &text, &len, &rerr) < 0) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			cnb__lifecycle_phase_log(in, CNB_LOG_DEBUG, "no cache (%s missing)", path);
		else
			cnb__lifecycle_phase_log(in, CNB_LOG_WARN, "ignoring the cache: %s", cnb_error_message(rerr));
		cnb_error_free(rerr);
		return 0;
	}
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(doc) || (json_object_get(doc, "buildpacks") && !json_is_array(json_object_get(doc, "buildpacks")))) {
		cnb__lifecycle_phase_log(in, CNB_LOG_WARN, "ignoring the cache: %s: %s", path,
			       doc ? "not an object with a \"buildpacks\" array" : jerr.text);
		json_decref(doc);
		return 0;
	}
	*out = cnb__toml_from_json(doc);
	json_decref(doc);
	return *out ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory (or %s nested too deeply)", path);
}

static int extract(const cnb__lifecycle_phase_inputs *in, int bp_dirfd, const char *escaped_id, const char *layer,
		   const char *sha, cnb_error **err)
{
	if (!cnb__lifecycle_layers_diff_id_valid(sha))
		return cnb__error_set(err, CNB_EPARSE, "cache sha '%s' is not a diffID", sha);
	_cleanup_free_ char *name = NULL, *prefix = NULL;
	if (asprintf(&name, "%s/%s.tar", in->cache_dir, sha + 7) < 0 ||
	    asprintf(&prefix, "%s/%s/%s/", in->layers_dir, escaped_id, layer) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_close_ int tar = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (tar < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", name);
	int r = cnb__rm_rf_at(bp_dirfd, layer, err);
	if (r < 0)
		return r;
	if (mkdirat(bp_dirfd, layer, 0755) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", prefix);
	_cleanup_close_ int dest = openat(bp_dirfd, layer, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dest < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", prefix);
	r = cnb__tar_extract(tar, dest, prefix, NULL, err);
	return r < 0 ? cnb__error_prefix(err, "%s", name) : 0;
}

int cnb__lifecycle_restore_cache_extract(const cnb__lifecycle_phase_inputs *in, int bp_dirfd, const char *escaped_id,
			       const char *layer, const char *sha, cnb_error **err)
{
	int r = extract(in, bp_dirfd, escaped_id, layer, sha, err);
	if (r < 0)
		cnb__rm_rf_at(bp_dirfd, layer, NULL);
	return r;
}
