/* buildpack.toml and order.toml descriptors (buildpack.md "buildpack.toml", platform.md "order.toml", platform.md "Data Format"). */
#include "buildpack-descriptor.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *cnb__lifecycle_bp_escape_id(const char *id)
{
	char *out = strdup(id);
	for (char *p = out; p && *p; p++)
		if (*p == '/')
			*p = '_';
	return out;
}

char *cnb__lifecycle_bp_ref(const char *id, const char *version)
{
	char *out = NULL;
	return asprintf(&out, "%s@%s", id, version ? version : "") < 0 ? NULL : out;
}

/* A copy of an optional string field ("" when absent); NULL only on OOM. */
static char *dup_field(const cnb_toml *table, const char *key)
{
	const char *s = cnb__toml_get_string(table, key);
	return strdup(s ? s : "");
}

/* A string array at `key` (absent = empty). Non-strings are an error naming `where`. */
static int strv_field(char ***out, size_t *n, const cnb_toml *table, const char *key, const char *where,
		      cnb_error **err)
{
	const cnb_toml *arr = cnb__toml_get(table, key);
	size_t len = cnb__toml_len(arr);
	if (arr && cnb__toml_type(arr) != CNB_TOML_ARRAY)
		return cnb__error_set(err, CNB_EPARSE, "%s: `%s` must be an array of strings", where, key);
	char **v = calloc(len + 1, sizeof(*v));
	if (!v)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const cnb_toml *item = cnb__toml_at(arr, i);
		/* ⚠ exec-env: the spec's [[buildpack.exec-env]] name="…" form, next to the lifecycle's strings. */
		const char *s = cnb__toml_string(item) ? cnb__toml_string(item) : cnb__toml_get_string(item, "name");
		if (!s || !(v[i] = strdup(s))) {
			cnb__strv_free(v);
			return s ? cnb__error_set(err, CNB_ENOMEM, "out of memory")
				 : cnb__error_set(err, CNB_EPARSE, "%s: `%s` must be an array of strings", where, key);
		}
	}
	*out = v;
	*n = len;
	return 0;
}

void cnb__lifecycle_order_free(cnb__lifecycle_order *o)
{
	for (size_t g = 0; g < o->n; g++) {
		for (size_t i = 0; i < o->groups[g].n; i++) {
			free(o->groups[g].elems[i].id);
			free(o->groups[g].elems[i].version);
		}
		free(o->groups[g].elems);
	}
	free(o->groups);
	memset(o, 0, sizeof(*o));
}

int cnb__lifecycle_order_parse(cnb__lifecycle_order *out, const cnb_toml *order, const char *where, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	if (!order)
		return 0;
	if (cnb__toml_type(order) != CNB_TOML_ARRAY)
		return cnb__error_set(err, CNB_EPARSE, "%s: `order` must be an array of tables ([[order]])", where);
	size_t n = cnb__toml_len(order);
	if (n && !(out->groups = calloc(n, sizeof(*out->groups))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t g = 0; g < n; g++) {
		const cnb_toml *group = cnb__toml_get(cnb__toml_at(order, g), "group");
		size_t m = cnb__toml_len(group);
		/* Counted before it is filled, so an error half way frees it too. */
		cnb__lifecycle_order_group *og = &out->groups[out->n++];
		if (m && !(og->elems = calloc(m, sizeof(*og->elems))))
			goto oom;
		for (size_t i = 0; i < m; i++, og->n++) {
			const cnb_toml *el = cnb__toml_at(group, i);
			const char *id = cnb__toml_get_string(el, "id");
			if (!id || !*id) {
				cnb__lifecycle_order_free(out);
				return cnb__error_set(err, CNB_EPARSE, "%s: order group %zu element %zu has no `id`",
						      where, g + 1, i + 1);
			}
			og->elems[i].id = strdup(id);
			og->elems[i].version = dup_field(el, "version");
			cnb__toml_bool(cnb__toml_get(el, "optional"), &og->elems[i].optional);
			if (!og->elems[i].id || !og->elems[i].version) {
				og->n++;
				goto oom;
			}
		}
	}
	return 0;
oom:
	cnb__lifecycle_order_free(out);
	return cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

int cnb__lifecycle_order_load(cnb__lifecycle_order *out, cnb__lifecycle_order *extensions, const char *path, cnb_error **err)
{
	memset(extensions, 0, sizeof(*extensions));
	cnb_toml *doc = NULL;
	int rc = cnb__toml_parse_file(&doc, path, err);
	if (rc)
		return cnb__error_prefix(err, "read order");
	rc = cnb__lifecycle_order_parse(out, cnb__toml_get(doc, "order"), path, err);
	if (rc == 0 && (rc = cnb__lifecycle_order_parse(extensions, cnb__toml_get(doc, "order-extensions"), path, err)))
		cnb__lifecycle_order_free(out);
	/* lifecycle phase/detector.go PrependExtensions: extensions are optional, whatever the file says. */
	for (size_t g = 0; rc == 0 && g < extensions->n; g++)
		for (size_t i = 0; i < extensions->groups[g].n; i++)
			extensions->groups[g].elems[i].extension = extensions->groups[g].elems[i].optional = true;
	cnb__toml_free(doc);
	return rc;
}

static bool group_has(const cnb__lifecycle_order_group *g, const char *id)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->elems[i].id, id))
			return true;
	return false;
}

