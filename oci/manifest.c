/* Manifest and index documents per the OCI image-spec and Docker's schema 2 (which shares the shape). */
#include "manifest.h"
#include "digest.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/buf.h"

#include <stdlib.h>
#include <string.h>

bool cnb__oci_media_type_is_index(const char *mt)
{
	return mt && (!strcmp(mt, CNB_OCI_MT_INDEX) || !strcmp(mt, CNB_DOCKER_MT_LIST));
}

bool cnb__oci_media_type_is_manifest(const char *mt)
{
	return mt && (!strcmp(mt, CNB_OCI_MT_MANIFEST) || !strcmp(mt, CNB_DOCKER_MT_MANIFEST));
}

const char *cnb__oci_doc_media_type(json_t *root, const char *content_type)
{
	const char *mt = json_string_value(json_object_get(root, "mediaType"));
	if (mt && *mt)
		return mt;
	if (content_type && (cnb__oci_media_type_is_index(content_type) || cnb__oci_media_type_is_manifest(content_type)))
		return content_type;
	if (json_is_array(json_object_get(root, "manifests")))
		return CNB_OCI_MT_INDEX;
	if (json_is_array(json_object_get(root, "layers")))
		return CNB_OCI_MT_MANIFEST;
	return "";
}

void cnb__oci_desc_clear(cnb__oci_desc *d)
{
	free(d->media_type);
	free(d->digest);
	json_decref(d->annotations);
	memset(d, 0, sizeof(*d));
}

int cnb__oci_desc_parse(cnb__oci_desc *out, json_t *obj, const char *what, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return cnb__error_set(err, CNB_EPARSE, "%s: not an object", what);
	const char *mt = json_string_value(json_object_get(obj, "mediaType"));
	const char *digest = json_string_value(json_object_get(obj, "digest"));
	json_t *size = json_object_get(obj, "size");
	if (!mt || !*mt)
		return cnb__error_set(err, CNB_EPARSE, "%s: missing mediaType", what);
	if (!cnb__oci_digest_valid(digest))
		return cnb__error_set(err, CNB_EPARSE, "%s: digest \"%s\" is not sha256:<64 hex>", what, digest ? digest : "");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return cnb__error_set(err, CNB_EPARSE, "%s: size must be a non-negative integer", what);
	out->media_type = strdup(mt);
	out->digest = strdup(digest);
	out->size = (uint64_t)json_integer_value(size);
	json_t *ann = json_object_get(obj, "annotations");
	if (json_is_object(ann))
		out->annotations = json_incref(ann);
	if (!out->media_type || !out->digest) {
		cnb__oci_desc_clear(out);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

json_t *cnb__oci_desc_to_json(const cnb__oci_desc *d)
{
	json_t *o = json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type, "digest", d->digest, "size", (json_int_t)d->size);
	if (o && d->annotations && json_object_size(d->annotations) > 0 &&
	    json_object_set(o, "annotations", d->annotations) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *load_doc(const char *data, size_t len, cnb_error **err)
{
	if (len > CNB_OCI_MANIFEST_MAX)
		return cnb__error_set(err, CNB_EUNSAFE, "document of %zu bytes is over the %u byte limit", len, CNB_OCI_MANIFEST_MAX),
		       NULL;
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return cnb__error_set(err, CNB_EPARSE, "malformed JSON at line %d: %s", je.line, je.text), NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return cnb__error_set(err, CNB_EPARSE, "not a JSON object"), NULL;
	}
	return root;
}

void cnb__oci_manifest_clear(cnb__oci_manifest *m)
{
	free(m->media_type);
	cnb__oci_desc_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		cnb__oci_desc_clear(&m->layers[i]);
	free(m->layers);
	json_decref(m->annotations);
	memset(m, 0, sizeof(*m));
}

int cnb__oci_manifest_parse(cnb__oci_manifest *out, const char *data, size_t len, const char *content_type,
			    cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	json_t *root = load_doc(data, len, err);
	if (!root)
		return cnb__error_code(err, CNB_EPARSE);
	int rc = 0;
	const char *mt = cnb__oci_doc_media_type(root, content_type);
	json_t *layers = json_object_get(root, "layers");
	if (json_integer_value(json_object_get(root, "schemaVersion")) != 2) {
		rc = cnb__error_set(err, CNB_EUNSUPPORTED, "manifest schemaVersion is not 2 (schema 1 images are not supported)");
	} else if (!cnb__oci_media_type_is_manifest(mt)) {
		rc = cnb__error_set(err, CNB_EUNSUPPORTED, "unsupported manifest media type \"%s\"", mt);
	} else if (!json_is_array(layers)) {
		rc = cnb__error_set(err, CNB_EPARSE, "manifest has no layers array");
	} else if (!(out->media_type = strdup(mt))) {
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	} else if ((rc = cnb__oci_desc_parse(&out->config, json_object_get(root, "config"), "config", err)) == 0) {
		out->layers = calloc(json_array_size(layers) + 1, sizeof(*out->layers));
		if (!out->layers)
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		for (size_t i = 0; rc == 0 && i < json_array_size(layers); i++) {
			char what[32];
			snprintf(what, sizeof(what), "layers[%zu]", i);
			rc = cnb__oci_desc_parse(&out->layers[i], json_array_get(layers, i), what, err);
			if (rc == 0)
				out->n_layers++;
		}
		json_t *ann = json_object_get(root, "annotations");
		if (json_is_object(ann))
			out->annotations = json_incref(ann);
	}
	json_decref(root);
	if (rc < 0)
		cnb__oci_manifest_clear(out);
	return rc;
}

int cnb__oci_index_select(cnb__oci_desc *out, const char *data, size_t len, const cnb__oci_platform *want,
			  cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	json_t *root = load_doc(data, len, err);
	if (!root)
		return cnb__error_code(err, CNB_EPARSE);
	json_t *manifests = json_object_get(root, "manifests");
	int rc = 0;
	_cleanup_buf_ cnb__buf seen = CNB_BUF_INIT;
	if (!json_is_array(manifests)) {
		rc = cnb__error_set(err, CNB_EPARSE, "index has no manifests array");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(manifests); i++) {
		json_t *m = json_array_get(manifests, i);
		json_t *p = json_object_get(m, "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *arch = json_string_value(json_object_get(p, "architecture"));
		const char *variant = json_string_value(json_object_get(p, "variant"));
		if (!os || !arch || (!strcmp(os, "unknown") && !strcmp(arch, "unknown")))
			continue;
		cnb__buf_printf(&seen, "%s%s/%s%s%s", seen.len ? ", " : "", os, arch, variant ? "/" : "", variant ? variant : "");
		if (!cnb__oci_platform_matches(want, os, arch, variant))
			continue;
		char what[32];
		snprintf(what, sizeof(what), "manifests[%zu]", i);
		rc = cnb__oci_desc_parse(out, m, what, err);
		goto out;
	}
	char name[96];
	cnb__oci_platform_format(want, name, sizeof(name));
	rc = cnb__error_set(err, CNB_ENOTFOUND, "no image for platform %s in the index (it has: %s); choose one with --platform",
			    name, seen.len ? seen.data : "none");
out:
	json_decref(root);
	return rc;
}
