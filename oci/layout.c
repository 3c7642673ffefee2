/* index.json is the only mutable file of a layout and is written last, by rename: a reader sees the old
 * image or the new one, never a manifest whose blobs are missing. */
#include "layout.h"
#include "manifest.h"
#include "store.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_index(const char *dir, json_t **out, bool missing_ok, cnb_error **err)
{
	_cleanup_free_ char *path = cnb__path_join(dir, "index.json");
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	*out = NULL;
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		if (missing_ok)
			return 0;
		return cnb__error_set(err, CNB_ENOTFOUND, "%s is not an OCI layout (no index.json)", dir);
	}
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (cnb__read_file(path, CNB_OCI_MANIFEST_MAX, &data, &len, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	json_error_t je;
	*out = json_loadb(data, len, 0, &je);
	if (!json_is_object(*out) || !json_is_array(json_object_get(*out, "manifests"))) {
		json_decref(*out);
		*out = NULL;
		return cnb__error_set(err, CNB_EPARSE, "%s: malformed index.json (%s)", dir, je.text[0] ? je.text : "no manifests array");
	}
	return 0;
}

static int find_entry(const char *dir, json_t *index, const char *tag, cnb__oci_desc *out, cnb_error **err)
{
	json_t *manifests = json_object_get(index, "manifests");
	size_t n = json_array_size(manifests);
	if (!tag && n != 1)
		return cnb__error_set(err, n ? CNB_EINVAL : CNB_ENOTFOUND, "%s holds %zu images; name one with oci:%s:TAG", dir, n, dir);
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(manifests, i);
		const char *name = json_string_value(json_object_get(json_object_get(m, "annotations"), CNB_OCI_REF_NAME));
		if (tag && (!name || strcmp(name, tag)))
			continue;
		return cnb__oci_desc_parse(out, m, "index.json", err);
	}
	return cnb__error_set(err, CNB_ENOTFOUND, "%s has no image named \"%s\"", dir, tag);
}

