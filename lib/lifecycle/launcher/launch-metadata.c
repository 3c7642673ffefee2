/* Reading <layers>/config/metadata.toml for the launcher (platform.md "Data Format"; platform.md "launcher" › "Inputs"). */
#include "launch-metadata.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/buildpack-descriptor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What every type error says to do: the file is written by the builder, users cannot fix it by hand. */
#define REBUILD_HINT "rebuild the image"

static int bad_type(cnb_error **err, const char *name, const char *where, const char *key, const char *expected)
{
	return cnb__error_set(err, CNB_EPARSE, "%s: %s%s%s must be %s; " REBUILD_HINT, name, where, *where ? "." : "",
			      key, expected);
}

/* A string key: absent leaves *out NULL. A value holding NUL is refused: it cannot reach argv or env. */
static int get_string(const cnb_toml *table, const char *key, const char *name, const char *where, char **out,
		      cnb_error **err)
{
	const cnb_toml *v = cnb__toml_get(table, key);
	*out = NULL;
	if (!v)
		return 0;
	const char *s = cnb__toml_string(v);
	if (!s)
		return bad_type(err, name, where, key, "a string");
	if (!(*out = strdup(s)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

static int get_bool(const cnb_toml *table, const char *key, const char *name, const char *where, bool *out,
		    cnb_error **err)
{
	const cnb_toml *v = cnb__toml_get(table, key);
	*out = false;
	if (v && !cnb__toml_bool(v, out))
		return bad_type(err, name, where, key, "a boolean");
	return 0;
}

/* An array of strings; absent = empty. */
static int get_strings(const cnb_toml *table, const char *key, const char *name, const char *where,
		       cnb__strv_list *out, cnb_error **err)
{
	const cnb_toml *v = cnb__toml_get(table, key);
	if (!v)
		return 0;
	if (cnb__toml_type(v) != CNB_TOML_ARRAY)
		return bad_type(err, name, where, key, "an array of strings");
	for (size_t i = 0; i < cnb__toml_len(v); i++) {
		const char *s = cnb__toml_string(cnb__toml_at(v, i));
		if (!s)
			return bad_type(err, name, where, key, "an array of strings");
		if (cnb__strv_push(out, s) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

/* `command` is a string (metadata written for Platform API < 0.10) or an array of strings. */
static int get_command(const cnb_toml *table, const char *name, const char *where, cnb__strv_list *out,
		       cnb_error **err)
{
	const char *s = cnb__toml_string(cnb__toml_get(table, "command"));
	if (!s)
		return get_strings(table, "command", name, where, out, err);
	return cnb__strv_push(out, s) < 0 ? cnb__error_set(err, CNB_ENOMEM, "out of memory") : 0;
}

static int parse_buildpack(void *elem, const cnb_toml *t, const char *name, const char *where,
			   cnb_error **err)
{
	cnb__lifecycle_launch_buildpack *bp = elem;
	_cleanup_free_ char *api = NULL;
	int rc;
	if ((rc = get_string(t, "id", name, where, &bp->id, err)) || (rc = get_string(t, "version", name, where, &bp->version, err)) ||
	    (rc = get_string(t, "api", name, where, &api, err)))
		return rc;
	if (!bp->id || !*bp->id)
		return cnb__error_set(err, CNB_EPARSE, "%s: %s has no `id`; " REBUILD_HINT, name, where);
	if (!bp->version && !(bp->version = strdup("")))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_free_ char *who = cnb__lifecycle_bp_ref(bp->id, bp->version);
	if (!who)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	/* platform.md "launcher": a buildpack API the launcher does not know means exit 12, as in every phase. */
	return cnb__lifecycle_api_check_buildpack(api, who, &bp->api, err);
}

static int parse_process(void *elem, const cnb_toml *t, const char *name, const char *where,
			 cnb_error **err)
{
	cnb__lifecycle_launch_process *p = elem;
	int rc;
	if ((rc = get_string(t, "type", name, where, &p->type, err)) || (rc = get_command(t, name, where, &p->command, err)) ||
	    (rc = get_strings(t, "args", name, where, &p->args, err)) || (rc = get_bool(t, "direct", name, where, &p->direct, err)) ||
	    (rc = get_bool(t, "default", name, where, &p->is_default, err)) ||
	    (rc = get_string(t, "buildpack-id", name, where, &p->buildpack_id, err)) ||
	    (rc = get_string(t, "working-dir", name, where, &p->working_dir, err)) ||
	    (rc = get_strings(t, "exec-env", name, where, &p->exec_env, err)))
		return rc;
	if (!p->type || !*p->type)
		return cnb__error_set(err, CNB_EPARSE, "%s: %s has no `type`; " REBUILD_HINT, name, where);
	return 0;
}

static int parse_label(void *elem, const cnb_toml *t, const char *name, const char *where, cnb_error **err)
{
	cnb__lifecycle_launch_label *l = elem;
	int rc;
	if ((rc = get_string(t, "key", name, where, &l->key, err)) || (rc = get_string(t, "value", name, where, &l->value, err)))
		return rc;
	if (!l->key)
		return cnb__error_set(err, CNB_EPARSE, "%s: %s has no `key`; " REBUILD_HINT, name, where);
	return 0;
}

typedef int (*parse_table_fn)(void *elem, const cnb_toml *t, const char *name, const char *where, cnb_error **err);

/*
 * Parses the array of tables at `key` (absent = none) into *out, elements of `size` bytes.
 * *n counts every element that may hold allocations, so the caller frees them even on failure.
 */
static int parse_tables(const cnb_toml *doc, const char *key, const char *name, size_t size, parse_table_fn fn,
			void **out, size_t *n, cnb_error **err)
{
	const cnb_toml *v = cnb__toml_get(doc, key);
	if (!v)
		return 0;
	if (cnb__toml_type(v) != CNB_TOML_ARRAY)
		return bad_type(err, name, "", key, "an array of tables");
	size_t len = cnb__toml_len(v);
	if (len && !(*out = calloc(len, size)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const cnb_toml *t = cnb__toml_at(v, i);
		char where[64];
		snprintf(where, sizeof(where), "%s[%zu]", key, i);
		if (cnb__toml_type(t) != CNB_TOML_TABLE)
			return cnb__error_set(err, CNB_EPARSE, "%s: %s must be a table; " REBUILD_HINT, name, where);
		*n = i + 1;
		int rc = fn((char *)*out + i * size, t, name, where, err);
		if (rc)
			return rc;
	}
	return 0;
}

int cnb__lifecycle_launch_metadata_parse(cnb__lifecycle_launch_metadata **out, const cnb_toml *doc, const char *name, cnb_error **err)
{
	_cleanup_launch_metadata_ cnb__lifecycle_launch_metadata *md = calloc(1, sizeof(*md));
	if (!md)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc;
	if ((rc = get_string(doc, "buildpack-default-process-type", name, "", &md->default_process_type, err)) ||
	    (rc = parse_tables(doc, "buildpacks", name, sizeof(*md->buildpacks), parse_buildpack,
			       (void **)&md->buildpacks, &md->n_buildpacks, err)) ||
	    (rc = parse_tables(doc, "processes", name, sizeof(*md->processes), parse_process, (void **)&md->processes,
			       &md->n_processes, err)) ||
	    (rc = parse_tables(doc, "labels", name, sizeof(*md->labels), parse_label, (void **)&md->labels,
			       &md->n_labels, err)))
		return rc;
	*out = TAKE_PTR(md);
	return 0;
}

int cnb__lifecycle_launch_metadata_load(cnb__lifecycle_launch_metadata **out, const char *layers_dir, cnb_error **err)
{
	_cleanup_free_ char *config = cnb__path_join(layers_dir, "config");
	_cleanup_free_ char *path = config ? cnb__path_join(config, "metadata.toml") : NULL;
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_toml_ cnb_toml *doc = NULL;
	int rc = cnb__toml_parse_file(&doc, path, err);
	return rc < 0 ? rc : cnb__lifecycle_launch_metadata_parse(out, doc, path, err);
}

static void process_free(cnb__lifecycle_launch_process *p)
{
	free(p->type);
	cnb__strv_list_free(&p->command);
	cnb__strv_list_free(&p->args);
	free(p->buildpack_id);
	free(p->working_dir);
	cnb__strv_list_free(&p->exec_env);
}

void cnb__lifecycle_launch_metadata_free(cnb__lifecycle_launch_metadata *md)
{
	if (!md)
		return;
	for (size_t i = 0; i < md->n_buildpacks; i++) {
		free(md->buildpacks[i].id);
		free(md->buildpacks[i].version);
	}
	for (size_t i = 0; i < md->n_processes; i++)
		process_free(&md->processes[i]);
	for (size_t i = 0; i < md->n_labels; i++) {
		free(md->labels[i].key);
		free(md->labels[i].value);
	}
	free(md->buildpacks);
	free(md->processes);
	free(md->labels);
	free(md->default_process_type);
	free(md);
}

const cnb__lifecycle_launch_process *cnb__lifecycle_launch_metadata_find_process(const cnb__lifecycle_launch_metadata *md, const char *type)
{
	for (size_t i = 0; i < md->n_processes; i++)
		if (!strcmp(md->processes[i].type, type))
			return &md->processes[i];
	return NULL;
}

const cnb__lifecycle_launch_buildpack *cnb__lifecycle_launch_metadata_find_buildpack(const cnb__lifecycle_launch_metadata *md, const char *id)
{
	for (size_t i = 0; i < md->n_buildpacks; i++)
		if (!strcmp(md->buildpacks[i].id, id))
			return &md->buildpacks[i];
	return NULL;
}
