/* <layers>/order.toml from buildpack references. */
#include "build-order.h"
#include "build-buildpacks.h"
#include "lib/builder/builder-layers.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/toml/toml-json.h"

#include <stdlib.h>
#include <string.h>

typedef struct builder_info {
	json_t *layers; /* io.buildpacks.buildpack.layers */
	json_t *order;  /* io.buildpacks.buildpack.order */
	const char *name;
	const char *os, *arch;
} builder_info;

static json_t *label_json(const json_t *config, const char *key)
{
	const json_t *labels = json_object_get(json_object_get(config, "config"), "Labels");
	const char *text = json_string_value(json_object_get(labels, key));
	return text ? json_loads(text, 0, NULL) : NULL;
}

static bool builder_has(const char *id, void *userdata)
{
	return json_object_get(((const builder_info *)userdata)->layers, id) != NULL;
}

/* The only version of `id` the builder has, or NULL (none, or several: the user must choose). */
static const char *single_version(const json_t *layers, const char *id, size_t *count)
{
	const json_t *versions = json_object_get(layers, id);
	*count = json_object_size(versions);
	return *count == 1 ? json_object_iter_key(json_object_iter((json_t *)versions)) : NULL;
}

static int push(cnb__lifecycle_order_group *g, const char *id, const char *version, bool optional, cnb_error **err)
{
	cnb__lifecycle_order_elem *elems = realloc(g->elems, (g->n + 2) * sizeof(*elems));
	if (!elems)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	g->elems = elems;
	cnb__lifecycle_order_elem *e = &g->elems[g->n];
	*e = (cnb__lifecycle_order_elem){ strdup(id), version ? strdup(version) : NULL, optional };
	if (!e->id || (version && !e->version)) {
		free(e->id);
		free(e->version);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	g->n++;
	return 0;
}

static int push_in_builder(cnb__lifecycle_order_group *g, const builder_info *b, const char *ref, const char *rest,
			   cnb_error **err)
{
	const char *at = strchr(rest, '@');
	_cleanup_free_ char *id = at ? strndup(rest, (size_t)(at - rest)) : strdup(rest);
	if (!id)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	size_t count = 0;
	const char *version = at ? at + 1 : single_version(b->layers, id, &count);
	if (!version && count)
		return cnb__error_set(err, CNB_EINVAL, "--buildpack %s: builder %s has %zu versions of it: say which (ID@VERSION)",
				      ref, b->name, count);
	if (!version)
		return cnb__error_set(err, CNB_ENOTFOUND,
				      "--buildpack %s: builder %s has no such buildpack (give a directory, a .cnb file or "
				      "an image reference for one it does not have)", ref, b->name);
	if (!json_object_get(json_object_get(b->layers, id), version))
		return cnb__error_set(err, CNB_ENOTFOUND, "--buildpack %s: builder %s has no %s@%s", ref, b->name, id, version);
	return push(g, id, version, false, err);
}

/* Appends what `refs` name to `g`; a from=builder sets *from_builder at its position (main list only). */
static int resolve_list(cnb__lifecycle_order_group *g, cnb_ctx *ctx, const builder_info *b, const char *platform,
			cnb__builder_bp_set *extra, const char *const *refs, bool main, size_t *from_builder, cnb_error **err)
{
	for (size_t i = 0; refs && refs[i]; i++) {
		cnb__platform_bp_locator kind;
		const char *rest;
		size_t index = 0;
		int r = cnb__platform_bp_locate(refs[i], builder_has, (void *)b, &kind, &rest, err);
		if (r == 0 && kind == CNB_BP_FROM_BUILDER && (!main || *from_builder != SIZE_MAX))
			r = cnb__error_set(err, CNB_EINVAL, "--buildpack from=builder: at most once, and not as a pre or post "
							    "buildpack");
		else if (r == 0 && kind == CNB_BP_FROM_BUILDER)
			*from_builder = g->n;
		else if (r == 0 && kind == CNB_BP_IN_BUILDER)
			r = push_in_builder(g, b, refs[i], rest, err);
		else if (r == 0 && (r = cnb__platform_bp_fetch(extra, ctx, refs[i], kind, platform, b->os, b->arch, &index, err)) == 0)
			r = push(g, extra->mods[index].bp->id, extra->mods[index].bp->version, false, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* pre + main[..at] + builder group + main[at..] + post, for each of the builder's groups. */
static int splice_builder(cnb__lifecycle_order *order, const builder_info *b, const cnb__lifecycle_order_group *pre,
			  const cnb__lifecycle_order_group *main, size_t at, const cnb__lifecycle_order_group *post, cnb_error **err)
{
	size_t n = json_array_size(b->order);
	if (!n)
		return cnb__error_set(err, CNB_EINVAL, "from=builder: builder %s has no order (io.buildpacks.buildpack.order)",
				      b->name);
	if (!(order->groups = calloc(n, sizeof(*order->groups))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t gi = 0; gi < n; gi++) {
		cnb__lifecycle_order_group *g = &order->groups[order->n++];
		const json_t *group = json_object_get(json_array_get(b->order, gi), "group"), *e;
		size_t i;
		int r = 0;
		for (size_t k = 0; r == 0 && k < pre->n; k++)
			r = push(g, pre->elems[k].id, pre->elems[k].version, false, err);
		for (size_t k = 0; r == 0 && k < at; k++)
			r = push(g, main->elems[k].id, main->elems[k].version, false, err);
		json_array_foreach(group, i, e) {
			const char *id = json_string_value(json_object_get(e, "id"));
			const char *version = json_string_value(json_object_get(e, "version"));
			size_t count = 0;
			if (id && !version)
				version = single_version(b->layers, id, &count);
			if (r == 0 && id && !version)
				r = cnb__error_set(err, CNB_EINVAL, "from=builder: builder %s's order names %s without a version "
								    "it can be found at", b->name, id);
			else if (r == 0 && id)
				r = push(g, id, version, json_is_true(json_object_get(e, "optional")), err);
		}
		for (size_t k = at; r == 0 && k < main->n; k++)
			r = push(g, main->elems[k].id, main->elems[k].version, false, err);
		for (size_t k = 0; r == 0 && k < post->n; k++)
			r = push(g, post->elems[k].id, post->elems[k].version, false, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int concat(cnb__lifecycle_order *order, const cnb__lifecycle_order_group *parts[3], cnb_error **err)
{
	if (!(order->groups = calloc(1, sizeof(*order->groups))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	order->n = 1;
	for (size_t p = 0; p < 3; p++)
		for (size_t k = 0; k < parts[p]->n; k++)
			if (push(&order->groups[0], parts[p]->elems[k].id, parts[p]->elems[k].version, false, err) < 0)
				return CNB_ENOMEM;
	return 0;
}

int cnb__platform_build_order_resolve(cnb_ctx *ctx, const cnb__platform_build_order_in *in, cnb__builder_bp_set *extra, char **out,
			     cnb_error **err)
{
	*out = NULL;
	bool has_main = in->main && in->main[0];
	if (!has_main && !(in->pre && in->pre[0]) && !(in->post && in->post[0]))
		return 0;
	builder_info b = { label_json(in->builder_config, "io.buildpacks.buildpack.layers"),
			   label_json(in->builder_config, "io.buildpacks.buildpack.order"), in->builder_name,
			   json_string_value(json_object_get(in->builder_config, "os")),
			   json_string_value(json_object_get(in->builder_config, "architecture")) };
	cnb__lifecycle_order_group pre = { 0 }, main = { 0 }, post = { 0 };
	cnb__lifecycle_order order = { 0 };
	size_t from_builder = has_main ? SIZE_MAX : 0, unused = SIZE_MAX;
	int r = resolve_list(&pre, ctx, &b, in->platform, extra, in->pre, false, &unused, err);
	if (r == 0)
		r = resolve_list(&main, ctx, &b, in->platform, extra, in->main, true, &from_builder, err);
	if (r == 0)
		r = resolve_list(&post, ctx, &b, in->platform, extra, in->post, false, &unused, err);
	const cnb__lifecycle_order_group *parts[3] = { &pre, &main, &post };
	if (r == 0)
		r = from_builder != SIZE_MAX ? splice_builder(&order, &b, &pre, &main, from_builder, &post, err)
					     : concat(&order, parts, err);
	/* The builder's image extensions stay: only the buildpacks' order is replaced (as pack's ephemeral builder). */
	json_t *ext_json = label_json(in->builder_config, "io.buildpacks.buildpack.order-extensions");
	cnb_toml *ext_toml = ext_json ? cnb__toml_from_json(ext_json) : NULL;
	cnb__lifecycle_order extensions = { 0 };
	if (r == 0 && ext_json && !ext_toml)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	json_decref(ext_json);
	if (r == 0 && ext_toml)
		r = cnb__lifecycle_order_parse(&extensions, ext_toml, "the builder's io.buildpacks.buildpack.order-extensions label", err);
	cnb__toml_free(ext_toml);
	_cleanup_buf_ cnb__buf buf = CNB_BUF_INIT;
	if (r == 0)
		r = cnb__builder_order_toml(&order, &extensions, &buf, err);
	cnb__lifecycle_order_free(&extensions);
	if (r == 0 && !(*out = cnb__buf_steal(&buf)))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__lifecycle_order_group *lists[] = { &pre, &main, &post };
	for (size_t l = 0; l < CNB_ARRAY_SIZE(lists); l++) {
		for (size_t k = 0; k < lists[l]->n; k++) {
			free(lists[l]->elems[k].id);
			free(lists[l]->elems[k].version);
		}
		free(lists[l]->elems);
	}
	cnb__lifecycle_order_free(&order);
	json_decref(b.layers);
	json_decref(b.order);
	return r;
}
