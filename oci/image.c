/* The image model: construction, edits that invalidate raw bytes, deterministic serialization. */
#include "image.h"
#include "platform.h"
#include "digest.h"
#include "manifest.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <stdlib.h>
#include <string.h>

void cnb__oci_layer_clear(cnb__oci_layer *l)
{
	free(l->digest);
	free(l->diff_id);
	free(l->media_type);
	free(l->path);
	free(l->source);
	json_decref(l->annotations);
	memset(l, 0, sizeof(*l));
}

void cnb__oci_image_free(cnb__oci_image *img)
{
	if (!img)
		return;
	free(img->source);
	free(img->manifest_digest);
	free(img->manifest_media_type);
	free(img->manifest_raw);
	free(img->index_digest);
	free(img->config_digest);
	free(img->config_media_type);
	free(img->config_raw);
	json_decref(img->config);
	for (size_t i = 0; i < img->n_layers; i++)
		cnb__oci_layer_clear(&img->layers[i]);
	free(img->layers);
	json_decref(img->annotations);
	free(img);
}

static void drop_manifest(cnb__oci_image *img)
{
	free(img->manifest_digest), img->manifest_digest = NULL;
	free(img->manifest_raw), img->manifest_raw = NULL;
	img->manifest_len = 0;
}

static void drop_config(cnb__oci_image *img)
{
	drop_manifest(img);
	free(img->config_digest), img->config_digest = NULL;
	free(img->config_raw), img->config_raw = NULL;
	img->config_len = 0;
}

