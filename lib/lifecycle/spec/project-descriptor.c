/* project.toml schema 0.1 and 0.2 (extensions/project-descriptor.md; pack:pkg/project). */
#include "project-descriptor.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/dir-list.h"

#include <stdlib.h>
#include <string.h>

void cnb__lifecycle_project_descriptor_free(cnb__lifecycle_project_descriptor *d)
{
	if (!d)
		return;
	free(d->schema_version);
	free(d->id);
	free(d->name);
	free(d->version);
	free(d->builder);
	cnb__strv_free(d->include);
	cnb__strv_free(d->exclude);
	for (size_t i = 0; i < d->n_env; i++) {
		free(d->env[i].name);
		free(d->env[i].value);
	}
	free(d->env);
	cnb__lifecycle_project_group groups[] = { { d->group, d->n_group }, d->pre, d->post };
	for (size_t g = 0; g < CNB_ARRAY_SIZE(groups); g++) {
		for (size_t i = 0; i < groups[g].n; i++) {
			cnb__lifecycle_project_buildpack *bp = &groups[g].bps[i];
			free(bp->id);
			free(bp->version);
			free(bp->uri);
			free(bp->script_api);
			free(bp->script_inline);
			free(bp->script_shell);
		}
		free(groups[g].bps);
	}
	free(d);
}

static char *str_or_empty(const cnb_toml *t, const char *key)
{
	const char *s = cnb__toml_get_string(t, key);
	return strdup(s ? s : "");
}

