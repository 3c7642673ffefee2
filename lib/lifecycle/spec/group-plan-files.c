/* group.toml / plan.toml writing and reading (platform.md "Data Format"). */
#include "group-plan-files.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <stdlib.h>
#include <string.h>

int cnb__lifecycle_toml_doc_write_file(const cnb_toml *doc, const char *path, cnb_error **err)
{
	_cleanup_buf_ cnb__buf text = CNB_BUF_INIT;
	int rc = cnb__toml_write(doc, &text, err);
	if (rc == 0)
		rc = cnb__write_file_atomic(path, text.data ? text.data : "", text.len, 0644, err);
	return rc ? cnb__error_prefix(err, "write %s", path) : 0;
}

/* table[key] = string, skipped when `omit_empty` and empty; 0 or -1. */
static int set_str(cnb_toml *table, const char *key, const char *value, bool omit_empty)
{
	if (omit_empty && (!value || !*value))
		return 0;
	return cnb__toml_set(table, key, cnb__toml_new_string(value ? value : ""));
}

static cnb_toml *elem_table(const cnb__lifecycle_group_elem *e, bool with_api)
{
	cnb_toml *t = cnb__toml_new_table();
	if (!t || set_str(t, "id", e->id, false) < 0 || set_str(t, "version", e->version, false) < 0 ||
	    (with_api && (set_str(t, "api", e->api, false) < 0 || set_str(t, "homepage", e->homepage, true) < 0))) {
		cnb__toml_free(t);
		return NULL;
	}
	return t;
}

/* doc[key] = a new array (returned, owned by doc), or NULL on OOM. */
static cnb_toml *add_array(cnb_toml *doc, const char *key)
{
	cnb_toml *arr = cnb__toml_new_array();
	if (!arr || cnb__toml_set(doc, key, arr) < 0)
		return NULL;
	return arr;
}

int cnb__lifecycle_group_file_write(const char *path, const cnb__lifecycle_group_elem *const *group, size_t n, cnb_error **err)
{
	bool any_extension = false;
	for (size_t i = 0; i < n; i++)
		any_extension |= group[i]->extension;
	cnb_toml *doc = cnb__toml_new_table();
	cnb_toml *arr = doc ? add_array(doc, "group") : NULL;
	cnb_toml *ext = arr && any_extension ? add_array(doc, "group-extensions") : NULL;
	int rc = arr && (ext || !any_extension) ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = cnb__toml_push(group[i]->extension ? ext : arr, elem_table(group[i], true));
	rc = rc ? cnb__error_set(err, CNB_ENOMEM, "out of memory") : cnb__lifecycle_toml_doc_write_file(doc, path, err);
	cnb__toml_free(doc);
	return rc;
}

static cnb_toml *require_table(const cnb__lifecycle_plan_require *r)
{
	cnb_toml *t = cnb__toml_new_table();
	if (!t || set_str(t, "name", r->name, false) < 0 ||
	    (r->metadata && cnb__toml_set(t, "metadata", cnb__toml_clone(r->metadata)) < 0)) {
		cnb__toml_free(t);
		return NULL;
	}
	return t;
}

int cnb__lifecycle_plan_file_write(const char *path, const cnb__lifecycle_plan_result *plan, cnb_error **err)
{
	cnb_toml *doc = cnb__toml_new_table();
	cnb_toml *entries = doc ? add_array(doc, "entries") : NULL;
	int rc = entries ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < plan->n_entries; i++) {
		const cnb__lifecycle_plan_entry *e = &plan->entries[i];
		cnb_toml *entry = cnb__toml_new_table();
		if (!entry || cnb__toml_push(entries, entry) < 0) {
			rc = -1;
			break;
		}
		cnb_toml *providers = add_array(entry, "providers");
		cnb_toml *requires = add_array(entry, "requires");
		if (!providers || !requires) {
			rc = -1;
			break;
		}
		for (size_t p = 0; rc == 0 && p < e->n_providers; p++) {
			cnb_toml *t = elem_table(e->providers[p], false);
			/* platform.md "plan.toml": `extension` is true for an image extension, false by default. */
			if (t && e->providers[p]->extension && cnb__toml_set(t, "extension", cnb__toml_new_bool(true)) < 0) {
				cnb__toml_free(t);
				t = NULL;
			}
			rc = cnb__toml_push(providers, t);
		}
		for (size_t r = 0; rc == 0 && r < e->n_requires; r++)
			rc = cnb__toml_push(requires, require_table(e->requires[r]));
	}
	rc = rc ? cnb__error_set(err, CNB_ENOMEM, "out of memory") : cnb__lifecycle_toml_doc_write_file(doc, path, err);
	cnb__toml_free(doc);
	return rc;
}

static int group_read(const char *path, const char *key, cnb__lifecycle_group_elem **out, size_t *n, cnb_error **err)
{
	cnb_toml *doc = NULL;
	int rc = cnb__toml_parse_file(&doc, path, err);
	if (rc)
		return cnb__error_prefix(err, "read group");
	const cnb_toml *group = cnb__toml_get(doc, key);
	size_t len = cnb__toml_len(group);
	cnb__lifecycle_group_elem *v = calloc(len + 1, sizeof(*v));
	if (!v) {
		cnb__toml_free(doc);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < len && rc == 0; i++) {
		const cnb_toml *el = cnb__toml_at(group, i);
		const char *id = cnb__toml_get_string(el, "id"), *version = cnb__toml_get_string(el, "version");
		const char *api = cnb__toml_get_string(el, "api"), *homepage = cnb__toml_get_string(el, "homepage");
		if (!id || !version) {
			rc = cnb__error_set(err, CNB_EPARSE, "%s: group element %zu needs `id` and `version`", path, i + 1);
			break;
		}
		v[i].id = strdup(id);
		v[i].version = strdup(version);
		v[i].api = strdup(api ? api : "");
		v[i].homepage = strdup(homepage ? homepage : "");
		v[i].extension = !strcmp(key, "group-extensions");
		if (!v[i].id || !v[i].version || !v[i].api || !v[i].homepage)
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	cnb__toml_free(doc);
	if (rc) {
		for (size_t i = 0; i < len; i++)
			cnb__lifecycle_group_elem_free(&v[i]);
		free(v);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

int cnb__lifecycle_group_file_read(const char *path, cnb__lifecycle_group_elem **out, size_t *n, cnb_error **err)
{
	return group_read(path, "group", out, n, err);
}

int cnb__lifecycle_group_extensions_read(const char *path, cnb__lifecycle_group_elem **out, size_t *n, cnb_error **err)
{
	return group_read(path, "group-extensions", out, n, err);
}

bool cnb__lifecycle_plan_entry_has_provider(const cnb_toml *entry, const char *id, bool extension)
{
	const cnb_toml *providers = cnb__toml_get(entry, "providers");
	for (size_t p = 0; p < cnb__toml_len(providers); p++) {
		const cnb_toml *provider = cnb__toml_at(providers, p);
		const char *pid = cnb__toml_get_string(provider, "id");
		bool ext = false;
		cnb__toml_bool(cnb__toml_get(provider, "extension"), &ext);
		if (pid && !strcmp(pid, id) && ext == extension)
			return true;
	}
	return false;
}
