/* Opening buildpackages: .cnb files and images, their two labels checked against the layers. */
#include "buildpack-package-read.h"
#include "buildpack-package-archive.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "oci/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LAYERS_LABEL "io.buildpacks.buildpack.layers"
#define EXT_LAYERS_LABEL "io.buildpacks.extension.layers"
#define METADATA_LABEL "io.buildpacks.buildpackage.metadata"

void cnb__builder_bp_package_clear(cnb__builder_bp_package *p)
{
	free(p->uri);
	cnb__oci_image_free(p->img);
	json_decref(p->layers);
	free(p->id);
	free(p->version);
	*p = (cnb__builder_bp_package){ 0 };
}

static const char *label_text(const cnb__oci_image *img, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(img->config, "config"), "Labels"), key));
}

static json_t *label_json(const cnb__oci_image *img, const char *key)
{
	const char *text = label_text(img, key);
	return text ? json_loads(text, 0, NULL) : NULL;
}

static bool label_json_present(const cnb__oci_image *img, const char *key)
{
	return label_text(img, key) != NULL;
}

/* {"<id>":{"<version>":{"api":"…","layerDiffID":"…",…}}} and nothing else. */
static bool layers_label_valid(const json_t *layers)
{
	const char *id, *version;
	json_t *versions, *info;
	if (!json_is_object(layers) || !json_object_size(layers))
		return false;
	json_object_foreach((json_t *)layers, id, versions) {
		if (!json_is_object(versions) || !json_object_size(versions))
			return false;
		json_object_foreach(versions, version, info) {
			if (!json_is_string(json_object_get(info, "api")) || !json_is_string(json_object_get(info, "layerDiffID")))
				return false;
		}
	}
	return true;
}

static int read_labels(cnb__builder_bp_package *p, cnb_error **err)
{
	json_t *meta = label_json(p->img, METADATA_LABEL);
	const char *id = json_string_value(json_object_get(meta, "id"));
	const char *version = json_string_value(json_object_get(meta, "version"));
	int r = 0;
	if (!id || !version)
		r = cnb__error_set(err, CNB_EINVAL, "%s is not a buildpackage: no valid %s label ({\"id\",\"version\"}); "
						    "make one with `cnb buildpack package`", p->uri, METADATA_LABEL);
	else if (!(p->id = strdup(id)) || !(p->version = strdup(version)))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	json_decref(meta);
	/* An image extension's package has io.buildpacks.extension.layers instead (pack pkg/buildpack/package.go). */
	if (r == 0 && !label_json_present(p->img, LAYERS_LABEL) && label_json_present(p->img, EXT_LAYERS_LABEL))
		p->extension = true;
	if (r == 0 && !layers_label_valid(p->layers = label_json(p->img, p->extension ? EXT_LAYERS_LABEL : LAYERS_LABEL)))
		r = cnb__error_set(err, CNB_EINVAL, "%s is not a buildpackage: no valid %s label "
						    "({\"<id>\":{\"<version>\":{\"api\",\"layerDiffID\"}}})", p->uri, LAYERS_LABEL);
	if (r == 0 && !json_object_get(json_object_get(p->layers, p->id), p->version))
		r = cnb__error_set(err, CNB_EINVAL, "%s: its top buildpack %s@%s has no layer in %s: package it again",
				   p->uri, p->id, p->version, LAYERS_LABEL);
	return r;
}