static int patterns(char ***out, const cnb_toml *arr, const char *name, const char *key, cnb_error **err)
{
	size_t n = arr && cnb__toml_type(arr) == CNB_TOML_ARRAY ? cnb__toml_len(arr) : 0;
	if (arr && cnb__toml_type(arr) != CNB_TOML_ARRAY)
		return cnb__error_set(err, CNB_EPARSE, "%s: `%s` must be an array of strings", name, key);
	if (!(*out = calloc(n + 1, sizeof(char *))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *s = cnb__toml_string(cnb__toml_at(arr, i));
		if (!s)
			return cnb__error_set(err, CNB_EPARSE, "%s: `%s` must be an array of strings", name, key);
		if (!((*out)[i] = strdup(s)))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

/* Appends the [[…env]] tables of `arr` (name and value strings). */
static int add_env(cnb__lifecycle_project_descriptor *d, const cnb_toml *arr, const char *name, cnb_error **err)
{
	size_t n = cnb__toml_len(arr);
	cnb__lifecycle_project_env *grown = realloc(d->env, (d->n_env + n + 1) * sizeof(*grown));
	if (!grown)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	d->env = grown;
	for (size_t i = 0; i < n; i++) {
		const cnb_toml *e = cnb__toml_at(arr, i);
		const char *key = cnb__toml_get_string(e, "name"), *value = cnb__toml_get_string(e, "value");
		if (!key || !value)
			return cnb__error_set(err, CNB_EPARSE, "%s: every build env entry needs string `name` and `value`",
					      name);
		cnb__lifecycle_project_env *pe = &d->env[d->n_env++];
		pe->name = strdup(key);
		pe->value = strdup(value);
		if (!pe->name || !pe->value)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *c = s ? strdup(s) : NULL;
	*oom |= s && !c;
	return c;
}

/* An inline buildpack (extensions/project-descriptor.md, "script"): api and inline are required. */
static int add_script(cnb__lifecycle_project_buildpack *bp, const cnb_toml *script, const char *name, size_t index,
		      cnb_error **err)
{
	if (!script)
		return 0;
	bool oom = false;
	bp->script_api = dup_or_null(cnb__toml_get_string(script, "api"), &oom);
	bp->script_inline = dup_or_null(cnb__toml_get_string(script, "inline"), &oom);
	bp->script_shell = dup_or_null(cnb__toml_get_string(script, "shell"), &oom);
	if (oom)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (!bp->script_api || !bp->script_inline)
		return cnb__error_set(err, CNB_EPARSE, "%s: buildpack %zu: `script` needs string `api` and `inline`", name,
				      index + 1);
	if (!*bp->id)
		return cnb__error_set(err, CNB_EPARSE, "%s: buildpack %zu: an inline (script) buildpack needs an `id`", name,
				      index + 1);
	return 0;
}

/* Every entry needs an id, a uri or a script to say which buildpack it is. */
static int add_group(cnb__lifecycle_project_buildpack **out, size_t *out_n, const cnb_toml *arr, const char *name,
		     cnb_error **err)
{
	size_t n = arr && cnb__toml_type(arr) == CNB_TOML_ARRAY ? cnb__toml_len(arr) : 0;
	if (arr && cnb__toml_type(arr) != CNB_TOML_ARRAY)
		return cnb__error_set(err, CNB_EPARSE, "%s: a buildpack group must be an array of tables", name);
	if (!(*out = calloc(n + 1, sizeof(**out))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const cnb_toml *t = cnb__toml_at(arr, i);
		cnb__lifecycle_project_buildpack *bp = &(*out)[(*out_n)++];
		bp->id = str_or_empty(t, "id");
		bp->version = str_or_empty(t, "version");
		bp->uri = str_or_empty(t, "uri");
		if (!bp->id || !bp->version || !bp->uri)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		int r = add_script(bp, cnb__toml_get(t, "script"), name, i, err);
		if (r < 0)
			return r;
		if (!*bp->id && !*bp->uri)
			return cnb__error_set(err, CNB_EPARSE, "%s: buildpack %zu needs an `id` or a `uri`", name, i + 1);
	}
	return 0;
}

int cnb__lifecycle_project_descriptor_parse(cnb__lifecycle_project_descriptor **out, const cnb_toml *doc, const char *name,
				  cnb_error **err)
{
	cnb__lifecycle_project_descriptor *d = calloc(1, sizeof(*d));
	if (!d)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	/* 0.2 has the [_] table; 0.1 keeps project data in [project] and build data in [build]. */
	const cnb_toml *project = cnb__toml_get(doc, "_");
	const cnb_toml *io = cnb__toml_get(cnb__toml_get(doc, "io"), "buildpacks");
	const cnb_toml *build = io;
	bool v02 = project || io;
	const char *schema = cnb__toml_get_string(project, "schema-version");
	if (!v02) {
		project = cnb__toml_get(doc, "project");
		build = cnb__toml_get(doc, "build");
	}
	d->schema_version = strdup(schema ? schema : v02 ? "0.2" : "0.1");
	d->id = str_or_empty(project, "id");
	d->name = str_or_empty(project, "name");
	d->version = str_or_empty(project, "version");
	d->builder = str_or_empty(build, "builder");
	int rc = d->schema_version && d->id && d->name && d->version && d->builder
			 ? 0
			 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0 && strcmp(d->schema_version, "0.1") && strcmp(d->schema_version, "0.2"))
		rc = cnb__error_set(err, CNB_EUNSUPPORTED, "%s: project descriptor schema-version %s is not supported (0.1, 0.2)",
				    name, d->schema_version);
	if (rc == 0)
		rc = patterns(&d->include, cnb__toml_get(build, "include"), name, "include", err);
	if (rc == 0)
		rc = patterns(&d->exclude, cnb__toml_get(build, "exclude"), name, "exclude", err);
	if (rc == 0 && d->include[0] && d->exclude[0])
		rc = cnb__error_set(err, CNB_EPARSE, "%s: set either `include` or `exclude`, not both", name);
	/* 0.2: [[io.buildpacks.build.env]], and the deprecated [[io.buildpacks.env.build]]. */
	if (rc == 0)
		rc = add_env(d, v02 ? cnb__toml_get(cnb__toml_get(build, "build"), "env") : cnb__toml_get(build, "env"),
			     name, err);
	if (rc == 0 && v02)
		rc = add_env(d, cnb__toml_get(cnb__toml_get(build, "env"), "build"), name, err);
	if (rc == 0)
		rc = add_group(&d->group, &d->n_group, cnb__toml_get(build, v02 ? "group" : "buildpacks"), name, err);
	if (rc == 0 && v02)
		rc = add_group(&d->pre.bps, &d->pre.n, cnb__toml_get(cnb__toml_get(build, "pre"), "group"), name, err);
	if (rc == 0 && v02)
		rc = add_group(&d->post.bps, &d->post.n, cnb__toml_get(cnb__toml_get(build, "post"), "group"), name, err);
	if (rc) {
		cnb__lifecycle_project_descriptor_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

int cnb__lifecycle_project_descriptor_load(cnb__lifecycle_project_descriptor **out, const char *path, cnb_error **err)
{
	_cleanup_toml_ cnb_toml *doc = NULL;
	int rc = cnb__toml_parse_file(&doc, path, err);
	return rc < 0 ? rc : cnb__lifecycle_project_descriptor_parse(out, doc, path, err);
}

int cnb__lifecycle_project_descriptor_write_env(const cnb__lifecycle_project_descriptor *d, const char *platform_dir, cnb_error **err)
{
	_cleanup_free_ char *dir = cnb__path_join(platform_dir, "env");
	if (!dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = d->n_env ? cnb__mkdir_p(dir, 0755, err) : 0;
	for (size_t i = 0; rc == 0 && i < d->n_env; i++) {
		const char *key = d->env[i].name;
		/* The name becomes a file name: it comes from the app source, so no paths. */
		if (!*key || !strcmp(key, ".") || !strcmp(key, "..") || strpbrk(key, "/="))
			return cnb__error_set(err, CNB_EUNSAFE, "project.toml: build env name \"%s\" is not a valid variable name", key);
		_cleanup_free_ char *path = cnb__path_join(dir, key);
		if (!path)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		rc = cnb__write_file_atomic(path, d->env[i].value, strlen(d->env[i].value), 0644, err);
	}
	return rc;
}
