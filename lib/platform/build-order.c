/* <layers>/order.toml from buildpack references. */
#include "build-order.h"
#include "lib/builder/builder-layers.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <stdlib.h>
#include <string.h>

/* The only version of `id` the builder has, or NULL (none, or several: the user must choose). */
static const char *single_version(const json_t *layers, const char *id, size_t *count)
{
	const json_t *versions = json_object_get(layers, id);
	*count = json_object_size(versions);
	return *count == 1 ? json_object_iter_key(json_object_iter((json_t *)versions)) : NULL;
}

int cnb__build_order_toml(const char *const *refs, const json_t *builder_config, const char *builder_name, char **out,
			  cnb_error **err)
{
	const json_t *labels = json_object_get(json_object_get(builder_config, "config"), "Labels");
	const char *text = json_string_value(json_object_get(labels, "io.buildpacks.buildpack.layers"));
	json_t *layers = text ? json_loads(text, 0, NULL) : NULL;
	size_t n = 0;
	while (refs[n])
		n++;
	cnb__order_elem *elems = calloc(n + 1, sizeof(*elems));
	cnb__order_group group = { elems, 0 };
	cnb__order order = { &group, 1 };
	int r = elems ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *ref = refs[i];
		if (ref[0] == '/' || ref[0] == '.' || strchr(ref, ':'))
			r = cnb__error_set(err, CNB_EUNSUPPORTED,
					   "--buildpack %s: buildpacks from a directory or an image are not supported yet; "
					   "give ID[@VERSION] of a buildpack in the builder, or make a builder with it "
					   "(cnb builder create)", ref);
		const char *at = strchr(ref, '@');
		_cleanup_free_ char *id = at ? strndup(ref, (size_t)(at - ref)) : strdup(ref);
		size_t count = 0;
		const char *version = at ? at + 1 : single_version(layers, id ? id : "", &count);
		if (r == 0 && !id)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		else if (r == 0 && !version && count)
			r = cnb__error_set(err, CNB_EINVAL, "--buildpack %s: builder %s has %zu versions of it: say which (ID@VERSION)",
					   ref, builder_name, count);
		else if (r == 0 && !version)
			r = cnb__error_set(err, CNB_ENOTFOUND, "--buildpack %s: builder %s has no such buildpack", ref, builder_name);
		else if (r == 0 && !json_object_get(json_object_get(layers, id), version))
			r = cnb__error_set(err, CNB_ENOTFOUND, "--buildpack %s: builder %s has no %s@%s", ref, builder_name, id,
					   version);
		if (r == 0) {
			elems[group.n].id = TAKE_PTR(id);
			if (!(elems[group.n++].version = strdup(version)))
				r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
	}
	_cleanup_buf_ cnb__buf buf = CNB_BUF_INIT;
	if (r == 0)
		r = cnb__builder_order_toml(&order, &buf, err);
	if (r == 0 && !(*out = cnb__buf_steal(&buf)))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < group.n; i++) {
		free(elems[i].id);
		free(elems[i].version);
	}
	free(elems);
	json_decref(layers);
	return r;
}
