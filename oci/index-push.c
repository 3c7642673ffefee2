/* Multi-platform pushes (image-spec image-index.md): platform images first, the index last. */
#include "index-push.h"
#include "digest.h"
#include "docker-archive.h"
#include "fetcher.h"
#include "layout.h"
#include "location.h"
#include "manifest.h"
#include "registry.h"
#include "store.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {"os","architecture"[,"variant"]} from the config: what index entries and platform selection read. */
static json_t *platform_of(const cnb__oci_image *img)
{
	json_t *p = json_object();
	static const char *const keys[] = { "os", "architecture", "variant" };
	for (size_t i = 0; p && i < CNB_ARRAY_SIZE(keys); i++) {
		const char *v = json_string_value(json_object_get(img->config, keys[i]));
		if (v && *v)
			json_object_set_new(p, keys[i], json_string(v));
	}
	return p;
}

static int index_json(cnb__oci_image *const *imgs, size_t n, char **out, cnb_error **err)
{
	json_t *manifests = json_array();
	json_t *index = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", CNB_OCI_MT_INDEX, "manifests", manifests);
	int r = index ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < n; i++) {
		json_t *p = platform_of(imgs[i]);
		if (!json_object_get(p, "os") || !json_object_get(p, "architecture"))
			r = cnb__error_set(err, CNB_EINVAL, "image %s has no os/architecture in its config", imgs[i]->manifest_digest);
		for (size_t j = 0; r == 0 && j < i; j++)
			if (json_equal(p, json_object_get(json_array_get(manifests, j), "platform")))
				r = cnb__error_set(err, CNB_EINVAL, "two images for the same platform %s/%s",
						   json_string_value(json_object_get(p, "os")),
						   json_string_value(json_object_get(p, "architecture")));
		if (r == 0 && json_array_append_new(manifests, json_pack("{s:s, s:s, s:I, s:O}", "mediaType",
									 imgs[i]->manifest_media_type, "digest",
									 imgs[i]->manifest_digest, "size",
									 (json_int_t)imgs[i]->manifest_len, "platform", p)) < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		json_decref(p);
	}
	if (r == 0 && !(*out = json_dumps(index, JSON_COMPACT)))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	json_decref(index);
	return r;
}

static int put_index(cnb_ctx *ctx, const cnb__oci_loc *loc, const char *data, const char *digest, cnb_error **err)
{
	size_t len = strlen(data);
	if (loc->kind == CNB__OCI_LOC_LAYOUT)
		return cnb__oci_store_put_bytes(loc->dir, data, len, NULL, err) < 0 ||
				       cnb__oci_layout_tag(loc->dir, loc->tag, CNB_OCI_MT_INDEX, digest, len, err) < 0
			       ? cnb__error_code(err, CNB_EIO)
			       : 0;
	cnb__oci_fetcher f;
	cnb__oci_registry *reg = NULL;
	cnb__oci_fetcher_init(&f, ctx);
	int r = cnb__oci_fetcher_registry(&f, loc->ref.registry, &reg, err);
	if (r == 0)
		r = cnb__oci_registry_put_manifest(reg, loc->ref.repository, loc->ref.tag ? loc->ref.tag : digest,
						   CNB_OCI_MT_INDEX, data, len, err);
	cnb__oci_fetcher_clear(&f);
	return r < 0 ? cnb__error_code(err, CNB_EREGISTRY) : 0;
}

int cnb__oci_index_push(cnb_ctx *ctx, cnb__oci_image *const *imgs, size_t n, const char *dst, char **out_digest,
			size_t *out_size, cnb_error **err)
{
	if (out_digest)
		*out_digest = NULL;
	if (n == 0)
		return cnb__error_set(err, CNB_EINVAL, "push %s: an image index needs at least one image", dst);
	if (cnb__oci_docker_archive_is(dst))
		return cnb__error_set(err, CNB_EINVAL, "push %s: a docker-archive holds one platform: push the "
						       "multi-platform image to a registry or an OCI layout (oci:DIR)", dst);
	_cleanup_oci_loc_ cnb__oci_loc loc;
	if (cnb__oci_loc_parse(&loc, dst, err) < 0)
		return cnb__error_prefix(err, "push %s", dst);
	if (loc.kind != CNB__OCI_LOC_LAYOUT && loc.ref.digest)
		return cnb__error_set(err, CNB_EINVAL, "push %s: name a tag, not a digest, for an image index", dst);
	for (size_t i = 0; i < n; i++) {
		int r = cnb__oci_image_serialize(imgs[i], err);
		_cleanup_free_ char *by_digest = NULL;
		/* In a layout each image takes the tag in turn and the index, written last, keeps it; its
		 * blobs stay. */
		if (r == 0 && (loc.kind == CNB__OCI_LOC_LAYOUT
				       ? !(by_digest = strdup(dst))
				       : asprintf(&by_digest, "docker://%s/%s@%s", loc.ref.registry, loc.ref.repository,
						  imgs[i]->manifest_digest) < 0))
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (r == 0)
			r = cnb__oci_image_push(ctx, imgs[i], by_digest, NULL, NULL, err);
		if (r < 0)
			return r;
	}
	_cleanup_free_ char *data = NULL;
	char digest[CNB_OCI_DIGEST_SIZE];
	int r = index_json(imgs, n, &data, err);
	if (r == 0) {
		cnb__oci_digest_of(data, strlen(data), digest);
		r = put_index(ctx, &loc, data, digest, err);
	}
	if (r < 0)
		return cnb__error_prefix(err, "push %s: index", dst);
	cnb__api_log(ctx, CNB_LOG_DEBUG, "pushed index %s: %s (%zu images)", dst, digest, n);
	if (out_size)
		*out_size = strlen(data);
	if (out_digest && !(*out_digest = strdup(digest)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}