/* Appends copies of the `sys` elements whose IDs `g` lacks (checked against `orig`). */
static int add_system_elems(cnb__lifecycle_order_group *g, const cnb__lifecycle_order_group *orig, const cnb__lifecycle_order_group *sys)
{
	for (size_t i = 0; sys && i < sys->n; i++) {
		if (group_has(orig, sys->elems[i].id))
			continue;
		cnb__lifecycle_order_elem *e = &g->elems[g->n];
		e->id = strdup(sys->elems[i].id);
		e->version = strdup(sys->elems[i].version);
		e->optional = false;
		g->n++;
		if (!e->id || !e->version)
			return -1;
	}
	return 0;
}

int cnb__lifecycle_order_add_system(cnb__lifecycle_order *order, const char *system_path, cnb_error **err)
{
	struct stat st;
	if (!system_path || stat(system_path, &st) < 0)
		return 0;
	cnb_toml *doc = NULL;
	int rc = cnb__toml_parse_file(&doc, system_path, err);
	if (rc)
		return cnb__error_prefix(err, "read system buildpacks");
	const cnb_toml *system = cnb__toml_get(doc, "system");
	/* Each list has the shape of one order group: parse it as a one-group order. */
	cnb__lifecycle_order pre = { 0 }, post = { 0 };
	cnb_toml *wrap[2] = { NULL, NULL };
	const char *keys[2] = { "pre", "post" };
	cnb__lifecycle_order *out[2] = { &pre, &post };
	for (size_t k = 0; rc == 0 && k < 2; k++) {
		const cnb_toml *list = cnb__toml_get(cnb__toml_get(system, keys[k]), "buildpacks");
		cnb_toml *group = cnb__toml_new_table(), *arr = cnb__toml_new_array();
		if (!group || !arr || cnb__toml_set(group, "group", list ? cnb__toml_clone(list) : cnb__toml_new_array()) < 0 ||
		    cnb__toml_push(arr, group) < 0) {
			cnb__toml_free(arr);
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
			break;
		}
		wrap[k] = arr;
		rc = cnb__lifecycle_order_parse(out[k], arr, system_path, err);
	}
	for (size_t g = 0; rc == 0 && g < order->n; g++) {
		cnb__lifecycle_order_group *og = &order->groups[g];
		size_t cap = og->n + pre.groups[0].n + post.groups[0].n + 1;
		cnb__lifecycle_order_group merged = { calloc(cap, sizeof(cnb__lifecycle_order_elem)), 0 };
		int added = merged.elems ? add_system_elems(&merged, og, &pre.groups[0]) : -1;
		if (added == 0) {
			memcpy(merged.elems + merged.n, og->elems, og->n * sizeof(cnb__lifecycle_order_elem));
			merged.n += og->n;
			free(og->elems);
			*og = merged; /* the group's elements moved; post elements dedupe against all of it */
			added = add_system_elems(og, og, &post.groups[0]);
		} else if (merged.elems) {
			for (size_t i = 0; i < merged.n; i++) {
				free(merged.elems[i].id);
				free(merged.elems[i].version);
			}
			free(merged.elems);
		}
		if (added < 0)
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	cnb__lifecycle_order_free(&pre);
	cnb__lifecycle_order_free(&post);
	cnb__toml_free(wrap[0]);
	cnb__toml_free(wrap[1]);
	cnb__toml_free(doc);
	return rc;
}

void cnb__lifecycle_target_free(cnb__lifecycle_target *t)
{
	free(t->os);
	free(t->arch);
	free(t->variant);
	for (size_t i = 0; i < t->n_distros; i++) {
		free(t->distros[i].name);
		free(t->distros[i].version);
	}
	free(t->distros);
	memset(t, 0, sizeof(*t));
}

void cnb__lifecycle_bp_descriptor_free(cnb__lifecycle_bp_descriptor *d)
{
	if (!d)
		return;
	free(d->dir);
	free(d->path);
	free(d->api_text);
	free(d->id);
	free(d->version);
	free(d->name);
	free(d->homepage);
	cnb__strv_free(d->exec_env);
	cnb__strv_free(d->sbom_formats);
	cnb__lifecycle_order_free(&d->order);
	for (size_t i = 0; i < d->n_targets; i++)
		cnb__lifecycle_target_free(&d->targets[i]);
	free(d->targets);
	free(d);
}

static int parse_target(cnb__lifecycle_target *t, const cnb_toml *table)
{
	/* ⚠ DIFF: pack writes `variant`, the lifecycle reads `arch-variant`: accept both. */
	const char *variant = cnb__toml_get_string(table, "arch-variant");
	if (!variant)
		variant = cnb__toml_get_string(table, "variant");
	t->os = dup_field(table, "os");
	t->arch = dup_field(table, "arch");
	t->variant = strdup(variant ? variant : "");
	if (!t->os || !t->arch || !t->variant)
		return -1;
	const cnb_toml *distros = cnb__toml_get(table, "distros");
	size_t n = cnb__toml_len(distros);
	if (n && !(t->distros = calloc(n, sizeof(*t->distros))))
		return -1;
	for (size_t i = 0; i < n; i++, t->n_distros++) {
		t->distros[i].name = dup_field(cnb__toml_at(distros, i), "name");
		t->distros[i].version = dup_field(cnb__toml_at(distros, i), "version");
		if (!t->distros[i].name || !t->distros[i].version) {
			t->n_distros++;
			return -1;
		}
	}
	return 0;
}

/* An inferred target: os/arch/one distro, any of them NULL for a wildcard. */
static int add_target(cnb__lifecycle_bp_descriptor *d, const char *os, const char *arch, const char *distro,
		      const char *distro_version)
{
	cnb__lifecycle_target *grown = realloc(d->targets, (d->n_targets + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	d->targets = grown;
	cnb__lifecycle_target *t = memset(&d->targets[d->n_targets++], 0, sizeof(cnb__lifecycle_target));
	t->os = strdup(os ? os : "");
	t->arch = strdup(arch ? arch : "");
	t->variant = strdup("");
	if (!t->os || !t->arch || !t->variant)
		return -1;
	if (distro) {
		if (!(t->distros = calloc(1, sizeof(*t->distros))))
			return -1;
		t->n_distros = 1;
		t->distros[0].name = strdup(distro);
		t->distros[0].version = strdup(distro_version);
		if (!t->distros[0].name || !t->distros[0].version)
			return -1;
	}
	return 0;
}

/* buildpack.md "Targets" inference when no [[targets]] are declared (lifecycle buildpack/bp_descriptor.go). */
static int infer_targets(cnb__lifecycle_bp_descriptor *d, const cnb_toml *stacks)
{
	size_t n = cnb__toml_len(stacks);
	for (size_t i = 0; i < n; i++) {
		const char *id = cnb__toml_get_string(cnb__toml_at(stacks, i), "id");
		if (!id)
			continue;
		if (!strcmp(id, "*")) {
			d->any_target = true;
		} else if (!strcmp(id, "io.buildpacks.stacks.bionic") &&
			   (cnb__lifecycle_api_at_least(d->api, 0, 10) || n == 1)) {
			if (add_target(d, "linux", "amd64", "ubuntu", "18.04") < 0)
				return -1;
		}
	}
	if (d->n_targets || d->any_target)
		return 0;
	/* A buildpack with bin/build is for linux; an extension with bin/detect or bin/generate. */
	_cleanup_free_ char *bin_a = cnb__path_join(d->dir, d->extension ? "bin/detect" : "bin/build");
	_cleanup_free_ char *bin_b = cnb__path_join(d->dir, d->extension ? "bin/generate" : "bin/build");
	struct stat st;
	if (bin_a && bin_b && (stat(bin_a, &st) == 0 || stat(bin_b, &st) == 0))
		return add_target(d, "linux", NULL, NULL, NULL);
	d->any_target = true;
	return bin_a && bin_b ? 0 : -1;
}

bool cnb__lifecycle_bp_id_valid(const char *id)
{
	static const char *const reserved[] = { "app", "config", "generated", "sbom", ".", ".." };
	if (!*id)
		return false;
	for (size_t i = 0; i < CNB_ARRAY_SIZE(reserved); i++)
		if (!strcmp(id, reserved[i]))
			return false;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./-_") == strlen(id);
}

char *cnb__lifecycle_bp_id_warning(const char *id)
{
	if (!strchr(id, '_'))
		return NULL;
	char *out = NULL;
	return asprintf(&out, "buildpack id \"%s\" contains `_`, which the Buildpack spec does not allow (buildpack.md "
			   "\"buildpack.toml\"): accepted as pack and the reference lifecycle do, but it shares its layers "
			   "directory name with the id that has `/` there",
			id) < 0 ? NULL : out;
}

int cnb__lifecycle_bp_descriptor_parse(cnb__lifecycle_bp_descriptor **out, const cnb_toml *doc, const char *dir, const char *path,
			     cnb_error **err)
{
	cnb__lifecycle_bp_descriptor *d = calloc(1, sizeof(*d));
	if (!d)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	const cnb_toml *bp = cnb__toml_get(doc, "buildpack");
	if (!bp && cnb__toml_get(doc, "extension")) {
		bp = cnb__toml_get(doc, "extension");
		d->extension = true;
	}
	/* Declared before any `goto out`: a jump past a _cleanup_ declaration would free garbage. */
	_cleanup_free_ char *who = NULL;
	d->dir = strdup(dir);
	d->path = strdup(path);
	d->api_text = dup_field(doc, "api");
	d->id = dup_field(bp, "id");
	d->version = dup_field(bp, "version");
	d->name = dup_field(bp, "name");
	d->homepage = dup_field(bp, "homepage");
	int rc = 0;
	if (!d->dir || !d->path || !d->api_text || !d->id || !d->version || !d->name || !d->homepage) {
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		goto out;
	}
	if (!cnb__lifecycle_bp_id_valid(d->id)) {
		rc = cnb__error_set(err, CNB_EPARSE,
				    "%s: [%s] id \"%s\" is missing or invalid (allowed: letters, digits, `.`, `/`, "
				    "`-` and, with a warning, `_`; not app, config, generated or sbom)",
				    path, cnb__lifecycle_bp_kind(d), d->id);
		goto out;
	}
	if (asprintf(&who, "%s@%s (%s)", d->id, d->version, path) < 0) {
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = cnb__lifecycle_api_check_buildpack(d->api_text, who, &d->api, err)))
		goto out;
	cnb__toml_bool(cnb__toml_get(bp, "clear-env"), &d->clear_env);
	if ((rc = strv_field(&d->exec_env, &d->n_exec_env, bp, "exec-env", path, err)) ||
	    (rc = strv_field(&d->sbom_formats, &d->n_sbom_formats, bp, "sbom-formats", path, err)) ||
	    (rc = cnb__lifecycle_order_parse(&d->order, d->extension ? NULL : cnb__toml_get(doc, "order"), path, err)))
		goto out;
	const cnb_toml *targets = cnb__toml_get(doc, "targets");
	size_t n = cnb__toml_len(targets);
	if (n && !(d->targets = calloc(n, sizeof(*d->targets)))) {
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		d->n_targets++;
		if (parse_target(&d->targets[i], cnb__toml_at(targets, i)) < 0) {
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (!n && infer_targets(d, cnb__toml_get(doc, "stacks")) < 0)
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
out:
	if (rc) {
		cnb__lifecycle_bp_descriptor_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

const char *cnb__lifecycle_bp_kind(const cnb__lifecycle_bp_descriptor *d)
{
	return d->extension ? "extension" : "buildpack";
}

/* <dir>/<escaped id>/<version>/<kind>.toml, which must describe a module of that kind. */
static int descriptor_load(cnb__lifecycle_bp_descriptor **out, const char *modules_dir, const char *kind, const char *id,
			   const char *version, cnb_error **err)
{
	_cleanup_free_ char *esc = cnb__lifecycle_bp_escape_id(id);
	_cleanup_free_ char *dir = NULL, *path = NULL;
	if (!esc || asprintf(&dir, "%s/%s/%s", modules_dir, esc, version) < 0 ||
	    asprintf(&path, "%s/%s.toml", dir, kind) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	struct stat st;
	if (stat(path, &st) < 0)
		return cnb__error_set(err, CNB_ENOTFOUND, "%s %s@%s not found: no %s; is it part of the builder?", kind,
				      id, version, path);
	cnb_toml *doc = NULL;
	int rc = cnb__toml_parse_file(&doc, path, err);
	if (rc == 0)
		rc = cnb__lifecycle_bp_descriptor_parse(out, doc, dir, path, err);
	else
		cnb__error_prefix(err, "%s %s@%s", kind, id, version);
	cnb__toml_free(doc);
	if (rc == 0 && strcmp(cnb__lifecycle_bp_kind(*out), kind)) {
		cnb__lifecycle_bp_descriptor_free(*out);
		*out = NULL;
		return cnb__error_set(err, CNB_EPARSE, "%s: has no [%s] table", path, kind);
	}
	return rc;
}

int cnb__lifecycle_bp_descriptor_load(cnb__lifecycle_bp_descriptor **out, const char *buildpacks_dir, const char *id,
			    const char *version, cnb_error **err)
{
	return descriptor_load(out, buildpacks_dir, "buildpack", id, version, err);
}

int cnb__lifecycle_ext_descriptor_load(cnb__lifecycle_bp_descriptor **out, const char *extensions_dir, const char *id,
			     const char *version, cnb_error **err)
{
	return descriptor_load(out, extensions_dir, "extension", id, version, err);
}

static bool field_matches(const char *a, const char *b)
{
	return !a || !b || !*a || !*b || !strcmp(a, b);
}

bool cnb__lifecycle_bp_target_matches(const cnb__lifecycle_bp_descriptor *d, const cnb__lifecycle_target *run)
{
	if (d->any_target || !d->n_targets)
		return true;
	for (size_t i = 0; i < d->n_targets; i++) {
		const cnb__lifecycle_target *t = &d->targets[i];
		if (!field_matches(t->os, run->os) || !field_matches(t->arch, run->arch) ||
		    !field_matches(t->variant, run->variant))
			continue;
		if (!t->n_distros)
			return true;
		/* Declared distros need the base image to have one, and one pair to match. */
		for (size_t j = 0; j < t->n_distros && run->n_distros; j++)
			if (field_matches(t->distros[j].name, run->distros[0].name) &&
			    field_matches(t->distros[j].version, run->distros[0].version))
				return true;
	}
	return false;
}

bool cnb__lifecycle_bp_exec_env_allows(const cnb__lifecycle_bp_descriptor *d, const char *exec_env)
{
	return !d->n_exec_env || cnb__strv_contains(d->exec_env, "*") || cnb__strv_contains(d->exec_env, exec_env);
}
