/* Host build cache: stage in, commit atomically. */
#include "build-cache.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/export/export-assemble.h"
#include "lib/os/os.h"
#include "oci/digest.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_JSON "cache.json"

char *cnb__platform_build_cache_dir(const cnb_ctx *ctx, const char *explicit_dir, const char *image, const char *platform_key)
{
	char *out = NULL;
	if (explicit_dir)
		return platform_key ? cnb__path_join(explicit_dir, platform_key) : strdup(explicit_dir);
	char digest[CNB_OCI_DIGEST_SIZE];
	cnb__oci_digest_of(image, strlen(image), digest);
	return asprintf(&out, "%s/build-cache/%.32s%s%s", cnb_ctx_cache_dir(ctx), digest + 7, platform_key ? "-" : "",
			platform_key ? platform_key : "") < 0 ? NULL : out;
}

/*
 * A private copy of `src` (a reflink where the file system shares blocks, else bytes), owned by the
 * user running cnb, readable by everyone (the build user reads staged files in the guest, where host
 * modes show through for files without xattrs). Never a hard link: what the build hands back is
 * writable by the build user (and by root in the guest), and the committed cache must not change
 * through a link to it. With `sha`, the copy must hash to it, or it is removed and refused:
 * CNB_EUNSAFE with *mismatch set, the message in the reference's words (lifecycle cache/volume_cache.go).
 */
static int copy_verified(const char *src, const char *dst, const char *sha, bool *mismatch, cnb_error **err)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", src);
	if (!S_ISREG(st.st_mode))
		return cnb__error_set(err, CNB_EUNSAFE, "%s is not a regular file", src);
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", dst);
	if (cnb__os_clone_file(out, in) < 0) {
		char buf[1 << 16];
		ssize_t n;
		while ((n = read(in, buf, sizeof(buf))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 || cnb__write_all(out, buf, (size_t)n) < 0)
				return cnb__error_errno(err, CNB_EIO, errno, "copy %s to %s", src, dst);
		}
	}
	if (fchmod(out, 0644) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "chmod %s", dst);
	char got[CNB_OCI_DIGEST_SIZE];
	int r = sha ? cnb__oci_digest_file(dst, got, NULL, err) : 0;
	if (r == 0 && sha && strcmp(got, sha)) {
		unlink(dst);
		*mismatch = true;
		r = cnb__error_set(err, CNB_EUNSAFE, "expected layer contents to have SHA '%s'; found '%s' (%s was changed "
				   "after it was written)", sha, got, src);
	}
	return r;
}

static void json_unref(json_t **j)
{
	json_decref(*j);
}

/* "<bp>:<layer>" of the cache layer with diffID `sha` in cache metadata, or "" (for messages). */
static const char *layer_id_of(const json_t *meta, const char *sha, char *buf, size_t size)
{
	size_t i;
	const json_t *bp;
	json_array_foreach(json_object_get(meta, "buildpacks"), i, bp) {
		const char *name;
		const json_t *layer;
		json_object_foreach((json_t *)json_object_get(bp, "layers"), name, layer)
			if (!strcmp(json_string_value(json_object_get(layer, "sha")) ?: "", sha)) {
				snprintf(buf, size, "%s:%s", json_string_value(json_object_get(bp, "key")) ?: "", name);
				return buf;
			}
	}
	snprintf(buf, size, "%s", sha);
	return buf;
}

int cnb__platform_build_cache_stage_in(cnb_ctx *ctx, const char *cache_dir, const char *job_cache, cnb__platform_cache_stats *stats,
			      cnb_error **err)
{
	_cleanup_free_ char *committed = cnb__path_join(cache_dir, "committed");
	_cleanup_free_ char *meta_path = committed ? cnb__path_join(committed, CACHE_JSON) : NULL;
	if (!meta_path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (access(meta_path, F_OK) < 0)
		return 0; /* first build, or a cleared cache */
	_cleanup_(json_unref) json_t *meta = json_load_file(meta_path, JSON_REJECT_DUPLICATES, NULL);
	_cleanup_closedir_ DIR *d = opendir(committed);
	if (!d)
		return cnb__error_errno(err, CNB_EIO, errno, "read cache %s", committed);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		bool tar = len == 64 + 4 && !strcmp(de->d_name + 64, ".tar");
		if (!tar && strcmp(de->d_name, CACHE_JSON))
			continue;
		_cleanup_free_ char *src = cnb__path_join(committed, de->d_name);
		_cleanup_free_ char *dst = cnb__path_join(job_cache, de->d_name);
		if (!src || !dst)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		char sha[CNB_OCI_DIGEST_SIZE];
		snprintf(sha, sizeof(sha), "sha256:%.64s", de->d_name);
		bool mismatch = false;
		cnb_error *copy_err = NULL;
		int r = copy_verified(src, dst, tar ? sha : NULL, &mismatch, &copy_err);
		if (r < 0 && mismatch) {
			/* a corrupt layer is left out, never handed to the build; its next commit rewrites it */
			char id[512];
			cnb__api_log(ctx, CNB_LOG_WARN, "Skipping restore for layer %s: %s", layer_id_of(meta, sha, id, sizeof(id)),
				 cnb_error_message(copy_err));
			cnb_error_free(copy_err);
			continue;
		}
		if (r < 0) {
			cnb__error_pass(err, copy_err, r);
			return cnb__error_prefix(err, "build cache (rebuild with --clear-cache to drop it)");
		}
		stats->restored += tar;
	}
	return 0;
}

