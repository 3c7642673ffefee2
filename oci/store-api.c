/* The public face of the local image store: cnb_image_list and cnb_image_remove over an OCI layout. */
#include "image.h"
#include "layout.h"
#include "location.h"
#include "manifest.h"
#include "store.h"
#include "platform.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/strv.h"

#include <cnb/image.h>
#include <stdlib.h>
#include <string.h>

#define GC_MIN_AGE_S 120

/* An index's "indexDigest" and "platforms" ["os/arch[/variant]", …] (attestation entries left out). */
static int add_index(json_t *o, const char *dir, const char *index_digest)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (cnb__oci_store_read_bytes(dir, index_digest, CNB_OCI_MANIFEST_MAX, &data, &len, NULL) < 0)
		return 0; /* the entry still says what the chosen image is */
	json_t *index = json_loadb(data, len, 0, NULL), *list = json_array(), *m;
	size_t i;
	json_array_foreach(json_object_get(index, "manifests"), i, m) {
		const json_t *p = json_object_get(m, "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *arch = json_string_value(json_object_get(p, "architecture"));
		const char *variant = json_string_value(json_object_get(p, "variant"));
		if (!os || !arch || !strcmp(os, "unknown"))
			continue;
		char name[CNB_OCI_PLATFORM_NAME_MAX];
		snprintf(name, sizeof(name), "%s/%s%s%s", os, arch, variant && *variant ? "/" : "", variant ? variant : "");
		json_array_append_new(list, json_string(name));
	}
	json_decref(index);
	return json_object_set_new(o, "indexDigest", json_string(index_digest)) < 0 ||
		       json_object_set_new(o, "platforms", list) < 0 ? -1 : 0;
}

static json_t *entry_of(const char *dir, const char *name, const cnb__oci_platform *want)
{
	cnb__oci_image *img = NULL;
	cnb_error *e = NULL;
	if (cnb__oci_layout_read(dir, name, want, &img, &e) < 0) {
		json_t *o = json_pack("{s:s, s:s}", "name", name, "error", cnb_error_message(e));
		cnb_error_free(e);
		return o;
	}
	uint64_t size = img->manifest_len + img->config_len;
	for (size_t i = 0; i < img->n_layers; i++)
		size += img->layers[i].size;
	const char *created = json_string_value(json_object_get(img->config, "created"));
	const char *os = json_string_value(json_object_get(img->config, "os"));
	const char *arch = json_string_value(json_object_get(img->config, "architecture"));
	char platform[128];
	snprintf(platform, sizeof(platform), "%s/%s", os ? os : "?", arch ? arch : "?");
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "name", name, "digest", img->manifest_digest, "mediaType",
			      img->manifest_media_type, "size", (json_int_t)size, "created", created ? created : "",
			      "platform", platform);
	if (o && img->index_digest && add_index(o, dir, img->index_digest) < 0)
		json_decref(o), o = NULL;
	cnb__oci_image_free(img);
	return o;
}

int cnb_image_list(char **out_json, cnb_ctx *ctx, const char *layout_dir, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	if (!out_json || !ctx || !layout_dir)
		return cnb__error_set(err, CNB_EINVAL, "cnb_image_list: out_json, ctx and layout_dir are required");
	*out_json = NULL;
	cnb__oci_platform want;
	char **names = NULL;
	if (cnb__oci_platform_parse(&want, NULL, err) < 0 || cnb__oci_layout_names(layout_dir, &names, err) < 0)
		return cnb__error_prefix(err, "list %s", layout_dir);
	json_t *list = json_array();
	for (char **n = names; list && *n; n++)
		if (json_array_append_new(list, entry_of(layout_dir, *n, &want)) < 0)
			json_decref(list), list = NULL;
	cnb__strv_free(names);
	*out_json = list ? json_dumps(list, JSON_INDENT(2)) : NULL;
	json_decref(list);
	return *out_json ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

int cnb_image_remove(uint64_t *out_freed, cnb_ctx *ctx, const char *location, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	if (out_freed)
		*out_freed = 0;
	if (!ctx || !location)
		return cnb__error_set(err, CNB_EINVAL, "cnb_image_remove: ctx and location are required");
	_cleanup_oci_loc_ cnb__oci_loc loc = { 0 };
	if (cnb__oci_loc_parse(&loc, location, err) < 0)
		return cnb__error_prefix(err, "remove %s", location);
	if (loc.kind != CNB__OCI_LOC_LAYOUT || !loc.tag)
		return cnb__error_set(err, CNB_EINVAL, "remove %s: only images in an OCI layout (oci:DIR:TAG) can be removed",
				      location);
	uint64_t freed = 0;
	if (cnb__oci_layout_untag(loc.dir, loc.tag, err) < 0 || cnb__oci_layout_gc(loc.dir, GC_MIN_AGE_S, &freed, err) < 0)
		return cnb__error_prefix(err, "remove %s", location);
	if (out_freed)
		*out_freed = freed;
	return 0;
}
