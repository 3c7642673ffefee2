/* launch.toml per Buildpack API, process merging, metadata.toml (platform.md "Data Format"; platform.md "builder"; buildpack.md "launch.toml (TOML)"). */
#include "build-launch-data.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/lifecycle/spec/group-plan-files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void process_free(cnb__lifecycle_bp_process *p)
{
	free(p->type);
	cnb__strv_free(p->command);
	cnb__strv_free(p->args);
	free(p->working_dir);
	cnb__strv_free(p->exec_env);
	free(p->buildpack_id);
	memset(p, 0, sizeof(*p));
}

void cnb__lifecycle_launch_toml_free(cnb__lifecycle_launch_data *l)
{
	for (size_t i = 0; i < l->n_processes; i++)
		process_free(&l->processes[i]);
	free(l->processes);
	for (size_t i = 0; i < l->n_labels; i++) {
		free(l->labels[i].key);
		free(l->labels[i].value);
	}
	free(l->labels);
	for (size_t i = 0; i < l->n_slices; i++)
		cnb__strv_free(l->slices[i]);
	free(l->slices);
	free(l->default_type);
	memset(l, 0, sizeof(*l));
}

/* A string array (or, with `allow_string`, a single string) as a NULL-terminated list. */
static int to_strv(char ***out, const cnb_toml *v, bool allow_string, const char *what, cnb_error **err)
{
	size_t n = v && cnb__toml_type(v) == CNB_TOML_ARRAY ? cnb__toml_len(v) : 0;
	if (v && cnb__toml_type(v) != CNB_TOML_ARRAY && !(allow_string && cnb__toml_string(v)))
		return cnb__error_set(err, CNB_EPARSE, "%s must be %s", what,
				      allow_string ? "a string" : "an array of strings");
	char **list = calloc(n + 2, sizeof(*list));
	if (!list)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (v && cnb__toml_type(v) == CNB_TOML_STRING)
		list[0] = strdup(cnb__toml_string(v));
	for (size_t i = 0; i < n; i++) {
		const char *s = cnb__toml_string(cnb__toml_at(v, i));
		if (!s) {
			cnb__strv_free(list);
			return cnb__error_set(err, CNB_EPARSE, "%s must be an array of strings", what);
		}
		list[i] = strdup(s);
	}
	for (size_t i = 0; i < n + (v && cnb__toml_type(v) == CNB_TOML_STRING); i++)
		if (!list[i]) {
			cnb__strv_free(list);
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
	*out = list;
	return 0;
}

/* buildpack.md "launch.toml": process types are [A-Za-z0-9._-]; the exporter also refuses /><:|&\. */
static bool valid_type(const char *t)
{
	return *t && strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(t);
}

#define warnf(warn, ud, ...) cnb__line_printf(warn, ud, __VA_ARGS__)

static int parse_process(cnb__lifecycle_bp_process *p, const cnb_toml *t, const cnb__lifecycle_bp_descriptor *bp, const char *where,
			 cnb__lifecycle_launch_toml_warn_fn warn, void *ud, cnb_error **err)
{
	const char *type = cnb__toml_get_string(t, "type");
	if (!type || !valid_type(type))
		return cnb__error_set(err, CNB_EPARSE, "%s: process type \"%s\" is invalid (letters, digits, `.`, `_`, `-`)",
				      where, type ? type : "");
	bool api09 = cnb__lifecycle_api_at_least(bp->api, 0, 9);
	const cnb_toml *command = cnb__toml_get(t, "command");
	if (!command || (api09 && cnb__toml_type(command) != CNB_TOML_ARRAY) ||
	    (!api09 && cnb__toml_type(command) != CNB_TOML_STRING))
		return cnb__error_set(err, CNB_EPARSE, "%s: process \"%s\": `command` must be %s for Buildpack API %s",
				      where, type, api09 ? "an array of strings" : "a string", bp->api_text);
	if (api09 && cnb__toml_get(t, "direct"))
		return cnb__error_set(err, CNB_EPARSE,
				      "%s: process \"%s\": `direct` is not allowed from Buildpack API 0.9 on (processes "
				      "are always direct)",
				      where, type);
	if (!(p->type = strdup(type)) || !(p->buildpack_id = strdup(bp->id)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = to_strv(&p->command, command, !api09, "`command`", err);
	if (!rc)
		rc = to_strv(&p->args, cnb__toml_get(t, "args"), false, "`args`", err);
	if (!rc && cnb__toml_get(t, "exec-env"))
		rc = to_strv(&p->exec_env, cnb__toml_get(t, "exec-env"), false, "`exec-env`", err);
	if (rc)
		return cnb__error_prefix(err, "%s: process \"%s\"", where, type);
	if (api09 && !p->command[0])
		return cnb__error_set(err, CNB_EPARSE, "%s: process \"%s\": `command` is empty", where, type);
	/* From API 0.9 every process is direct; before, `direct` defaults to false (a shell process). */
	p->direct = api09;
	if (!api09)
		cnb__toml_bool(cnb__toml_get(t, "direct"), &p->direct);
	cnb__toml_bool(cnb__toml_get(t, "default"), &p->is_default);
	const char *wd = cnb__toml_get_string(t, "working-dir");
	if (wd && *wd && !cnb__lifecycle_api_at_least(bp->api, 0, 8))
		warnf(warn, ud, "warning: %s: process \"%s\": working-dir needs Buildpack API 0.8; ignored", where, type);
	else if (wd && *wd && !(p->working_dir = strdup(wd)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

int cnb__lifecycle_launch_toml_parse(cnb__lifecycle_launch_data *out, const cnb_toml *doc, const cnb__lifecycle_bp_descriptor *bp, const char *path,
			   cnb__lifecycle_launch_toml_warn_fn warn, void *ud, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	const cnb_toml *procs = cnb__toml_get(doc, "processes"), *labels = cnb__toml_get(doc, "labels"),
		       *slices = cnb__toml_get(doc, "slices");
	size_t np = cnb__toml_len(procs), nl = cnb__toml_len(labels), ns = cnb__toml_len(slices);
	out->processes = calloc(np + 1, sizeof(*out->processes));
	out->labels = calloc(nl + 1, sizeof(*out->labels));
	out->slices = calloc(ns + 1, sizeof(*out->slices));
	if (!out->processes || !out->labels || !out->slices)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	bool have_default = false;
	for (size_t i = 0; i < np; i++) {
		cnb__lifecycle_bp_process *p = &out->processes[out->n_processes++];
		int rc = parse_process(p, cnb__toml_at(procs, i), bp, path, warn, ud, err);
		if (rc)
			return rc;
		if (p->is_default && have_default)
			return cnb__error_set(err, CNB_EPARSE, "%s: more than one process has default = true", path);
		have_default |= p->is_default;
	}
	for (size_t i = 0; i < nl; i++) {
		const char *key = cnb__toml_get_string(cnb__toml_at(labels, i), "key");
		const char *value = cnb__toml_get_string(cnb__toml_at(labels, i), "value");
		if (!key || !value)
			return cnb__error_set(err, CNB_EPARSE, "%s: every [[labels]] needs a string `key` and `value`", path);
		cnb__lifecycle_bp_label *l = &out->labels[out->n_labels++];
		if (!(l->key = strdup(key)) || !(l->value = strdup(value)))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < ns; i++) {
		int rc = to_strv(&out->slices[i], cnb__toml_get(cnb__toml_at(slices, i), "paths"), false,
				 "[[slices]] paths", err);
		if (rc)
			return cnb__error_prefix(err, "%s", path);
		out->n_slices++;
	}
	return 0;
}

int cnb__lifecycle_launch_toml_read(cnb__lifecycle_launch_data *out, const char *path, const cnb__lifecycle_bp_descriptor *bp,
			  cnb__lifecycle_launch_toml_warn_fn warn, void *ud, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	cnb_toml *doc = NULL;
	int rc = cnb__toml_parse_file(&doc, path, err);
	if (rc == 0)
		rc = cnb__lifecycle_launch_toml_parse(out, doc, bp, path, warn, ud, err);
	cnb__toml_free(doc);
	if (rc) {
		cnb__lifecycle_launch_toml_free(out);
		cnb__error_prefix(err, "buildpack %s@%s", bp->id, bp->version);
	}
	return rc;
}

static int grow(void *arrayp, size_t n, size_t add, size_t size)
{
	void **array = arrayp;
	void *grown = realloc(*array, (n + add + 1) * size);
	if (!grown)
		return -1;
	*array = grown;
	return 0;
}

int cnb__lifecycle_launch_toml_merge(cnb__lifecycle_launch_data *merged, cnb__lifecycle_launch_data *bp, cnb__lifecycle_launch_toml_warn_fn warn, void *ud,
			   cnb_error **err)
{
	if (grow(&merged->processes, merged->n_processes, bp->n_processes, sizeof(cnb__lifecycle_bp_process)) < 0 ||
	    grow(&merged->labels, merged->n_labels, bp->n_labels, sizeof(cnb__lifecycle_bp_label)) < 0 ||
	    grow(&merged->slices, merged->n_slices, bp->n_slices, sizeof(char **)) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < bp->n_processes; i++) {
		cnb__lifecycle_bp_process *p = &bp->processes[i];
		if (p->is_default) {
			free(merged->default_type);
			if (!(merged->default_type = strdup(p->type)))
				return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		} else if (merged->default_type && !strcmp(merged->default_type, p->type)) {
			/* buildpack.md "launch.toml": a redefinition without default=true is no longer the default. */
			warnf(warn, ud, "warning: %s redefines process type \"%s\" without default = true; there is no "
				  "default process now", p->buildpack_id, p->type);
			free(merged->default_type);
			merged->default_type = NULL;
		}
		size_t j = 0;
		while (j < merged->n_processes && strcmp(merged->processes[j].type, p->type))
			j++;
		if (j < merged->n_processes)
			process_free(&merged->processes[j]);
		else
			merged->n_processes++;
		merged->processes[j] = *p;
		memset(p, 0, sizeof(*p));
	}
	memcpy(merged->labels + merged->n_labels, bp->labels, bp->n_labels * sizeof(cnb__lifecycle_bp_label));
	merged->n_labels += bp->n_labels;
	memcpy(merged->slices + merged->n_slices, bp->slices, bp->n_slices * sizeof(char **));
	merged->n_slices += bp->n_slices;
	bp->n_labels = bp->n_slices = 0;
	cnb__lifecycle_launch_toml_free(bp);
	return 0;
}

static cnb_toml *strv_array(char *const *list)
{
	cnb_toml *arr = cnb__toml_new_array();
	for (size_t i = 0; arr && list && list[i]; i++)
		if (cnb__toml_push(arr, cnb__toml_new_string(list[i])) < 0) {
			cnb__toml_free(arr);
			return NULL;
		}
	return arr;
}

/* table[key] = value; 0 or -1 (value owned by the table even on failure). */
static int put(cnb_toml *table, const char *key, cnb_toml *value)
{
	return value ? cnb__toml_set(table, key, value) : -1;
}

static cnb_toml *process_table(const cnb__lifecycle_bp_process *p)
{
	cnb_toml *t = cnb__toml_new_table();
	if (!t || put(t, "type", cnb__toml_new_string(p->type)) < 0 || put(t, "command", strv_array(p->command)) < 0 ||
	    (p->args && p->args[0] && put(t, "args", strv_array(p->args)) < 0) ||
	    put(t, "direct", cnb__toml_new_bool(p->direct)) < 0 ||
	    put(t, "buildpack-id", cnb__toml_new_string(p->buildpack_id)) < 0 ||
	    (p->working_dir && put(t, "working-dir", cnb__toml_new_string(p->working_dir)) < 0) ||
	    (p->exec_env && put(t, "exec-env", strv_array(p->exec_env)) < 0)) {
		cnb__toml_free(t);
		return NULL;
	}
	return t;
}

static int cmp_process(const void *a, const void *b)
{
	return strcmp((*(const cnb__lifecycle_bp_process *const *)a)->type, (*(const cnb__lifecycle_bp_process *const *)b)->type);
}

static int build_metadata(cnb_toml *doc, const cnb__lifecycle_launch_data *m, const cnb__lifecycle_group_elem *group, size_t n_group)
{
	if (m->default_type && put(doc, "buildpack-default-process-type", cnb__toml_new_string(m->default_type)) < 0)
		return -1;
	/* Empty lists are left out, as the reference's TOML encoder leaves out nil slices (lifecycle phase/builder.go). */
	cnb_toml *bps = cnb__toml_new_array(), *procs = m->n_processes ? cnb__toml_new_array() : NULL,
		 *labels = m->n_labels ? cnb__toml_new_array() : NULL, *slices = m->n_slices ? cnb__toml_new_array() : NULL;
	if (put(doc, "buildpacks", bps) < 0 || (m->n_processes && put(doc, "processes", procs) < 0) ||
	    (m->n_labels && put(doc, "labels", labels) < 0) || (m->n_slices && put(doc, "slices", slices) < 0))
		return -1;
	for (size_t i = 0; i < n_group; i++) {
		cnb_toml *t = cnb__toml_new_table();
		if (cnb__toml_push(bps, t) < 0 || put(t, "id", cnb__toml_new_string(group[i].id)) < 0 ||
		    put(t, "version", cnb__toml_new_string(group[i].version)) < 0 ||
		    put(t, "api", cnb__toml_new_string(group[i].api)) < 0 ||
		    (*group[i].homepage && put(t, "homepage", cnb__toml_new_string(group[i].homepage)) < 0))
			return -1;
	}
	_cleanup_free_ const cnb__lifecycle_bp_process **sorted = calloc(m->n_processes + 1, sizeof(*sorted));
	if (!sorted)
		return -1;
	for (size_t i = 0; i < m->n_processes; i++)
		sorted[i] = &m->processes[i];
	if (m->n_processes)
		qsort(sorted, m->n_processes, sizeof(*sorted), cmp_process);
	for (size_t i = 0; i < m->n_processes; i++)
		if (cnb__toml_push(procs, process_table(sorted[i])) < 0)
			return -1;
	for (size_t i = 0; i < m->n_labels; i++) {
		cnb_toml *t = cnb__toml_new_table();
		if (cnb__toml_push(labels, t) < 0 || put(t, "key", cnb__toml_new_string(m->labels[i].key)) < 0 ||
		    put(t, "value", cnb__toml_new_string(m->labels[i].value)) < 0)
			return -1;
	}
	for (size_t i = 0; i < m->n_slices; i++) {
		cnb_toml *t = cnb__toml_new_table();
		if (cnb__toml_push(slices, t) < 0 || put(t, "paths", strv_array(m->slices[i])) < 0)
			return -1;
	}
	return 0;
}

int cnb__lifecycle_launch_toml_write_metadata(const char *path, const cnb__lifecycle_launch_data *merged, const cnb__lifecycle_group_elem *group,
			       size_t n_group, cnb_error **err)
{
	cnb_toml *doc = cnb__toml_new_table();
	int rc = doc && build_metadata(doc, merged, group, n_group) == 0
			 ? cnb__lifecycle_toml_doc_write_file(doc, path, err)
			 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__toml_free(doc);
	return rc;
}
