/* Builder labels (pack's JSON shapes: pack internal/builder/metadata.go, pkg/dist/dist.go). */
#include "builder-labels.h"
#include "lib/common/error-internal.h"
#include <cnb/version.h>
#include <stdlib.h>

const char *const cnb__supported_buildpack_apis[] = { "0.7", "0.8", "0.9", "0.10", "0.11", "0.12", NULL };
const char *const cnb__supported_platform_apis[] = { "0.12", "0.13", "0.14", "0.15", NULL };

static json_t *string_list(const char *const *list)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && list && list[i]; i++)
		json_array_append_new(arr, json_string(list[i]));
	return arr;
}

static json_t *run_image_json(const cnb__builder_run_image *ri)
{
	return json_pack("{s:s, s:o}", "image", ri->image, "mirrors", string_list((const char *const *)ri->mirrors));
}

static json_t *apis_json(const char *const *supported)
{
	return json_pack("{s:[], s:o}", "deprecated", "supported", string_list(supported));
}

static void set_if(json_t *obj, const char *key, const char *value)
{
	if (value && *value)
		json_object_set_new(obj, key, json_string(value));
}

static json_t *module_info(const cnb__lifecycle_bp_descriptor *bp)
{
	json_t *info = json_pack("{s:s, s:s}", "id", bp->id, "version", bp->version);
	set_if(info, "homepage", bp->homepage);
	set_if(info, "name", bp->name);
	return info;
}

json_t *cnb__builder_metadata_label(const cnb__builder_config *c, const cnb__builder_bp_set *set)
{
	json_t *bps = json_array(), *exts = json_array(), *images = json_array();
	for (size_t i = 0; bps && exts && i < set->n; i++)
		json_array_append_new(set->mods[i].bp->extension ? exts : bps, module_info(set->mods[i].bp));
	for (size_t i = 0; images && i < c->n_run_images; i++)
		json_array_append_new(images, run_image_json(&c->run_images[i]));
	json_t *lifecycle = json_pack("{s:s, s:{s:s, s:s}, s:{s:o, s:o}}", "version", CNB_VERSION_STRING, "api",
				      "buildpack", cnb__supported_buildpack_apis[0], "platform",
				      cnb__supported_platform_apis[0], "apis", "buildpack",
				      apis_json(cnb__supported_buildpack_apis), "platform",
				      apis_json(cnb__supported_platform_apis));
	/* pack internal/builder/metadata.go: "extensions" next to "buildpacks" (omitted when empty, as pack's omitempty) */
	json_t *meta = json_pack("{s:s, s:o, s:{s:o}, s:o, s:o, s:{s:s, s:s}}", "description",
				 c->description ? c->description : "", "buildpacks", bps, "stack", "runImage",
				 run_image_json(&c->run_images[0]), "images", images, "lifecycle", lifecycle, "createdBy",
				 "name", "libcnb", "version", CNB_VERSION_STRING);
	if (meta && json_array_size(exts))
		json_object_set(meta, "extensions", exts);
	json_decref(exts);
	return meta;
}

static json_t *order_json(const cnb__lifecycle_order *order)
{
	json_t *groups = json_array();
	for (size_t g = 0; groups && g < order->n; g++) {
		json_t *group = json_array();
		for (size_t i = 0; group && i < order->groups[g].n; i++) {
			const cnb__lifecycle_order_elem *e = &order->groups[g].elems[i];
			json_t *elem = json_pack("{s:s, s:s}", "id", e->id, "version", e->version);
			if (e->optional)
				json_object_set_new(elem, "optional", json_true());
			json_array_append_new(group, elem);
		}
		json_array_append_new(groups, json_pack("{s:o}", "group", group));
	}
	return groups;
}

static json_t *targets_json(const cnb__lifecycle_bp_descriptor *bp)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < bp->n_targets; i++) {
		const cnb__lifecycle_target *t = &bp->targets[i];
		json_t *target = json_object();
		set_if(target, "os", t->os);
		set_if(target, "arch", t->arch);
		set_if(target, "variant", t->variant);
		if (t->n_distros) {
			json_t *distros = json_array();
			for (size_t d = 0; d < t->n_distros; d++) {
				json_t *distro = json_object();
				set_if(distro, "name", t->distros[d].name);
				set_if(distro, "version", t->distros[d].version);
				json_array_append_new(distros, distro);
			}
			json_object_set_new(target, "distros", distros);
		}
		json_array_append_new(arr, target);
	}
	return arr;
}

static json_t *layer_info(const cnb__builder_bp_module *m)
{
	if (m->info)
		return json_deep_copy(m->info);
	const cnb__lifecycle_bp_descriptor *bp = m->bp;
	json_t *info = json_pack("{s:s, s:s}", "api", bp->api_text, "layerDiffID", m->layer.diff_id);
	set_if(info, "homepage", bp->homepage);
	set_if(info, "name", bp->name);
	if (bp->order.n)
		json_object_set_new(info, "order", order_json(&bp->order));
	if (bp->n_targets)
		json_object_set_new(info, "targets", targets_json(bp));
	return info;
}

json_t *cnb__builder_layers_label(const cnb__builder_bp_set *set, bool extensions)
{
	json_t *root = json_object();
	for (size_t i = 0; root && i < set->n; i++) {
		const cnb__lifecycle_bp_descriptor *bp = set->mods[i].bp;
		if (bp->extension != extensions)
			continue;
		json_t *info = layer_info(&set->mods[i]);
		json_t *versions = json_object_get(root, bp->id);
		if (!versions)
			json_object_set_new(root, bp->id, versions = json_object());
		json_object_set_new(versions, bp->version, info);
	}
	return root;
}

json_t *cnb__builder_buildpackage_metadata_label(const cnb__lifecycle_bp_descriptor *top)
{
	return module_info(top);
}

json_t *cnb__builder_order_label(const cnb__lifecycle_order *order)
{
	return order_json(order);
}

int cnb__builder_set_label(json_t *labels, const char *key, json_t *value, cnb_error **err)
{
	char *text = value ? json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(value);
	if (!text)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = json_object_set_new(labels, key, json_string(text));
	free(text);
	return r == 0 ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}