int cnb__oci_layout_read(const char *dir, const char *tag, const cnb__oci_platform *want, cnb__oci_image **out,
			 cnb_error **err)
{
	*out = NULL;
	json_t *index = NULL;
	if (read_index(dir, &index, false, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	cnb__oci_desc d;
	int rc = find_entry(dir, index, tag, &d, err);
	json_decref(index);
	if (rc < 0)
		return rc;
	_cleanup_free_ char *manifest = NULL, *config = NULL, *index_digest = NULL;
	size_t manifest_len = 0, config_len = 0;
	rc = cnb__oci_store_read_bytes(dir, d.digest, CNB_OCI_MANIFEST_MAX, &manifest, &manifest_len, err);
	if (rc == 0 && cnb__oci_media_type_is_index(d.media_type)) {
		cnb__oci_desc chosen;
		index_digest = TAKE_PTR(d.digest);
		cnb__oci_desc_clear(&d);
		rc = cnb__oci_index_select(&chosen, manifest, manifest_len, want, err);
		if (rc == 0) {
			d = chosen;
			free(manifest), manifest = NULL;
			rc = cnb__oci_store_read_bytes(dir, d.digest, CNB_OCI_MANIFEST_MAX, &manifest, &manifest_len, err);
		}
	}
	cnb__oci_manifest m = { 0 };
	if (rc == 0)
		rc = cnb__oci_manifest_parse(&m, manifest, manifest_len, d.media_type, err);
	if (rc == 0)
		rc = cnb__oci_store_read_bytes(dir, m.config.digest, CNB_OCI_MANIFEST_MAX, &config, &config_len, err);
	if (rc == 0)
		rc = cnb__oci_image_from_bytes(out, manifest, manifest_len, m.media_type, config, config_len, err);
	cnb__oci_manifest_clear(&m);
	cnb__oci_desc_clear(&d);
	if (rc < 0)
		return rc;
	(*out)->index_digest = TAKE_PTR(index_digest);
	for (size_t i = 0; i < (*out)->n_layers; i++) {
		cnb__oci_layer *l = &(*out)->layers[i];
		if (!(l->path = cnb__oci_store_path(dir, l->digest))) {
			cnb__oci_image_free(*out);
			*out = NULL;
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
	}
	return 0;
}

int cnb__oci_layout_tag(const char *dir, const char *tag, const char *media_type, const char *digest, uint64_t size,
			cnb_error **err)
{
	_cleanup_free_ char *marker = cnb__path_join(dir, "oci-layout");
	_cleanup_free_ char *index_path = cnb__path_join(dir, "index.json");
	if (!marker || !index_path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	static const char layout_json[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	if (access(marker, F_OK) < 0 &&
	    cnb__write_file_atomic(marker, layout_json, sizeof(layout_json) - 1, 0644, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	json_t *index = NULL;
	if (read_index(dir, &index, true, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	if (!index)
		index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", CNB_OCI_MT_INDEX, "manifests");
	json_t *manifests = json_object_get(index, "manifests");
	json_t *entry = json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size", (json_int_t)size);
	if (!index || !entry || (tag && json_object_set_new(entry, "annotations", json_pack("{s:s}", CNB_OCI_REF_NAME, tag)) < 0)) {
		json_decref(index);
		json_decref(entry);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	for (size_t i = json_array_size(manifests); i-- > 0;) {
		json_t *m = json_array_get(manifests, i);
		const char *name = json_string_value(json_object_get(json_object_get(m, "annotations"), CNB_OCI_REF_NAME));
		if ((tag && name && !strcmp(name, tag)) || (!tag && !name))
			json_array_remove(manifests, i);
	}
	json_array_append_new(manifests, entry);
	char *text = json_dumps(index, JSON_COMPACT);
	json_decref(index);
	if (!text)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = cnb__write_file_atomic(index_path, text, strlen(text), 0644, err);
	free(text);
	return rc;
}

static const char *entry_name(json_t *m)
{
	return json_string_value(json_object_get(json_object_get(m, "annotations"), CNB_OCI_REF_NAME));
}

static int write_index(const char *dir, json_t *index, cnb_error **err)
{
	_cleanup_free_ char *path = cnb__path_join(dir, "index.json");
	_cleanup_free_ char *text = json_dumps(index, JSON_COMPACT);
	if (!path || !text)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return cnb__write_file_atomic(path, text, strlen(text), 0644, err);
}

int cnb__oci_layout_untag(const char *dir, const char *tag, cnb_error **err)
{
	json_t *index = NULL;
	if (read_index(dir, &index, true, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	json_t *manifests = json_object_get(index, "manifests");
	size_t removed = 0;
	for (size_t i = json_array_size(manifests); i-- > 0;) {
		const char *name = entry_name(json_array_get(manifests, i));
		if (name && !strcmp(name, tag) && json_array_remove(manifests, i) == 0)
			removed++;
	}
	int rc = removed ? write_index(dir, index, err)
			 : cnb__error_set(err, CNB_ENOTFOUND, "%s has no image named \"%s\"", dir, tag);
	json_decref(index);
	return rc;
}

int cnb__oci_layout_names(const char *dir, char ***out, cnb_error **err)
{
	*out = NULL;
	json_t *index = NULL;
	if (read_index(dir, &index, true, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	json_t *manifests = json_object_get(index, "manifests");
	size_t n = json_array_size(manifests), k = 0;
	char **names = calloc(n + 1, sizeof(*names));
	for (size_t i = 0; names && i < n; i++) {
		const char *name = entry_name(json_array_get(manifests, i));
		if (name && !(names[k++] = strdup(name))) {
			cnb__strv_free(names);
			names = NULL;
		}
	}
	json_decref(index);
	if (!names)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	*out = names;
	return 0;
}
