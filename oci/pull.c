/* Pulling: location → manifest (an index narrowed to one platform) → config → layer blobs in the store. */
#include "digest.h"
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

static int pull(cnb_ctx *ctx, const char *src, const char *platform, bool with_layers, cnb__oci_image **out,
		cnb_error **err)
{
	*out = NULL;
	_cleanup_oci_loc_ cnb__oci_loc loc;
	cnb__oci_platform want;
	if (cnb__oci_loc_parse(&loc, src, err) < 0 || cnb__oci_platform_parse(&want, platform, err) < 0)
		return cnb__error_prefix(err, "pull %s", src);
	_cleanup_free_ char *name = cnb__oci_loc_string(&loc);
	cnb__oci_fetcher f;
	cnb__oci_fetcher_init(&f, ctx);
	int rc;
	if (loc.kind == CNB__OCI_LOC_LAYOUT)
		rc = cnb__oci_layout_read(loc.dir, loc.tag, &want, out, err);
	else
		rc = pull_registry(&f, &loc.ref, &want, out, err);
	/* Layout blobs were written by someone else: check them as we would a download. */
	if (rc == 0 && with_layers)
		rc = fetch_layers(&f, *out, loc.kind == CNB__OCI_LOC_LAYOUT, err);
	else if (rc == 0)
		for (size_t i = 0; i < (*out)->n_layers; i++) {
			cnb__oci_layer *l = &(*out)->layers[i];
			if (!l->path && cnb__oci_store_has(ctx->cache_dir, l->digest, l->size))
				l->path = cnb__oci_store_path(ctx->cache_dir, l->digest);
		}
	cnb__oci_fetcher_clear(&f);
	if (rc < 0) {
		cnb__oci_image_free(*out);
		*out = NULL;
		return cnb__error_prefix(err, "pull %s", name ? name : src);
	}
	cnb__log(ctx, CNB_LOG_DEBUG, "pulled %s: %s, %zu layers", name ? name : src, (*out)->manifest_digest, (*out)->n_layers);
	return 0;
}

int cnb__oci_image_pull(cnb_ctx *ctx, const char *src, const char *platform, cnb__oci_image **out, cnb_error **err)
{
	return pull(ctx, src, platform, true, out, err);
}

int cnb__oci_image_pull_config(cnb_ctx *ctx, const char *src, const char *platform, cnb__oci_image **out,
			       cnb_error **err)
{
	return pull(ctx, src, platform, false, out, err);
}

int cnb__oci_image_fetch_layers(cnb_ctx *ctx, cnb__oci_image *img, cnb_error **err)
{
	cnb__oci_fetcher f;
	cnb__oci_fetcher_init(&f, ctx);
	int rc = fetch_layers(&f, img, false, err);
	cnb__oci_fetcher_clear(&f);
	return rc;
}

int cnb__oci_image_fetch_layer(cnb_ctx *ctx, cnb__oci_image *img, size_t i, cnb_error **err)
{
	if (i >= img->n_layers)
		return cnb__error_set(err, CNB_EINVAL, "layer %zu of %zu", i, img->n_layers);
	cnb__oci_fetcher f;
	cnb__oci_fetcher_init(&f, ctx);
	layer_jobs j = { .fetcher = &f, .img = img, .root = ctx->cache_dir };
	int rc = layer_job(i, &j, err);
	cnb__oci_fetcher_clear(&f);
	return rc;
}
