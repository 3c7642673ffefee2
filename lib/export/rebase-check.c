/* What the rebaser checks before touching an image (platform.md "rebaser", Validation; lifecycle phase/rebaser.go). */
#include "rebase.h"
#include "image-config.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/lifecycle/spec/api-version.h"
#include "oci/location.h"

#include <stdlib.h>
#include <string.h>

static const char *label(const cnb__oci_image *img, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(img->config, "config"), "Labels"), key));
}

static const char *config_string(const cnb__oci_image *img, const char *key)
{
	return json_string_value(json_object_get(img->config, key));
}

int cnb__export_rebase_metadata(const cnb__oci_image *app, const char *app_name, json_t **out, cnb_error **err)
{
	*out = NULL;
	const char *text = label(app, CNB_LIFECYCLE_METADATA_LABEL);
	if (!text)
		return cnb__error_set(err, CNB_EINVAL, "%s has no %s label: only images built with buildpacks can be rebased",
				      app_name, CNB_LIFECYCLE_METADATA_LABEL);
	json_error_t je;
	json_t *md = json_loads(text, 0, &je);
	const char *top = json_string_value(json_object_get(json_object_get(md, "runImage"), "topLayer"));
	if (!json_is_object(md) || !top || !*top) {
		json_decref(md);
		return cnb__error_set(err, CNB_EINVAL, "%s: label %s has no runImage.topLayer: rebuild the image to rebase it",
				      app_name, CNB_LIFECYCLE_METADATA_LABEL);
	}
	*out = md;
	return 0;
}

/* runImage, or the deprecated stack.runImage when runImage names no image. */
static const json_t *run_image_entry(const json_t *md)
{
	const json_t *r = json_object_get(md, "runImage");
	if (json_string_value(json_object_get(r, "image")))
		return r;
	return json_object_get(json_object_get(md, "stack"), "runImage");
}

static char *registry_of(const char *name)
{
	_cleanup_oci_loc_ cnb__oci_loc loc;
	if (cnb__oci_loc_parse(&loc, name, NULL) < 0 || loc.kind != CNB__OCI_LOC_REGISTRY)
		return NULL;
	return TAKE_PTR(loc.ref.registry);
}