int cnb__oci_image_new(cnb__oci_image **out, cnb_error **err)
{
	*out = NULL;
	cnb__oci_image *img = calloc(1, sizeof(*img));
	if (!img)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	img->config = json_pack("{s:s, s:s, s:{}, s:{s:s, s:[]}}", "architecture", "amd64", "os", "linux", "config",
				"rootfs", "type", "layers", "diff_ids");
	img->annotations = json_object();
	img->config_media_type = strdup(CNB_OCI_MT_CONFIG);
	img->manifest_media_type = strdup(CNB_OCI_MT_MANIFEST);
	if (!img->config || !img->annotations || !img->config_media_type || !img->manifest_media_type) {
		cnb__oci_image_free(img);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	*out = img;
	return 0;
}

static int dup_layer(cnb__oci_layer *dst, const cnb__oci_layer *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->digest = strdup(src->digest);
	dst->diff_id = strdup(src->diff_id);
	dst->media_type = strdup(src->media_type);
	dst->size = src->size;
	dst->path = src->path ? strdup(src->path) : NULL;
	dst->source = src->source ? strdup(src->source) : NULL;
	dst->annotations = src->annotations ? json_deep_copy(src->annotations) : NULL;
	if (!dst->digest || !dst->diff_id || !dst->media_type || (src->path && !dst->path) ||
	    (src->source && !dst->source) || (src->annotations && !dst->annotations)) {
		cnb__oci_layer_clear(dst);
		return -1;
	}
	return 0;
}

int cnb__oci_image_from_bytes(cnb__oci_image **out, const char *manifest, size_t manifest_len,
			      const char *manifest_media_type, const char *config, size_t config_len, cnb_error **err)
{
	*out = NULL;
	cnb__oci_manifest m;
	if (cnb__oci_manifest_parse(&m, manifest, manifest_len, manifest_media_type, err) < 0)
		return cnb__error_code(err, CNB_EPARSE);
	int rc = 0;
	cnb__oci_image *img = calloc(1, sizeof(*img));
	json_error_t je;
	json_t *cfg = NULL;
	if (!img) {
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		goto out;
	}
	if (config_len > CNB_OCI_MANIFEST_MAX) {
		rc = cnb__error_set(err, CNB_EUNSAFE, "config of %zu bytes is over the %u byte limit", config_len,
				    CNB_OCI_MANIFEST_MAX);
		goto out;
	}
	cfg = json_loadb(config, config_len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(cfg)) {
		rc = cnb__error_set(err, CNB_EPARSE, "config: malformed JSON (line %d: %s)", je.line, json_is_null(cfg) ? "not an object" : je.text);
		goto out;
	}
	json_t *diff_ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!json_is_array(diff_ids) || json_array_size(diff_ids) != m.n_layers) {
		rc = cnb__error_set(err, CNB_EPARSE, "config rootfs.diff_ids has %zu entries for %zu layers",
				    json_array_size(diff_ids), m.n_layers);
		goto out;
	}
	img->config = TAKE_PTR(cfg);
	img->annotations = m.annotations ? json_deep_copy(m.annotations) : json_object();
	img->manifest_media_type = strdup(m.media_type);
	img->manifest_raw = malloc(manifest_len + 1);
	img->manifest_digest = malloc(CNB_OCI_DIGEST_SIZE);
	img->config_digest = strdup(m.config.digest);
	img->config_media_type = strdup(m.config.media_type);
	img->config_raw = malloc(config_len + 1);
	img->layers = calloc(m.n_layers + 1, sizeof(*img->layers));
	if (!img->annotations || !img->manifest_media_type || !img->manifest_raw || !img->manifest_digest ||
	    !img->config_digest || !img->config_media_type || !img->config_raw || !img->layers) {
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(img->manifest_raw, manifest, manifest_len);
	img->manifest_raw[manifest_len] = '\0';
	img->manifest_len = manifest_len;
	cnb__oci_digest_of(manifest, manifest_len, img->manifest_digest);
	memcpy(img->config_raw, config, config_len);
	img->config_raw[config_len] = '\0';
	img->config_len = config_len;
	for (size_t i = 0; i < m.n_layers; i++) {
		const char *diff_id = json_string_value(json_array_get(diff_ids, i));
		if (!cnb__oci_digest_valid(diff_id)) {
			rc = cnb__error_set(err, CNB_EPARSE, "config rootfs.diff_ids[%zu] is not sha256:<64 hex>", i);
			goto out;
		}
		cnb__oci_layer l = { .digest = m.layers[i].digest, .diff_id = (char *)diff_id, .size = m.layers[i].size,
				     .media_type = m.layers[i].media_type, .annotations = m.layers[i].annotations };
		if (dup_layer(&img->layers[i], &l) < 0) {
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
			goto out;
		}
		img->n_layers++;
	}
	*out = TAKE_PTR(img);
out:
	json_decref(cfg);
	cnb__oci_image_free(img);
	cnb__oci_manifest_clear(&m);
	return rc;
}

const char *cnb__oci_image_arch(const cnb__oci_image *img)
{
	return json_string_value(json_object_get(img->config, "architecture"));
}

int cnb__oci_image_check_platform(const cnb__oci_image *img, const char *platform, cnb_error **err)
{
	cnb__oci_platform want;
	if (!platform || !*platform)
		return 0;
	int r = cnb__oci_platform_parse(&want, platform, err);
	const char *os = json_string_value(json_object_get(img->config, "os"));
	const char *arch = cnb__oci_image_arch(img);
	const char *variant = json_string_value(json_object_get(img->config, "variant"));
	if (r < 0 || !os || !arch || cnb__oci_platform_matches(&want, os, arch, variant))
		return r;
	return cnb__error_set(err, CNB_EUNSUPPORTED, "the image is %s/%s%s%s, not %s (it is not a multi-platform index)", os,
			      arch, variant ? "/" : "", variant ? variant : "", platform);
}

int cnb__oci_image_set_platform(cnb__oci_image *img, const char *platform, cnb_error **err)
{
	cnb__oci_platform p;
	if (cnb__oci_platform_parse(&p, platform, err) < 0)
		return CNB_EINVAL;
	json_t *config = cnb__oci_image_config_edit(img);
	json_object_del(config, "variant");
	if (json_object_set_new(config, "os", json_string(p.os)) < 0 ||
	    json_object_set_new(config, "architecture", json_string(p.arch)) < 0 ||
	    (p.variant[0] && json_object_set_new(config, "variant", json_string(p.variant)) < 0))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

json_t *cnb__oci_image_config_edit(cnb__oci_image *img)
{
	drop_config(img);
	return img->config;
}

int cnb__oci_image_append_layer(cnb__oci_image *img, const cnb__oci_layer *layer, cnb_error **err)
{
	if (!cnb__oci_digest_valid(layer->digest) || !cnb__oci_digest_valid(layer->diff_id) || !layer->media_type)
		return cnb__error_set(err, CNB_EINVAL, "append layer: digest, diff_id (sha256:<hex>) and media type are required");
	json_t *rootfs = json_object_get(img->config, "rootfs");
	if (!json_is_object(rootfs)) {
		rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
		if (!rootfs || json_object_set_new(img->config, "rootfs", rootfs) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	json_t *diff_ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(diff_ids) && json_object_set_new(rootfs, "diff_ids", diff_ids = json_array()) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__oci_layer *grown = realloc(img->layers, (img->n_layers + 1) * sizeof(*grown));
	if (!grown)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	img->layers = grown;
	if (dup_layer(&img->layers[img->n_layers], layer) < 0 || json_array_append_new(diff_ids, json_string(layer->diff_id)) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	img->n_layers++;
	drop_config(img);
	return 0;
}

int cnb__oci_image_set_annotation(cnb__oci_image *img, const char *key, const char *value, cnb_error **err)
{
	int rc = value ? json_object_set_new(img->annotations, key, json_string(value)) : json_object_del(img->annotations, key);
	if (value && rc < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	drop_manifest(img);
	return 0;
}

/* Docker's gzip layer type has an exact OCI equivalent; an OCI manifest should use it. */
static const char *oci_layer_type(const char *mt)
{
	return !strcmp(mt, CNB_DOCKER_MT_LAYER_GZIP) ? CNB_OCI_MT_LAYER_GZIP : mt;
}

static int set_raw(char **raw, size_t *len, char **digest, char *text, cnb_error **err)
{
	if (!text)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	free(*raw);
	free(*digest);
	*raw = text;
	*len = strlen(text);
	*digest = malloc(CNB_OCI_DIGEST_SIZE);
	if (!*digest)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__oci_digest_of(*raw, *len, *digest);
	return 0;
}

int cnb__oci_image_serialize(cnb__oci_image *img, cnb_error **err)
{
	if (img->manifest_raw && img->config_raw)
		return 0;
	if (!img->config_raw) {
		free(img->config_media_type);
		img->config_media_type = strdup(CNB_OCI_MT_CONFIG);
		if (set_raw(&img->config_raw, &img->config_len, &img->config_digest,
			    json_dumps(img->config, JSON_COMPACT | JSON_SORT_KEYS), err) < 0 || !img->config_media_type)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	json_t *layers = json_array();
	json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType", CNB_OCI_MT_MANIFEST,
			      "config", "mediaType", CNB_OCI_MT_CONFIG, "digest", img->config_digest, "size",
			      (json_int_t)img->config_len, "layers", layers);
	if (!m)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < img->n_layers; i++) {
		const cnb__oci_layer *l = &img->layers[i];
		cnb__oci_desc d = { .media_type = (char *)oci_layer_type(l->media_type), .digest = l->digest, .size = l->size,
				    .annotations = l->annotations };
		if (json_array_append_new(layers, cnb__oci_desc_to_json(&d)) < 0) {
			json_decref(m);
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
	}
	if (json_object_size(img->annotations) > 0 && json_object_set(m, "annotations", img->annotations) < 0) {
		json_decref(m);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	char *text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	free(img->manifest_media_type);
	img->manifest_media_type = strdup(CNB_OCI_MT_MANIFEST);
	if (!img->manifest_media_type)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return set_raw(&img->manifest_raw, &img->manifest_len, &img->manifest_digest, text, err);
}