int cnb__builder_bp_package_open(cnb__builder_bp_package *out, cnb_ctx *ctx, const char *uri, const char *platform,
			 const char *scratch_dir, cnb_error **err)
{
	*out = (cnb__builder_bp_package){ 0 };
	if (!(out->uri = strdup(uri)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_free_ char *src = NULL;
	struct stat st;
	int r = 0;
	if (uri[0] == '/' && stat(uri, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((r = cnb__builder_bp_archive_unpack(uri, scratch_dir, err)) == 0 && asprintf(&src, "oci:%s", scratch_dir) < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	} else if (uri[0] == '/') {
		r = cnb__error_set(err, CNB_ENOTFOUND, "%s: no such file or directory", uri);
	} else if (!(src = strdup(uri))) {
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	/* A layout's blobs are verified on the way in (cnb__oci_image_pull checks layout blobs too). */
	if (r == 0)
		r = cnb__oci_image_pull(ctx, src, platform, &out->img, err);
	if (r == 0)
		r = read_labels(out, err);
	if (r < 0) {
		cnb__builder_bp_package_clear(out);
		return cnb__error_prefix(err, "buildpackage %s", uri);
	}
	return 0;
}

const cnb__oci_layer *cnb__builder_bp_package_layer(const cnb__builder_bp_package *p, const json_t *info)
{
	const char *diff_id = json_string_value(json_object_get(info, "layerDiffID"));
	for (size_t i = 0; diff_id && i < p->img->n_layers; i++)
		if (!strcmp(p->img->layers[i].diff_id, diff_id) && p->img->layers[i].path)
			return &p->img->layers[i];
	return NULL;
}

/* The label's order/targets/stacks have buildpack.toml's shapes: convert them as they are. */
static cnb_toml *toml_of(const json_t *v)
{
	size_t i;
	const char *key;
	json_t *item;
	cnb_toml *t = NULL;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return cnb__toml_new_string_n(json_string_value(v), json_string_length(v));
	case JSON_TRUE:
	case JSON_FALSE:
		return cnb__toml_new_bool(json_is_true(v));
	case JSON_INTEGER:
		return cnb__toml_new_int(json_integer_value(v));
	case JSON_ARRAY:
		t = cnb__toml_new_array();
		json_array_foreach(v, i, item) {
			cnb_toml *c = json_is_null(item) ? NULL : toml_of(item);
			if (!t || (!json_is_null(item) && (!c || cnb__toml_push(t, c) < 0))) {
				cnb__toml_free(t);
				return NULL;
			}
		}
		return t;
	case JSON_OBJECT:
		t = cnb__toml_new_table();
		json_object_foreach((json_t *)v, key, item) {
			cnb_toml *c = json_is_null(item) ? NULL : toml_of(item);
			if (!t || (!json_is_null(item) && (!c || cnb__toml_set(t, key, c) < 0))) {
				cnb__toml_free(t);
				return NULL;
			}
		}
		return t;
	default:
		return cnb__toml_new_string("");
	}
}

static cnb_toml *descriptor_doc(const char *id, const char *version, const json_t *info, bool extension)
{
	cnb_toml *doc = cnb__toml_new_table(), *bp = cnb__toml_new_table();
	bool ok = doc && bp && cnb__toml_set(doc, extension ? "extension" : "buildpack", bp) == 0 &&
		  cnb__toml_set(doc, "api", toml_of(json_object_get(info, "api"))) == 0 &&
		  cnb__toml_set(bp, "id", cnb__toml_new_string(id)) == 0 &&
		  cnb__toml_set(bp, "version", cnb__toml_new_string(version)) == 0;
	static const char *const bp_keys[] = { "name", "homepage" };
	static const char *const doc_keys[] = { "order", "targets", "stacks" };
	for (size_t i = 0; ok && i < CNB_ARRAY_SIZE(bp_keys); i++) {
		const json_t *v = json_object_get(info, bp_keys[i]);
		ok = !json_is_string(v) || cnb__toml_set(bp, bp_keys[i], toml_of(v)) == 0;
	}
	for (size_t i = 0; ok && i < CNB_ARRAY_SIZE(doc_keys); i++) {
		const json_t *v = json_object_get(info, doc_keys[i]);
		ok = !json_is_array(v) || cnb__toml_set(doc, doc_keys[i], toml_of(v)) == 0;
	}
	if (!ok) {
		if (!doc)
			cnb__toml_free(bp);
		cnb__toml_free(doc);
		return NULL;
	}
	return doc;
}

int cnb__builder_bp_package_descriptor(cnb__lifecycle_bp_descriptor **out, const cnb__builder_bp_package *p, const char *id,
			       const char *version, const json_t *info, cnb_error **err)
{
	cnb_toml *doc = descriptor_doc(id, version, info, p->extension);
	_cleanup_free_ char *where = NULL;
	if (!doc || asprintf(&where, "%s (%s %s@%s)", p->uri, p->extension ? EXT_LAYERS_LABEL : LAYERS_LABEL, id,
			     version) < 0) {
		cnb__toml_free(doc);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	int r = cnb__lifecycle_bp_descriptor_parse(out, doc, p->uri, where, err);
	cnb__toml_free(doc);
	return r < 0 ? cnb__error_prefix(err, "buildpackage %s", p->uri) : 0;
}