static int write_json(const char *path, json_t *doc, cnb_error **err)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = cnb__write_file_atomic(path, text, strlen(text), 0644, err);
	free(text);
	return r;
}

/* Adds one cache layer to the cache metadata {"buildpacks":[{"key","version","layers":{...}}]}. */
static int add_to_metadata(json_t *buildpacks, const json_t *entry, const char *sha, const json_t *versions)
{
	const char *key = json_string_value(json_object_get(entry, "buildpack"));
	const char *layer = json_string_value(json_object_get(entry, "layer"));
	if (!key || !layer)
		return -1;
	json_t *bp = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(buildpacks, i, v) if (!strcmp(json_string_value(json_object_get(v, "key")) ?: "", key)) bp = v;
	if (!bp) {
		const char *version = json_string_value(json_object_get(versions, key));
		bp = json_pack("{s:s, s:s, s:{}}", "key", key, "version", version ? version : "", "layers");
		json_array_append_new(buildpacks, bp);
	}
	json_t *data = json_object_get(entry, "data");
	json_t *info = json_pack("{s:s, s:o, s:b, s:b, s:b}", "sha", sha, "data", data ? json_incref(data) : json_object(),
				 "build", json_is_true(json_object_get(entry, "build")), "launch",
				 json_is_true(json_object_get(entry, "launch")), "cache", 1);
	return json_object_set_new(json_object_get(bp, "layers"), layer, info);
}

/* Buildpack versions by id, from the export's lifecycle metadata. */
static json_t *buildpack_versions(const json_t *desc)
{
	json_t *out = json_object();
	size_t i;
	json_t *bp;
	json_array_foreach(json_object_get(json_object_get(desc, "lifecycle_metadata"), "buildpacks"), i, bp) {
		const char *key = json_string_value(json_object_get(bp, "key"));
		if (key)
			json_object_set(out, key, json_object_get(bp, "version"));
	}
	return out;
}

void cnb__platform_cache_plan_free(cnb__platform_cache_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->layers[i].path);
		free(p->layers[i].id);
	}
	free(p->layers);
	json_decref(p->metadata);
	memset(p, 0, sizeof(*p));
}

