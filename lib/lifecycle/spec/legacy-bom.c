/* Legacy [[bom]] → sbom.legacy.json (lifecycle phase/builder.go, lifecycle buildpack/build.go validateBOM). */
#include "legacy-bom.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/toml/toml-json.h"

#include <stdlib.h>
#include <string.h>

static json_t *bom_entry(const char *name, const cnb_toml *metadata, const cnb__lifecycle_bp_descriptor *bp)
{
	/* Field order of the reference's JSON: name, metadata, buildpack {id, version}. */
	json_t *e = json_object(), *who = json_object();
	json_t *meta = metadata ? cnb__toml_to_json(metadata) : json_null();
	if (!e || !who || !meta || json_object_set_new(e, "name", json_string(name)) < 0 ||
	    json_object_set_new(e, "metadata", meta) < 0 || json_object_set_new(who, "id", json_string(bp->id)) < 0 ||
	    json_object_set_new(who, "version", json_string(bp->version)) < 0 ||
	    json_object_set_new(e, "buildpack", who) < 0) {
		json_decref(e);
		return NULL;
	}
	return e;
}

int cnb__lifecycle_legacy_bom_add(json_t *entries, const cnb_toml *doc, const cnb__lifecycle_bp_descriptor *bp, const char *path,
			cnb_error **err)
{
	const cnb_toml *bom = cnb__toml_get(doc, "bom");
	for (size_t i = 0; i < cnb__toml_len(bom); i++) {
		const cnb_toml *t = cnb__toml_at(bom, i);
		const char *name = cnb__toml_get_string(t, "name");
		if (!name)
			return cnb__error_set(err, CNB_EPARSE, "buildpack %s@%s: %s: every [[bom]] needs a string `name`", bp->id,
					      bp->version, path);
		if (cnb__toml_get(t, "version"))
			return cnb__error_set(err, CNB_EPARSE,
					      "buildpack %s@%s: %s: bom entry \"%s\" has a top-level `version`; put it in "
					      "[bom.metadata] (or write SBOM files)",
					      bp->id, bp->version, path, name);
		json_t *e = bom_entry(name, cnb__toml_get(t, "metadata"), bp);
		if (!e || json_array_append_new(entries, e) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

/* As Go's json.Encoder writes it (lifecycle internal/encoding WriteJSON): compact, then a newline. */
int cnb__lifecycle_legacy_bom_write(const json_t *entries, const char *path, cnb_error **err)
{
	_cleanup_free_ char *json = json_array_size(entries)
					    ? json_dumps(entries, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)
					    : strdup("null");
	_cleanup_free_ char *text = NULL;
	if (json && asprintf(&text, "%s\n", json) < 0)
		text = NULL;
	_cleanup_free_ char *dir = strdup(path);
	if (!text || !dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	*strrchr(dir, '/') = '\0';
	int rc = cnb__mkdir_p(dir, 0755, err);
	return rc ? rc : cnb__write_file_atomic(path, text, strlen(text), 0644, err);
}
