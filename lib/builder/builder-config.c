/* builder.toml parsing (pack's format). */
#include "builder-config.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"
#include "oci/platform.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *cnb__builder_resolve_uri(const char *uri, const char *base_dir)
{
	if (!strncmp(uri, "docker://", 9) || !strncmp(uri, "oci:", 4))
		return strdup(uri);
	if (!strncmp(uri, "file://", 7))
		uri += 7;
	if (uri[0] == '/')
		return strdup(uri);
	/* A relative path if it starts like one or names something that exists; else an image ref. */
	_cleanup_free_ char *joined = cnb__path_join(base_dir, uri);
	if (!joined)
		return NULL;
	if (!strncmp(uri, "./", 2) || !strncmp(uri, "../", 3) || access(joined, F_OK) == 0)
		return TAKE_PTR(joined);
	return strdup(uri);
}

/* [[buildpacks]] or, with `key` "extensions", [[extensions]]: appended to c->buildpacks. */
static int parse_buildpacks(cnb__builder_config *c, const cnb_toml *list, const char *key, const char *path,
			    const char *base, cnb_error **err)
{
	size_t n = cnb__toml_len(list);
	bool extension = !strcmp(key, "extensions");
	if (list && cnb__toml_type(list) != CNB_TOML_ARRAY)
		return cnb__error_set(err, CNB_EPARSE, "%s: %s must be an array of tables ([[%s]])", path, key, key);
	cnb__builder_bp *grown = realloc(c->buildpacks, (c->n_buildpacks + n + 1) * sizeof(*grown));
	if (!grown)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	c->buildpacks = grown;
	for (size_t i = 0; i < n; i++) {
		const cnb_toml *bp = cnb__toml_at(list, i);
		const char *uri = cnb__toml_get_string(bp, "uri");
		const char *id = cnb__toml_get_string(bp, "id");
		if (!uri && !id)
			return cnb__error_set(err, CNB_EINVAL, "%s: %s[%zu] has neither uri nor id", path, key, i);
		if (!uri)
			return cnb__error_set(err, CNB_EUNSUPPORTED,
					      "%s: %s[%zu] (%s) has no uri: modules from a registry by id "
					      "are not supported, give a directory, a .cnb file or an image as uri",
					      path, key, i, id);
		cnb__builder_bp *out = &c->buildpacks[c->n_buildpacks++];
		*out = (cnb__builder_bp){ .extension = extension };
		out->id = dup_or_null(id);
		out->version = dup_or_null(cnb__toml_get_string(bp, "version"));
		out->uri = cnb__builder_resolve_uri(uri, base);
		if (!out->uri || (id && !out->id))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

static int parse_build(cnb__builder_config *c, const cnb_toml *build, const cnb_toml *stack, const char *path,
		       cnb_error **err)
{
	const char *image = cnb__toml_get_string(build, "image");
	if (!image)
		image = cnb__toml_get_string(stack, "build-image");
	if (!image)
		return cnb__error_set(err, CNB_EINVAL, "%s: no build image: set [build] image = \"REF\"", path);
	if (!(c->build_image = strdup(image)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	const cnb_toml *env = cnb__toml_get(build, "env");
	size_t n = cnb__toml_len(env);
	if (!(c->build_env = calloc(n + 1, sizeof(*c->build_env))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	static const char *const suffixes[] = { "default", "override", "append", "prepend" };
	for (size_t i = 0; i < n; i++) {
		const cnb_toml *e = cnb__toml_at(env, i);
		const char *name = cnb__toml_get_string(e, "name"), *value = cnb__toml_get_string(e, "value");
		const char *suffix = cnb__toml_get_string(e, "suffix");
		if (!name || !*name || strchr(name, '/') || strchr(name, '.') || !value)
			return cnb__error_set(err, CNB_EINVAL, "%s: build.env[%zu] needs a plain name and a value", path, i);
		bool known = !suffix;
		for (size_t k = 0; suffix && k < CNB_ARRAY_SIZE(suffixes); k++)
			known |= !strcmp(suffix, suffixes[k]);
		if (!known)
			return cnb__error_set(err, CNB_EINVAL,
					      "%s: build.env %s: suffix '%s' is not one of default, override, append, prepend",
					      path, name, suffix);
		cnb__builder_env *out = &c->build_env[c->n_build_env++];
		out->name = strdup(name);
		out->value = strdup(value);
		out->suffix = dup_or_null(suffix);
		out->delim = dup_or_null(cnb__toml_get_string(e, "delim"));
		if (!out->name || !out->value)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

static char **string_array(const cnb_toml *arr)
{
	size_t n = cnb__toml_len(arr);
	char **out = calloc(n + 1, sizeof(char *));
	for (size_t i = 0, j = 0; out && i < n; i++)
		if (cnb__toml_string(cnb__toml_at(arr, i)) && !(out[j++] = strdup(cnb__toml_string(cnb__toml_at(arr, i)))))
			return NULL; /* leaks on OOM only */
	return out;
}

static int parse_run(cnb__builder_config *c, const cnb_toml *run, const cnb_toml *stack, const char *path,
		     cnb_error **err)
{
	const cnb_toml *images = cnb__toml_get(run, "images");
	size_t n = cnb__toml_len(images);
	if (!(c->run_images = calloc(n + 2, sizeof(*c->run_images))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const cnb_toml *img = cnb__toml_at(images, i);
		const char *ref = cnb__toml_get_string(img, "image");
		if (!ref)
			return cnb__error_set(err, CNB_EINVAL, "%s: run.images[%zu] has no image", path, i);
		cnb__builder_run_image *out = &c->run_images[c->n_run_images++];
		if (!(out->image = strdup(ref)) || !(out->mirrors = string_array(cnb__toml_get(img, "mirrors"))))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	const char *stack_run = cnb__toml_get_string(stack, "run-image");
	if (!c->n_run_images && stack_run) {
		cnb__builder_run_image *out = &c->run_images[c->n_run_images++];
		if (!(out->image = strdup(stack_run)) ||
		    !(out->mirrors = string_array(cnb__toml_get(stack, "run-image-mirrors"))))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (!c->n_run_images)
		return cnb__error_set(err, CNB_EINVAL, "%s: no run image: add [[run.images]] image = \"REF\"", path);
	return 0;
}

/* [system.pre] or [system.post]: buildpacks = [{ id, version, optional }] (pack builder.toml). */
static int parse_system_group(cnb__lifecycle_order_group *out, const cnb_toml *part, const char *which, const char *path,
			      cnb_error **err)
{
	const cnb_toml *list = cnb__toml_get(part, "buildpacks");
	size_t n = cnb__toml_len(list);
	if (list && cnb__toml_type(list) != CNB_TOML_ARRAY)
		return cnb__error_set(err, CNB_EPARSE, "%s: [system.%s] buildpacks must be an array of tables", path, which);
	if (!(out->elems = calloc(n + 1, sizeof(*out->elems))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const cnb_toml *bp = cnb__toml_at(list, i);
		const char *id = cnb__toml_get_string(bp, "id");
		if (!id)
			return cnb__error_set(err, CNB_EINVAL, "%s: [system.%s] buildpacks[%zu] needs an id", path, which, i);
		cnb__lifecycle_order_elem *e = &out->elems[out->n++];
		cnb__toml_bool(cnb__toml_get(bp, "optional"), &e->optional);
		e->id = strdup(id);
		e->version = dup_or_null(cnb__toml_get_string(bp, "version"));
		if (!e->id || (cnb__toml_get_string(bp, "version") && !e->version))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

static int parse_system(cnb__builder_config *c, const cnb_toml *system, const char *path, cnb_error **err)
{
	if (!system)
		return 0;
	if (!(c->system.groups = calloc(2, sizeof(*c->system.groups))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	c->system.n = 2;
	int r = parse_system_group(&c->system.groups[0], cnb__toml_get(system, "pre"), "pre", path, err);
	return r ? r : parse_system_group(&c->system.groups[1], cnb__toml_get(system, "post"), "post", path, err);
}

/* Top-level keys of pack's builder.toml; anything else is reported, not silently dropped. */
static int find_unknown(cnb__builder_config *c, const cnb_toml *doc)
{
	static const char *const known[] = { "description", "buildpacks", "extensions", "order", "order-extensions",
					     "stack", "build", "run", "system", "lifecycle", "targets" };
	size_t n = cnb__toml_len(doc), k = 0;
	if (!(c->unknown = calloc(n + 1, sizeof(char *))))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *key = cnb__toml_key_at(doc, i);
		bool found = false;
		for (size_t j = 0; key && j < CNB_ARRAY_SIZE(known) && !found; j++)
			found = !strcmp(key, known[j]);
		if (key && !found && !(c->unknown[k++] = strdup(key)))
			return -1;
	}
	return 0;
}

int cnb__builder_config_platform(const cnb__builder_config *c, const char *requested, const char **out,
				 cnb_error **err)
{
	return cnb__builder_targets_pick(c->targets, c->n_targets, requested, "the builder's", out, err);
}

int cnb__builder_config_load(cnb__builder_config **out, const char *path, cnb_error **err)
{
	cnb_toml *doc = NULL;
	int r = cnb__toml_parse_file(&doc, path, err);
	if (r < 0)
		return cnb__error_prefix(err, "builder config");
	cnb__builder_config *c = calloc(1, sizeof(*c));
	_cleanup_free_ char *path_copy = strdup(path);
	if (!c || !path_copy) {
		free(c);
		cnb__toml_free(doc);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	const char *base = dirname(path_copy);
	const cnb_toml *stack = cnb__toml_get(doc, "stack");
	if (r == 0 && cnb__toml_get_string(doc, "description") && !(c->description = strdup(cnb__toml_get_string(doc, "description"))))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r == 0)
		r = parse_buildpacks(c, cnb__toml_get(doc, "buildpacks"), "buildpacks", path, base, err);
	if (r == 0)
		r = parse_buildpacks(c, cnb__toml_get(doc, "extensions"), "extensions", path, base, err);
	if (r == 0 && !cnb__toml_get(doc, "order"))
		r = cnb__error_set(err, CNB_EINVAL, "%s: no [[order]]: a builder needs at least one group", path);
	if (r == 0)
		r = cnb__lifecycle_order_parse(&c->order, cnb__toml_get(doc, "order"), path, err);
	if (r == 0)
		r = cnb__lifecycle_order_parse(&c->order_ext, cnb__toml_get(doc, "order-extensions"), path, err);
	for (size_t g = 0; r == 0 && g < c->order_ext.n; g++)
		for (size_t i = 0; i < c->order_ext.groups[g].n; i++)
			c->order_ext.groups[g].elems[i].extension = true;
	if (r == 0)
		r = parse_build(c, cnb__toml_get(doc, "build"), stack, path, err);
	if (r == 0)
		r = parse_run(c, cnb__toml_get(doc, "run"), stack, path, err);
	if (r == 0 && cnb__toml_get_string(stack, "id") && !(c->stack_id = strdup(cnb__toml_get_string(stack, "id"))))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r == 0)
		r = parse_system(c, cnb__toml_get(doc, "system"), path, err);
	if (r == 0)
		r = cnb__builder_targets_parse(&c->targets, &c->n_targets, cnb__toml_get(doc, "targets"), path, false, err);
	c->lifecycle = cnb__toml_get(doc, "lifecycle") != NULL;
	if (r == 0 && find_unknown(c, doc) < 0)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__toml_free(doc);
	if (r < 0) {
		cnb__builder_config_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void cnb__builder_config_free(cnb__builder_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_buildpacks; i++) {
		free(c->buildpacks[i].id);
		free(c->buildpacks[i].version);
		free(c->buildpacks[i].uri);
	}
	free(c->buildpacks);
	cnb__lifecycle_order_free(&c->order);
	cnb__lifecycle_order_free(&c->order_ext);
	cnb__lifecycle_order_free(&c->system);
	cnb__strv_free(c->targets);
	cnb__strv_free(c->unknown);
	for (size_t i = 0; i < c->n_build_env; i++) {
		free(c->build_env[i].name);
		free(c->build_env[i].value);
		free(c->build_env[i].suffix);
		free(c->build_env[i].delim);
	}
	free(c->build_env);
	for (size_t i = 0; i < c->n_run_images; i++) {
		free(c->run_images[i].image);
		for (char **m = c->run_images[i].mirrors; m && *m; m++)
			free(*m);
		free(c->run_images[i].mirrors);
	}
	free(c->run_images);
	free(c->description);
	free(c->build_image);
	free(c->stack_id);
	free(c);
}