int cnb__export_rebase_default_run_image(const json_t *metadata, const char *app_name, char **out, cnb_error **err)
{
	*out = NULL;
	const json_t *entry = run_image_entry(metadata);
	const char *image = json_string_value(json_object_get(entry, "image"));
	if (!image || !*image)
		return cnb__error_set(err, CNB_EINVAL, "%s: the lifecycle metadata names no run image: pass --run-image", app_name);
	_cleanup_free_ char *app_registry = registry_of(app_name);
	const char *chosen = image;
	_cleanup_free_ char *image_registry = registry_of(image);
	if (app_registry && !(image_registry && !strcmp(image_registry, app_registry))) {
		size_t i;
		const json_t *m;
		json_array_foreach(json_object_get(entry, "mirrors"), i, m) {
			_cleanup_free_ char *reg = registry_of(json_string_value(m) ? json_string_value(m) : "");
			if (reg && !strcmp(reg, app_registry)) {
				chosen = json_string_value(m);
				break;
			}
		}
	}
	*out = strdup(chosen);
	return *out ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

/* Same image name, the digest part ignored (platform.md "rebaser"); a digest-only reference matches any tag. */
static bool same_name(const char *a, const char *b)
{
	_cleanup_oci_loc_ cnb__oci_loc la;
	_cleanup_oci_loc_ cnb__oci_loc lb;
	if (cnb__oci_loc_parse(&la, a, NULL) < 0 || cnb__oci_loc_parse(&lb, b, NULL) < 0)
		return !strcmp(a, b);
	if (la.kind != lb.kind)
		return false;
	if (la.kind == CNB__OCI_LOC_LAYOUT)
		return !strcmp(la.dir, lb.dir) && !strcmp(la.tag ? la.tag : "", lb.tag ? lb.tag : "");
	return !strcmp(la.ref.registry, lb.ref.registry) && !strcmp(la.ref.repository, lb.ref.repository) &&
	       (!la.ref.tag || !lb.ref.tag || !strcmp(la.ref.tag, lb.ref.tag));
}

static bool named_in_metadata(const json_t *metadata, const char *run_name)
{
	const json_t *entry = run_image_entry(metadata);
	const char *image = json_string_value(json_object_get(entry, "image"));
	if (image && same_name(image, run_name))
		return true;
	size_t i;
	const json_t *m;
	json_array_foreach(json_object_get(entry, "mirrors"), i, m) if (json_is_string(m) && same_name(json_string_value(m), run_name)) return true;
	return false;
}

/* A mixin without its stage prefix: "build:" and "run:" only say where a mixin applies (Platform spec, stacks). */
static const char *mixin_name(const char *m)
{
	if (!strncmp(m, "build:", 6))
		return m + 6;
	if (!strncmp(m, "run:", 4))
		return m + 4;
	return m;
}

static bool has_mixin(const json_t *mixins, const char *want)
{
	size_t i;
	const json_t *m;
	json_array_foreach(mixins, i, m) if (json_is_string(m) && !strcmp(mixin_name(json_string_value(m)), want)) return true;
	return false;
}

static int check_stack(const cnb__oci_image *app, const cnb__oci_image *run, const char *run_name, cnb_error **err)
{
	const char *app_stack = label(app, "io.buildpacks.stack.id"), *run_stack = label(run, "io.buildpacks.stack.id");
	if (!app_stack || !*app_stack)
		return cnb__error_set(err, CNB_EUNSUPPORTED, "the app image has no io.buildpacks.stack.id label (Platform API < 0.12)");
	if (!run_stack || strcmp(app_stack, run_stack))
		return cnb__error_set(err, CNB_EUNSUPPORTED, "run image %s has stack id '%s', the app image '%s': choose a run image of the same stack",
				      run_name, run_stack ? run_stack : "", app_stack);
	json_t *app_mixins = json_loads(label(app, "io.buildpacks.stack.mixins") ? label(app, "io.buildpacks.stack.mixins") : "[]", 0, NULL);
	json_t *run_mixins = json_loads(label(run, "io.buildpacks.stack.mixins") ? label(run, "io.buildpacks.stack.mixins") : "[]", 0, NULL);
	int rc = 0;
	size_t i;
	const json_t *m;
	json_array_foreach(app_mixins, i, m) {
		const char *name = json_is_string(m) ? mixin_name(json_string_value(m)) : NULL;
		if (name && !has_mixin(run_mixins, name)) {
			rc = cnb__error_set(err, CNB_EUNSUPPORTED, "run image %s lacks mixin '%s' the app image has: choose a run image that provides it",
					    run_name, name);
			break;
		}
	}
	json_decref(app_mixins);
	json_decref(run_mixins);
	return rc;
}

/* Exact match, or a wildcard when either side leaves it unset (platform.md "rebaser": variant and distro). */
static bool optional_match(const char *a, const char *b)
{
	return !a || !*a || !b || !*b || !strcmp(a, b);
}

static int check_target(const cnb__oci_image *app, const cnb__oci_image *run, const char *run_name, cnb_error **err)
{
	static const char *const exact[] = { "os", "architecture" };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(exact); i++) {
		const char *a = config_string(app, exact[i]), *r = config_string(run, exact[i]);
		if (!a || !r || strcmp(a, r))
			return cnb__error_set(err, CNB_EUNSUPPORTED, "run image %s is for %s '%s', the app image for '%s': use --force to rebase anyway",
					      run_name, exact[i], r ? r : "", a ? a : "");
	}
	static const char *const wildcard_labels[] = { "io.buildpacks.base.distro.name", "io.buildpacks.base.distro.version" };
	if (!optional_match(config_string(app, "variant"), config_string(run, "variant")))
		return cnb__error_set(err, CNB_EUNSUPPORTED, "run image %s has architecture variant '%s', the app image '%s': use --force to rebase anyway",
				      run_name, config_string(run, "variant"), config_string(app, "variant"));
	for (size_t i = 0; i < CNB_ARRAY_SIZE(wildcard_labels); i++)
		if (!optional_match(label(app, wildcard_labels[i]), label(run, wildcard_labels[i])))
			return cnb__error_set(err, CNB_EUNSUPPORTED, "run image %s has %s '%s', the app image '%s': use --force to rebase anyway",
					      run_name, wildcard_labels[i], label(run, wildcard_labels[i]), label(app, wildcard_labels[i]));
	return 0;
}

int cnb__export_rebase_check(const cnb__oci_image *app, const json_t *metadata, const cnb__oci_image *run,
		      const char *run_name, bool force, cnb_error **err)
{
	const char *api_text = cnb__export_image_env_get(cnb__export_image_config_env(app->config), "CNB_PLATFORM_API");
	cnb__lifecycle_api api = { 0, 0 };
	if (api_text && cnb__lifecycle_api_parse(api_text, &api) < 0)
		return cnb__error_set(err, CNB_EPARSE, "the app image's CNB_PLATFORM_API '%s' is not <major>.<minor>", api_text);
	if (!api_text || !cnb__lifecycle_api_at_least(api, 0, 12))
		return check_stack(app, run, run_name, err);
	if (force)
		return 0;
	const char *rebasable = label(app, "io.buildpacks.rebasable");
	if (rebasable && !strcmp(rebasable, "false"))
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "the app image is labeled io.buildpacks.rebasable=false (its run image was extended): use --force to rebase anyway");
	if (check_target(app, run, run_name, err) < 0)
		return cnb__error_code(err, CNB_EUNSUPPORTED);
	if (!named_in_metadata(metadata, run_name))
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "run image %s is not the app image's run image (runImage.image) or one of its mirrors: use --force to rebase onto it",
				      run_name);
	return 0;
}
