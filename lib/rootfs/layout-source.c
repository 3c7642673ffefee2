/* Reading an image (index → manifest → config + layers) out of an OCI layout directory. */
#include "layout-source.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAYOUT_DOC_MAX (4u << 20)
#define MT_INDEX_OCI "application/vnd.oci.image.index.v1+json"
#define MT_INDEX_DOCKER "application/vnd.docker.distribution.manifest.list.v2+json"

#if defined(__x86_64__)
#define HOST_ARCH "amd64"
#elif defined(__aarch64__)
#define HOST_ARCH "arm64"
#else
#define HOST_ARCH "unknown"
#endif

static char *blob_path(const char *dir, const char *digest, cnb_error **err)
{
	if (!digest || strncmp(digest, "sha256:", 7) || strlen(digest) != 71 || strspn(digest + 7, "0123456789abcdef") != 64) {
		cnb__error_set(err, CNB_EPARSE, "'%s' is not a sha256 digest", digest ? digest : "(none)");
		return NULL;
	}
	char *out = NULL;
	if (asprintf(&out, "%s/blobs/sha256/%s", dir, digest + 7) < 0)
		cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return out;
}

static json_t *load(const char *path, cnb_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (cnb__read_file(path, LAYOUT_DOC_MAX, &text, &len, err) < 0)
		return NULL;
	json_error_t je;
	json_t *doc = json_loadb(text, len, 0, &je);
	if (!doc)
		cnb__error_set(err, CNB_EPARSE, "%s: %s (line %d)", path, je.text, je.line);
	return doc;
}

static json_t *load_blob(const char *dir, const char *digest, cnb_error **err)
{
	_cleanup_free_ char *path = blob_path(dir, digest, err);
	return path ? load(path, err) : NULL;
}

static bool platform_matches(json_t *desc, const char *platform)
{
	json_t *p = json_object_get(desc, "platform");
	char have[128];
	snprintf(have, sizeof(have), "%s/%s", json_string_value(json_object_get(p, "os")) ?: "",
		 json_string_value(json_object_get(p, "architecture")) ?: "");
	return !strcmp(have, platform ? platform : "linux/" HOST_ARCH);
}

static bool is_index(json_t *desc)
{
	const char *mt = json_string_value(json_object_get(desc, "mediaType")) ?: "";
	return !strcmp(mt, MT_INDEX_OCI) || !strcmp(mt, MT_INDEX_DOCKER);
}

/* The manifest descriptor: by tag from the top index, then by platform from a nested index. */
static json_t *pick_manifest(const char *dir, json_t *index, const char *tag, const char *platform, cnb_error **err)
{
	json_t *manifests = json_object_get(index, "manifests"), *desc = NULL, *d;
	size_t i;
	json_array_foreach(manifests, i, d) {
		const char *name = json_string_value(json_object_get(json_object_get(d, "annotations"),
								      "org.opencontainers.image.ref.name"));
		if (tag ? (name && !strcmp(name, tag)) : json_array_size(manifests) == 1)
			desc = d;
	}
	if (!desc && tag)
		cnb__error_set(err, CNB_ENOTFOUND, "no image tagged '%s' in the layout", tag);
	else if (!desc)
		cnb__error_set(err, CNB_ENOTFOUND, "the layout holds %zu images: name one with oci:DIR:TAG",
			       json_array_size(manifests));
	if (!desc || !is_index(desc))
		return desc ? json_incref(desc) : NULL;
	_cleanup_(json_decrefp) json_t *nested = load_blob(dir, json_string_value(json_object_get(desc, "digest")), err);
	json_array_foreach(json_object_get(nested, "manifests"), i, d)
		if (platform_matches(d, platform) && !is_index(d))
			return json_incref(d);
	if (nested)
		cnb__error_set(err, CNB_EUNSUPPORTED, "no image for platform %s in the index", platform ? platform : "linux/" HOST_ARCH);
	return NULL;
}

static int fill_layers(cnb__rootfs_source *s, const char *dir, json_t *manifest, cnb_error **err)
{
	json_t *layers = json_object_get(manifest, "layers");
	json_t *diff_ids = json_object_get(json_object_get(s->config, "rootfs"), "diff_ids");
	size_t n = json_array_size(layers);
	if (n != json_array_size(diff_ids))
		return cnb__error_set(err, CNB_EPARSE, "manifest has %zu layers but config has %zu diff_ids", n,
				      json_array_size(diff_ids));
	if (!(s->layers = calloc(n ? n : 1, sizeof(*s->layers))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++, s->n_layers++) {
		json_t *l = json_array_get(layers, i);
		const char *digest = json_string_value(json_object_get(l, "digest"));
		const char *mt = json_string_value(json_object_get(l, "mediaType"));
		const char *diff_id = json_string_value(json_array_get(diff_ids, i));
		char *path = blob_path(dir, digest, err);
		s->layers[i] = (cnb__rootfs_layer){ path, mt ? strdup(mt) : NULL, digest ? strdup(digest) : NULL,
						    diff_id ? strdup(diff_id) : NULL };
		if (!path)
			return cnb__error_prefix(err, "layer %zu", i + 1);
	}
	return 0;
}

int cnb__rootfs_source_open(const cnb_ctx *ctx, const char *ref, const char *platform, cnb__rootfs_source **out,
			    cnb_error **err)
{
	(void)ctx;
	if (strncmp(ref, "oci:", 4))
		return cnb__error_set(err, CNB_EUNSUPPORTED, "%s: only oci:DIR[:TAG] is supported until the registry client "
				      "lands; copy the image first: skopeo copy docker://REF oci:DIR:TAG", ref);
	_cleanup_free_ char *dir = strdup(ref + 4);
	if (!dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	char *colon = strrchr(dir, ':');
	const char *tag = NULL;
	if (colon && !strchr(colon, '/')) {
		*colon = '\0';
		tag = colon + 1;
	}
	_cleanup_free_ char *index_path = cnb__path_join(dir, "index.json");
	_cleanup_(json_decrefp) json_t *index = index_path ? load(index_path, err) : NULL;
	_cleanup_(json_decrefp) json_t *desc = index ? pick_manifest(dir, index, tag, platform, err) : NULL;
	_cleanup_(json_decrefp) json_t *manifest =
		desc ? load_blob(dir, json_string_value(json_object_get(desc, "digest")), err) : NULL;
	if (!manifest)
		return cnb__error_code(err, CNB_EIO);
	cnb__rootfs_source *s = calloc(1, sizeof(*s));
	if (!s || !(s->name = strdup(ref))) {
		free(s);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	s->config = load_blob(dir, json_string_value(json_object_get(json_object_get(manifest, "config"), "digest")), err);
	if (!s->config || fill_layers(s, dir, manifest, err) < 0) {
		cnb__rootfs_source_free(s);
		return cnb__error_code(err, CNB_EIO);
	}
	*out = s;
	return 0;
}

void cnb__rootfs_source_free(cnb__rootfs_source *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_layers; i++) {
		free((char *)s->layers[i].blob_path);
		free((char *)s->layers[i].media_type);
		free((char *)s->layers[i].digest);
		free((char *)s->layers[i].diff_id);
	}
	free(s->layers);
	json_decref(s->config);
	free(s->name);
	free(s);
}
