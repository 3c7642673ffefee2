/* Pushing: blobs before the manifest, so a tag never names an image with missing blobs. */
#include "digest.h"
#include "docker-archive.h"
#include "fetcher.h"
#include "image.h"
#include "layout.h"
#include "location.h"
#include "manifest.h"
#include "parallel.h"
#include "registry.h"
#include "store.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct push_jobs {
	cnb_ctx *ctx;
	cnb__oci_image *img;
	cnb__oci_fetcher *fetcher;
	const cnb__oci_loc *dst;
	cnb__oci_registry *reg; /* registry destination */
	char *config_path;      /* the config blob in the store */
} push_jobs;

static bool in_store(const char *root, const char *path)
{
	size_t n = strlen(root);
	return !strncmp(path, root, n) && path[n] == '/';
}

/* Blobs outside our store (another OCI layout) were written by someone else: check before sending. */
static int verify_foreign(const push_jobs *j, const cnb__oci_layer *l, cnb_error **err)
{
	if (in_store(j->ctx->cache_dir, l->path))
		return 0;
	char got[CNB_OCI_DIGEST_SIZE];
	uint64_t size;
	if (cnb__oci_digest_file(l->path, got, &size, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	if (strcmp(got, l->digest) || size != l->size)
		return cnb__error_set(err, CNB_EDIGEST, "layer %s: %s does not match its digest (got %s)", l->digest, l->path, got);
	return 0;
}

/* A local file for the layer: its path, or fetched into `root`. *path is malloc'd. */
static int local_blob(const push_jobs *j, const cnb__oci_layer *l, const char *root, char **path, cnb_error **err)
{
	if (l->path) {
		if (verify_foreign(j, l, err) < 0)
			return cnb__error_code(err, CNB_EDIGEST);
		*path = strdup(l->path);
	} else {
		if (cnb__oci_fetcher_fetch(j->fetcher, l, root, err) < 0)
			return cnb__error_code(err, CNB_EREGISTRY);
		*path = cnb__oci_store_path(root, l->digest);
	}
	return *path ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

static int layout_job(size_t i, void *userdata, cnb_error **err)
{
	push_jobs *j = userdata;
	const cnb__oci_layer *l = &j->img->layers[i];
	const char *dir = j->dst->dir;
	if (cnb__oci_store_has(dir, l->digest, l->size))
		return 0;
	/* Remote layers go straight into the layout: no second copy in the cache. */
	_cleanup_free_ char *path = NULL;
	if (local_blob(j, l, dir, &path, err) < 0)
		return cnb__error_code(err, CNB_EREGISTRY);
	return cnb__oci_store_import(path, dir, l->digest, err);
}

static int push_layout(push_jobs *j, const char *const *extra_tags, cnb_error **err)
{
	cnb__oci_image *img = j->img;
	const char *dir = j->dst->dir;
	if (cnb__oci_parallel(img->n_layers, CNB_OCI_PARALLEL_DEFAULT, layout_job, j, err) < 0 ||
	    cnb__oci_store_put_bytes(dir, img->config_raw, img->config_len, NULL, err) < 0 ||
	    cnb__oci_store_put_bytes(dir, img->manifest_raw, img->manifest_len, NULL, err) < 0 ||
	    cnb__oci_layout_tag(dir, j->dst->tag, img->manifest_media_type, img->manifest_digest, img->manifest_len, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	for (const char *const *t = extra_tags; t && *t; t++)
		if (cnb__oci_layout_tag(dir, *t, img->manifest_media_type, img->manifest_digest, img->manifest_len, err) < 0)
			return cnb__error_code(err, CNB_EIO);
	return 0;
}

static int registry_job(size_t i, void *userdata, cnb_error **err)
{
	push_jobs *j = userdata;
	const char *repo = j->dst->ref.repository;
	cnb__oci_image *img = j->img;
	bool is_config = i == img->n_layers;
	const char *digest = is_config ? img->config_digest : img->layers[i].digest;
	uint64_t size = is_config ? img->config_len : img->layers[i].size;
	bool exists = false;
	if (cnb__oci_registry_blob_exists(j->reg, repo, digest, &exists, err) < 0)
		return cnb__error_code(err, CNB_EREGISTRY);
	if (exists)
		return 0;
	char label[40];
	snprintf(label, sizeof(label), "push %.19s", digest);
	if (is_config)
		return cnb__oci_registry_upload_blob(j->reg, repo, digest, size, j->config_path, label, err);
	const cnb__oci_layer *l = &img->layers[i];
	_cleanup_free_ char *src_registry = NULL;
	const char *src_repo = NULL;
	if (l->source && cnb__oci_source_split(l->source, &src_registry, &src_repo, err) < 0)
		return cnb__error_code(err, CNB_EINVAL);
	if (src_registry && !strcmp(src_registry, j->dst->ref.registry) && strcmp(src_repo, repo)) {
		bool mounted = false;
		if (cnb__oci_registry_mount_blob(j->reg, repo, digest, src_repo, &mounted, err) < 0)
			return cnb__error_code(err, CNB_EREGISTRY);
		if (mounted)
			return 0;
	}
	_cleanup_free_ char *path = NULL;
	if (local_blob(j, l, j->ctx->cache_dir, &path, err) < 0)
		return cnb__error_code(err, CNB_EREGISTRY);
	return cnb__oci_registry_upload_blob(j->reg, repo, digest, size, path, label, err);
}

static int push_registry(push_jobs *j, const char *const *extra_tags, cnb_error **err)
{
	cnb__oci_image *img = j->img;
	const cnb__oci_ref *ref = &j->dst->ref;
	if (cnb__oci_fetcher_registry(j->fetcher, ref->registry, &j->reg, err) < 0)
		return cnb__error_code(err, CNB_ENETWORK);
	if (cnb__oci_store_put_bytes(j->ctx->cache_dir, img->config_raw, img->config_len, NULL, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	if (!(j->config_path = cnb__oci_store_path(j->ctx->cache_dir, img->config_digest)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (cnb__oci_parallel(img->n_layers + 1, CNB_OCI_PARALLEL_DEFAULT, registry_job, j, err) < 0)
		return cnb__error_code(err, CNB_EREGISTRY);
	if (ref->digest && strcmp(ref->digest, img->manifest_digest))
		return cnb__error_set(err, CNB_EDIGEST, "destination names digest %s but the manifest is %s", ref->digest,
				      img->manifest_digest);
	const char *target = ref->tag ? ref->tag : img->manifest_digest;
	if (cnb__oci_registry_put_manifest(j->reg, ref->repository, target, img->manifest_media_type, img->manifest_raw,
					   img->manifest_len, err) < 0)
		return cnb__error_code(err, CNB_EREGISTRY);
	for (const char *const *t = extra_tags; t && *t; t++)
		if (cnb__oci_registry_put_manifest(j->reg, ref->repository, *t, img->manifest_media_type, img->manifest_raw,
						   img->manifest_len, err) < 0)
			return cnb__error_code(err, CNB_EREGISTRY);
	return 0;
}

/* Every extra tag is checked before anything is written: a bad one must not leave a partial publish. */
static int check_tags(const char *dst, const char *const *tags, bool layout, cnb_error **err)
{
	for (const char *const *t = tags; t && *t; t++)
		if (!cnb__oci_tag_valid(*t) || (layout && !cnb__oci_layout_ref_valid(*t)))
			return cnb__error_set(err, CNB_EINVAL, "push %s: tag '%s' is not valid ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})",
					      dst, *t);
	return 0;
}

int cnb__oci_image_push(cnb_ctx *ctx, cnb__oci_image *img, const char *dst, const char *const *extra_tags,
			char **out_digest, cnb_error **err)
{
	if (out_digest)
		*out_digest = NULL;
	if (check_tags(dst, extra_tags, !strncmp(dst, "oci:", 4), err) < 0)
		return CNB_EINVAL;
	/* A file, not a place blobs are pushed to: written in one piece, extra tags go into its RepoTags. */
	if (cnb__oci_docker_archive_is(dst))
		return cnb__oci_docker_archive_write(ctx, img, dst, extra_tags, out_digest, err);
	_cleanup_oci_loc_ cnb__oci_loc loc;
	if (cnb__oci_loc_parse(&loc, dst, err) < 0 || cnb__oci_image_serialize(img, err) < 0)
		return cnb__error_prefix(err, "push %s", dst);
	_cleanup_free_ char *name = cnb__oci_loc_string(&loc);
	cnb__oci_fetcher f;
	cnb__oci_fetcher_init(&f, ctx);
	push_jobs j = { .ctx = ctx, .img = img, .fetcher = &f, .dst = &loc };
	int rc = loc.kind == CNB__OCI_LOC_LAYOUT ? push_layout(&j, extra_tags, err) : push_registry(&j, extra_tags, err);
	free(j.config_path);
	cnb__oci_fetcher_clear(&f);
	if (rc < 0)
		return cnb__error_prefix(err, "push %s", name ? name : dst);
	cnb__api_log(ctx, CNB_LOG_DEBUG, "pushed %s: %s", name ? name : dst, img->manifest_digest);
	if (out_digest && !(*out_digest = strdup(img->manifest_digest)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

int cnb__oci_image_copy(cnb_ctx *ctx, const char *src, const char *dst, const char *platform, char **out_digest,
			cnb_error **err)
{
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	/* Manifest and config only: the push fetches each blob where it is needed (or mounts it). */
	if (cnb__oci_image_pull_config(ctx, src, platform, &img, err) < 0)
		return cnb__error_code(err, CNB_EREGISTRY);
	return cnb__oci_image_push(ctx, img, dst, NULL, out_digest, err);
}