int cnb__platform_cache_plan_read(const char *out_dir, cnb__platform_cache_plan *plan, cnb_error **err)
{
	memset(plan, 0, sizeof(*plan));
	_cleanup_free_ char *json_path = cnb__path_join(out_dir, "export.json");
	_cleanup_free_ char *text = NULL;
	int r = json_path ? cnb__read_file(json_path, CNB_EXPORT_JSON_MAX, &text, NULL, err)
			  : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	json_t *desc = r == 0 ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (r == 0 && !desc)
		r = cnb__error_set(err, CNB_EEXPORT, "export.json: not JSON");
	const json_t *list = json_object_get(desc, "cache");
	json_t *versions = buildpack_versions(desc);
	plan->metadata = json_pack("{s:[]}", "buildpacks");
	plan->layers = calloc(json_array_size(list) + 1, sizeof(*plan->layers));
	if (r == 0 && (!versions || !plan->metadata || !plan->layers))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < json_array_size(list); i++) {
		const json_t *entry = json_array_get(list, i);
		const char *file = json_string_value(json_object_get(entry, "file"));
		cnb__platform_cache_layer *l = &plan->layers[plan->n];
		uint64_t size;
		if (!file)
			r = cnb__error_set(err, CNB_EEXPORT, "export.json: cache entry %zu has no file", i);
		else if ((r = cnb__export_guest_file(out_dir, file, &l->path, &size, err)) == 0)
			plan->n++;
		if (r == 0)
			r = cnb__oci_digest_file(l->path, l->sha, NULL, err);
		bool sbom = json_is_true(json_object_get(entry, "sbom"));
		if (r == 0 && (sbom ? !(l->id = strdup("buildpacksio/lifecycle:cache.sbom"))
				    : asprintf(&l->id, "%s:%s", json_string_value(json_object_get(entry, "buildpack")) ?: "",
					       json_string_value(json_object_get(entry, "layer")) ?: "") < 0)) {
			l->id = NULL;
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
		/* the SBOM cache layer: "sbom": {"sha"} in the cache metadata (platform.md "Caching") */
		if (r == 0 && sbom && json_object_set_new(plan->metadata, "sbom", json_pack("{s:s}", "sha", l->sha)) < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (r == 0 && !sbom &&
		    add_to_metadata(json_object_get(plan->metadata, "buildpacks"), entry, l->sha, versions) < 0)
			r = cnb__error_set(err, CNB_EEXPORT, "export.json: cache entry %zu needs buildpack and layer", i);
	}
	json_decref(versions);
	json_decref(desc);
	if (r < 0)
		cnb__platform_cache_plan_free(plan);
	return r;
}

/*
 * An unchanged layer is kept from the committed cache once it is checked; a committed copy that no
 * longer hashes to its name is replaced by the build's (lifecycle phase/cache.go addOrReuseCacheLayer).
 */
static int fill_staging(cnb_ctx *ctx, const char *staging, const cnb__platform_cache_plan *plan, const char *committed,
			cnb__platform_cache_stats *stats, cnb_error **err)
{
	for (size_t i = 0; i < plan->n; i++) {
		const cnb__platform_cache_layer *l = &plan->layers[i];
		_cleanup_free_ char *name = NULL, *dst = NULL, *old = NULL;
		if (asprintf(&name, "%s.tar", l->sha + 7) < 0 || !(dst = cnb__path_join(staging, name)) ||
		    !(old = cnb__path_join(committed, name)))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (access(dst, F_OK) == 0) { /* a launch+cache tar named twice */
			stats->committed++;
			continue;
		}
		bool unchanged = access(old, F_OK) == 0, mismatch = false;
		cnb_error *old_err = NULL;
		if (unchanged && copy_verified(old, dst, l->sha, &mismatch, &old_err) < 0) {
			if (!mismatch)
				return cnb__error_pass(err, old_err, cnb_error_code_of(old_err));
			cnb__api_log(ctx, CNB_LOG_WARN, "Skipping reuse for layer %s: %s", l->id, cnb_error_message(old_err));
			cnb_error_free(old_err);
			unchanged = false;
		}
		cnb__api_log(ctx, CNB_LOG_INFO, "%s cache layer '%s'", unchanged ? "Reusing" : "Adding", l->id);
		int r = unchanged ? 0 : copy_verified(l->path, dst, l->sha, &mismatch, err);
		if (r < 0)
			return r;
		stats->committed++;
		stats->kept += unchanged;
	}
	_cleanup_free_ char *meta_path = cnb__path_join(staging, CACHE_JSON);
	return meta_path ? write_json(meta_path, plan->metadata, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

int cnb__platform_build_cache_commit(cnb_ctx *ctx, const char *cache_dir, const char *out_dir, cnb__platform_cache_stats *stats,
			    cnb_error **err)
{
	_cleanup_free_ char *committed = cnb__path_join(cache_dir, "committed");
	_cleanup_free_ char *staging = cnb__path_join(cache_dir, "staging");
	_cleanup_free_ char *old = cnb__path_join(cache_dir, "committed-old");
	if (!committed || !staging || !old)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__platform_cache_plan plan;
	int r = cnb__platform_cache_plan_read(out_dir, &plan, err);
	/* Leftovers of an interrupted commit go first; the committed cache stays until the swap. */
	if (r == 0 && ((r = cnb__rm_rf(staging, err)) < 0 || (r = cnb__rm_rf(old, err)) < 0 ||
		       (r = cnb__mkdir_p(staging, 0755, err)) < 0))
		r = cnb__error_code(err, CNB_EIO);
	if (r == 0)
		r = fill_staging(ctx, staging, &plan, committed, stats, err);
	bool moved_aside = false;
	if (r == 0 && rename(committed, old) == 0)
		moved_aside = true;
	else if (r == 0 && errno != ENOENT)
		r = cnb__error_errno(err, CNB_EIO, errno, "replace the cache in %s", cache_dir);
	if (r == 0 && rename(staging, committed) < 0) {
		r = cnb__error_errno(err, CNB_EIO, errno, "commit the cache in %s", cache_dir);
		if (moved_aside)
			rename(old, committed); /* the previous cache stays in force */
	}
	if (r == 0)
		cnb__rm_rf(old, NULL);
	else
		cnb__rm_rf(staging, NULL);
	cnb__platform_cache_plan_free(&plan);
	return r < 0 ? cnb__error_prefix(err, "build cache") : 0;
}
