/* Pulling: location → manifest (an index narrowed to one platform) → config → layer blobs in the store. */
#include "digest.h"
#include "fetcher.h"
#include "image.h"
#include "layout.h"
#include "location.h"
#include "manifest.h"
#include "parallel.h"
#include "pull-memo.h"
#include "registry.h"
#include "store.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <cnb/build.h>

#include <stdlib.h>
#include <string.h>

static int pull_registry(cnb__oci_fetcher *f, const cnb__oci_ref *ref, const cnb__oci_platform *want,
			 cnb__oci_image **out, cnb_error **err)
{
	cnb__oci_registry *reg;
	if (cnb__oci_fetcher_registry(f, ref->registry, &reg, err) < 0)
		return cnb__error_code(err, CNB_ENETWORK);
	_cleanup_free_ char *data = NULL, *media_type = NULL, *config = NULL, *index_digest = NULL;
	size_t len = 0, config_len = 0;
	char digest[CNB_OCI_DIGEST_SIZE];
	if (cnb__oci_registry_get_manifest(reg, ref->repository, cnb__oci_ref_selector(ref), &data, &len, &media_type,
					   digest, err) < 0)
		return cnb__error_code(err, CNB_EREGISTRY);
	json_t *root = json_loadb(data, len, 0, NULL);
	bool is_index = cnb__oci_media_type_is_index(cnb__oci_doc_media_type(root, media_type));
	json_decref(root);
	if (is_index) {
		cnb__oci_desc chosen;
		if (cnb__oci_index_select(&chosen, data, len, want, err) < 0)
			return cnb__error_code(err, CNB_EPARSE);
		index_digest = strdup(digest);
		free(data), data = NULL;
		free(media_type), media_type = NULL;
		int rc = cnb__oci_registry_get_manifest(reg, ref->repository, chosen.digest, &data, &len, &media_type, digest, err);
		cnb__oci_desc_clear(&chosen);
		if (rc < 0)
			return rc;
	}
	cnb__oci_manifest m;
	if (cnb__oci_manifest_parse(&m, data, len, media_type, err) < 0)
		return cnb__error_prefix(err, "manifest");
	int rc = cnb__oci_registry_get_blob(reg, ref->repository, m.config.digest, CNB_OCI_MANIFEST_MAX, &config, &config_len, err);
	if (rc < 0)
		cnb__error_prefix(err, "config");
	else
		rc = cnb__oci_image_from_bytes(out, data, len, m.media_type, config, config_len, err);
	cnb__oci_manifest_clear(&m);
	if (rc < 0)
		return rc;
	cnb__oci_image *img = *out;
	img->index_digest = TAKE_PTR(index_digest);
	if (asprintf(&img->source, "%s/%s", ref->registry, ref->repository) < 0) {
		img->source = NULL;
		cnb__oci_image_free(img);
		*out = NULL;
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < img->n_layers; i++)
		if (!(img->layers[i].source = strdup(img->source))) {
			cnb__oci_image_free(img);
			*out = NULL;
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
	return 0;
}

typedef struct layer_jobs {
	cnb__oci_fetcher *fetcher;
	cnb__oci_image *img;
	const char *root;
	bool verify_local;
} layer_jobs;

static int layer_job(size_t i, void *userdata, cnb_error **err)
{
	layer_jobs *j = userdata;
	cnb__oci_layer *l = &j->img->layers[i];
	if (l->path) {
		if (!j->verify_local)
			return 0;
		char got[CNB_OCI_DIGEST_SIZE];
		uint64_t size;
		if (cnb__oci_digest_file(l->path, got, &size, err) < 0)
			return cnb__error_prefix(err, "layer %s", l->digest);
		if (strcmp(got, l->digest) || size != l->size)
			return cnb__error_set(err, CNB_EDIGEST, "layer %s: %s does not match its digest (got %s, %llu bytes)",
					      l->digest, l->path, got, (unsigned long long)size);
		return 0;
	}
	if (cnb__oci_fetcher_fetch(j->fetcher, l, j->root, err) < 0)
		return cnb__error_code(err, CNB_EREGISTRY);
	l->path = cnb__oci_store_path(j->root, l->digest);
	return l->path ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

static int fetch_layers(cnb__oci_fetcher *f, cnb__oci_image *img, bool verify_local, cnb_error **err)
{
	layer_jobs j = { .fetcher = f, .img = img, .root = f->ctx->cache_dir, .verify_local = verify_local };
	for (size_t i = 0; i < img->n_layers; i++) {
		cnb__oci_layer *l = &img->layers[i];
		if (!l->path && cnb__oci_store_has(j.root, l->digest, l->size) && !(l->path = cnb__oci_store_path(j.root, l->digest)))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return cnb__oci_parallel(img->n_layers, CNB_OCI_PARALLEL_DEFAULT, layer_job, &j, err);
}

/* The layers not in the store yet get their store path when they are there. */
static void find_local_layers(cnb_ctx *ctx, cnb__oci_image *img)
{
	for (size_t i = 0; i < img->n_layers; i++) {
		cnb__oci_layer *l = &img->layers[i];
		if (!l->path && cnb__oci_store_has(ctx->cache_dir, l->digest, l->size))
			l->path = cnb__oci_store_path(ctx->cache_dir, l->digest);
	}
}

static const cnb__oci_layer *first_missing_layer(const cnb__oci_image *img)
{
	for (size_t i = 0; i < img->n_layers; i++)
		if (!img->layers[i].path)
			return &img->layers[i];
	return NULL;
}

/* Pull policies other than always: what an earlier pull left in the store. Returns 1 when *out is
 * usable, 0 when the registry must be asked (if-not-present), or an error (never). */
static int pull_from_store(cnb_ctx *ctx, const cnb__oci_ref *ref, const cnb__oci_platform *want, bool with_layers,
			   int32_t policy, cnb__oci_image **out, cnb_error **err)
{
	cnb_error *merr = NULL;
	int r = cnb__oci_pull_memo_get(ctx->cache_dir, ref, want, out, &merr);
	if (r == 0) {
		find_local_layers(ctx, *out);
		const cnb__oci_layer *missing = with_layers ? first_missing_layer(*out) : NULL;
		if (!missing) {
			cnb_error_free(merr);
			return 1;
		}
		r = cnb__error_set(&merr, CNB_ENOTFOUND, "layer %s is not in the local store", missing->digest);
		cnb__oci_image_free(*out);
		*out = NULL;
	}
	if (policy != CNB_PULL_NEVER) {
		cnb_error_free(merr);
		return 0;
	}
	int code = cnb_error_code_of(merr);
	cnb__error_pass(err, merr, code);
	return cnb__error_prefix(err, "pull policy never (pull it once with the registry reachable, or use another policy)");
}

static int pull(cnb_ctx *ctx, const char *src, const char *platform, bool with_layers, int32_t policy,
		cnb__oci_image **out, cnb_error **err)
{
	*out = NULL;
	_cleanup_oci_loc_ cnb__oci_loc loc;
	cnb__oci_platform want;
	if (cnb__oci_loc_parse(&loc, src, err) < 0 || cnb__oci_platform_parse(&want, platform, err) < 0)
		return cnb__error_prefix(err, "pull %s", src);
	_cleanup_free_ char *name = cnb__oci_loc_string(&loc);
	cnb__oci_fetcher f;
	cnb__oci_fetcher_init(&f, ctx);
	int rc = 0, stored = 0;
	if (loc.kind == CNB__OCI_LOC_LAYOUT)
		rc = cnb__oci_layout_read(loc.dir, loc.tag, &want, out, err);
	else if (policy != CNB_PULL_ALWAYS && (stored = rc = pull_from_store(ctx, &loc.ref, &want, with_layers, policy, out, err)) != 0)
		rc = rc < 0 ? rc : 0;
	else if ((rc = pull_registry(&f, &loc.ref, &want, out, err)) == 0)
		cnb__oci_pull_memo_put(ctx->cache_dir, &loc.ref, &want, *out);
	/* Layout blobs were written by someone else: check them as we would a download. */
	if (rc == 0 && with_layers && stored != 1)
		rc = fetch_layers(&f, *out, loc.kind == CNB__OCI_LOC_LAYOUT, err);
	else if (rc == 0)
		find_local_layers(ctx, *out);
	cnb__oci_fetcher_clear(&f);
	if (rc < 0) {
		cnb__oci_image_free(*out);
		*out = NULL;
		return cnb__error_prefix(err, "pull %s", name ? name : src);
	}
	cnb__api_log(ctx, CNB_LOG_DEBUG, "pulled %s%s: %s, %zu layers", name ? name : src, stored == 1 ? " (from the store)" : "",
		 (*out)->manifest_digest, (*out)->n_layers);
	return 0;
}

int cnb__oci_image_pull(cnb_ctx *ctx, const char *src, const char *platform, cnb__oci_image **out, cnb_error **err)
{
	return pull(ctx, src, platform, true, CNB_PULL_ALWAYS, out, err);
}

int cnb__oci_image_pull_config(cnb_ctx *ctx, const char *src, const char *platform, cnb__oci_image **out,
			       cnb_error **err)
{
	return pull(ctx, src, platform, false, CNB_PULL_ALWAYS, out, err);
}

int cnb__oci_image_pull_policy(cnb_ctx *ctx, const char *src, const char *platform, bool with_layers, int32_t policy,
			       cnb__oci_image **out, cnb_error **err)
{
	return pull(ctx, src, platform, with_layers, policy, out, err);
}

int cnb__oci_image_fetch_layer(cnb_ctx *ctx, cnb__oci_image *img, size_t i, cnb_error **err)
{
	if (i >= img->n_layers)
		return cnb__error_set(err, CNB_EINVAL, "layer %zu of %zu", i, img->n_layers);
	cnb__oci_fetcher f;
	cnb__oci_fetcher_init(&f, ctx);
	layer_jobs j = { .fetcher = &f, .img = img, .root = ctx->cache_dir, .verify_local = false };
	cnb__oci_layer *l = &img->layers[i];
	int rc = 0;
	if (!l->path && cnb__oci_store_has(j.root, l->digest, l->size) && !(l->path = cnb__oci_store_path(j.root, l->digest)))
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0)
		rc = layer_job(i, &j, err);
	cnb__oci_fetcher_clear(&f);
	return rc;
}

int cnb__oci_image_fetch_layers(cnb_ctx *ctx, cnb__oci_image *img, cnb_error **err)
{
	cnb__oci_fetcher f;
	cnb__oci_fetcher_init(&f, ctx);
	int rc = fetch_layers(&f, img, false, err);
	cnb__oci_fetcher_clear(&f);
	return rc;
}
