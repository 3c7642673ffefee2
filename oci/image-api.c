/* The public face of oci/: cnb_image_copy and cnb_image_inspect over the internal image model. */
#include "image.h"
#include "location.h"
#include "lib/common/cleanup.h"
#include "lib/api/opts.h"
#include "lib/common/error-internal.h"

#include <cnb/image.h>
#include <stdlib.h>
#include <string.h>

CNB__DEFINE_OPTS_INIT(cnb_image_copy_opts, CNB_IMAGE_COPY_OPTS_VERSION, CNB_IMAGE_COPY_OPTS_INIT)
CNB__DEFINE_OPTS_INIT(cnb_image_inspect_opts, CNB_IMAGE_INSPECT_OPTS_VERSION, CNB_IMAGE_INSPECT_OPTS_INIT)

int cnb_image_copy(char **out_digest, cnb_ctx *ctx, const char *src, const char *dst, const cnb_image_copy_opts *opts,
		   cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_image_copy_opts defaults = CNB_IMAGE_COPY_OPTS_INIT;
	if (out_digest)
		*out_digest = NULL;
	if (!ctx || !src || !dst)
		return cnb__error_set(err, CNB_EINVAL, "cnb_image_copy: ctx, src and dst are required");
	if (!(opts = cnb__api_opts_resolve(opts, &defaults, CNB_IMAGE_COPY_OPTS_VERSION, "cnb_image_copy_opts", err)))
		return CNB_EINVAL;
	return cnb__oci_image_copy(ctx, src, dst, opts->platform, out_digest, err);
}

static json_t *describe(const cnb__oci_image *img, const char *name)
{
	json_t *layers = json_array();
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:O, s:o, s:O}", "name", name, "digest", img->manifest_digest,
			      "mediaType", img->manifest_media_type, "configDigest", img->config_digest, "config", img->config,
			      "layers", layers, "annotations", img->annotations);
	if (!o)
		return NULL;
	const char *os = json_string_value(json_object_get(img->config, "os"));
	const char *arch = json_string_value(json_object_get(img->config, "architecture"));
	const char *variant = json_string_value(json_object_get(img->config, "variant"));
	char *platform = NULL;
	if (os && arch && asprintf(&platform, "%s/%s%s%s", os, arch, variant ? "/" : "", variant ? variant : "") >= 0) {
		json_object_set_new(o, "platform", json_string(platform));
		free(platform);
	}
	if (img->index_digest)
		json_object_set_new(o, "indexDigest", json_string(img->index_digest));
	for (size_t i = 0; i < img->n_layers; i++) {
		const cnb__oci_layer *l = &img->layers[i];
		if (json_array_append_new(layers, json_pack("{s:s, s:s, s:I, s:s}", "digest", l->digest, "diffID", l->diff_id,
							    "size", (json_int_t)l->size, "mediaType", l->media_type)) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int cnb_image_inspect(char **out_json, cnb_ctx *ctx, const char *location, const cnb_image_inspect_opts *opts,
		      cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_image_inspect_opts defaults = CNB_IMAGE_INSPECT_OPTS_INIT;
	if (!out_json || !ctx || !location)
		return cnb__error_set(err, CNB_EINVAL, "cnb_image_inspect: out_json, ctx and location are required");
	*out_json = NULL;
	if (!(opts = cnb__api_opts_resolve(opts, &defaults, CNB_IMAGE_INSPECT_OPTS_VERSION, "cnb_image_inspect_opts", err)))
		return CNB_EINVAL;
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	if (cnb__oci_image_pull_config(ctx, location, opts->platform, &img, err) < 0)
		return cnb__error_code(err, CNB_EINTERNAL);
	cnb__oci_loc loc;
	_cleanup_free_ char *name = NULL;
	if (cnb__oci_loc_parse(&loc, location, NULL) == 0) {
		name = cnb__oci_loc_string(&loc);
		cnb__oci_loc_clear(&loc);
	}
	json_t *o = describe(img, name ? name : location);
	*out_json = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	return *out_json ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}
