/* The rebase operation (platform.md "rebaser", Operation; imgutil Rebase) and cnb_image_rebase. Only the manifest and
 * config change: layer descriptors are carried over, so the push mounts or skips every layer blob. */
#include "rebase.h"
#include "image-config.h"
#include "lib/api/ctx-internal.h"
#include "lib/api/opts.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/tar-writer.h"

#include <cnb/image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *labels_of(json_t *config)
{
	return json_object_get(json_object_get(config, "config"), "Labels");
}

static bool is_base_label(const char *key)
{
	return !strncmp(key, "io.buildpacks.base.", 19) || !strncmp(key, "io.buildpacks.stack.", 20);
}

/* platform.md "rebaser" › "Outputs": the base's own labels describe the base, so they follow it. */
static int replace_base_labels(json_t *config, const json_t *run_config)
{
	json_t *labels = labels_of(config);
	if (!json_is_object(labels)) {
		json_t *cc = json_object_get(config, "config");
		if (!json_is_object(cc) && json_object_set_new(config, "config", cc = json_object()) < 0)
			return -1;
		if (json_object_set_new(cc, "Labels", labels = json_object()) < 0)
			return -1;
	}
	const char *key;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(labels, tmp, key, v) if (is_base_label(key)) json_object_del(labels, key);
	json_object_foreach(labels_of((json_t *)run_config), key, v) if (is_base_label(key) && json_object_set(labels, key, v) < 0) return -1;
	return 0;
}

/* platform.md "rebaser" (imgutil also carries the variant: it is part of the platform). */
static int copy_platform(json_t *config, const json_t *run_config)
{
	static const char *const keys[] = { "os", "architecture", "variant", "os.version" };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(run_config, keys[i]);
		if (!v)
			json_object_del(config, keys[i]);
		else if (json_object_set(config, keys[i], v) < 0)
			return -1;
	}
	return 0;
}

static bool history_empty(const json_t *h)
{
	return json_is_true(json_object_get(h, "empty_layer"));
}

static size_t history_layers(const json_t *history)
{
	size_t n = 0, i;
	const json_t *h;
	json_array_foreach(history, i, h) n += !history_empty(h);
	return n;
}

/*
 * History entries pair with layers (the non-empty ones, in order). The new history is the run image's, then the
 * app's entries after the one for the old top base layer (empty entries right after it are the old base's config
 * steps). When either side does not pair up, no history is better than a wrong one.
 */
static int splice_history(json_t *config, const json_t *run_config, size_t base_layers, size_t app_layers)
{
	json_t *old = json_object_get(config, "history");
	const json_t *run_history = json_object_get(run_config, "history");
	size_t run_layers = json_array_size(json_object_get(json_object_get(run_config, "rootfs"), "diff_ids"));
	if (!json_is_array(old) || !json_is_array(run_history) || history_layers(old) != app_layers ||
	    history_layers(run_history) != run_layers)
		return json_object_del(config, "history"), 0;
	size_t cut = 0, seen = 0;
	while (cut < json_array_size(old) && seen < base_layers)
		seen += !history_empty(json_array_get(old, cut++));
	while (cut < json_array_size(old) && history_empty(json_array_get(old, cut)))
		cut++;
	json_t *history = json_deep_copy(run_history);
	for (size_t i = cut; history && i < json_array_size(old); i++)
		if (json_array_append(history, json_array_get(old, i)) < 0)
			return json_decref(history), -1;
	return history ? json_object_set_new(config, "history", history) : -1;
}

/* platform.md "rebaser" › "Inputs"; with force the new run image becomes the one the app names (no mirrors). */
static int update_metadata(json_t *metadata, const cnb__oci_image *run, const char *run_name, bool force)
{
	_cleanup_free_ char *reference = NULL;
	/* "digest reference or image ID": a layout has no repository to name, so the config digest (the ID). */
	if (run->source ? asprintf(&reference, "%s@%s", run->source, run->manifest_digest) < 0
			: !(reference = strdup(run->config_digest)))
		return -1;
	json_t *ri = json_object_get(metadata, "runImage");
	if (json_object_set_new(ri, "topLayer", json_string(run->layers[run->n_layers - 1].diff_id)) < 0 ||
	    json_object_set_new(ri, "reference", json_string(reference)) < 0)
		return -1;
	if (!force)
		return 0;
	const char *name = strncmp(run_name, "docker://", 9) ? run_name : run_name + 9;
	json_t *entry = json_pack("{s:s, s:[]}", "image", name, "mirrors");
	if (!entry || json_object_update(ri, entry) < 0)
		return json_decref(entry), -1;
	json_t *stack = json_object_get(metadata, "stack");
	int rc = json_is_object(stack) ? json_object_set(stack, "runImage", entry) : 0;
	json_decref(entry);
	return rc;
}

static int rebase_config(json_t *config, json_t *metadata, const cnb__oci_image *run, const char *run_name, bool force,
			 size_t base_layers, size_t app_layers)
{
	char created[32];
	cnb__export_rfc3339(CNB_TAR_EPOCH, created);
	if (copy_platform(config, run->config) < 0 || replace_base_labels(config, run->config) < 0 ||
	    splice_history(config, run->config, base_layers, app_layers) < 0 ||
	    update_metadata(metadata, run, run_name, force) < 0 ||
	    json_object_set_new(config, "created", json_string(created)) < 0)
		return -1;
	char *text = json_dumps(metadata, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return -1;
	int rc = json_object_set_new(labels_of(config), CNB_LIFECYCLE_METADATA_LABEL, json_string(text));
	free(text);
	return rc;
}

int cnb__export_rebase_apply(cnb__oci_image **out, const cnb__oci_image *app, json_t *metadata, const cnb__oci_image *run,
		      const char *run_name, bool force, cnb_error **err)
{
	*out = NULL;
	const char *top = json_string_value(json_object_get(json_object_get(metadata, "runImage"), "topLayer"));
	size_t k = 0;
	while (k < app->n_layers && strcmp(app->layers[k].diff_id, top ? top : ""))
		k++;
	if (k == app->n_layers)
		return cnb__error_set(err, CNB_EINVAL, "runImage.topLayer %s is not a layer of the app image: rebuild it to rebase",
				      top ? top : "");
	if (run->n_layers == 0)
		return cnb__error_set(err, CNB_EINVAL, "run image %s has no layers", run_name);
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	if (cnb__oci_image_new(&img, err) < 0)
		return cnb__error_code(err, CNB_ENOMEM);
	json_t *config = cnb__oci_image_config_edit(img);
	json_t *app_config = json_deep_copy(app->config);
	int rc = app_config && json_object_update(config, app_config) == 0 &&
			 json_object_set_new(json_object_get(config, "rootfs"), "diff_ids", json_array()) == 0 &&
			 rebase_config(config, metadata, run, run_name, force, k + 1, app->n_layers) == 0
		 ? 0
		 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	json_decref(app_config);
	for (size_t i = 0; rc == 0 && i < run->n_layers; i++)
		rc = cnb__oci_image_append_layer(img, &run->layers[i], err);
	for (size_t i = k + 1; rc == 0 && i < app->n_layers; i++)
		rc = cnb__oci_image_append_layer(img, &app->layers[i], err);
	const char *key;
	json_t *v;
	json_object_foreach(app->annotations, key, v) if (rc == 0 && json_is_string(v))
		rc = cnb__oci_image_set_annotation(img, key, json_string_value(v), err);
	if (rc < 0)
		return rc;
	*out = TAKE_PTR(img);
	return 0;
}

/* "os/arch[/variant]" of an image, to pick the same platform from a multi-platform run image. */
static char *platform_of(const cnb__oci_image *img)
{
	const char *os = json_string_value(json_object_get(img->config, "os"));
	const char *arch = json_string_value(json_object_get(img->config, "architecture"));
	const char *variant = json_string_value(json_object_get(img->config, "variant"));
	char *p = NULL;
	if (!os || !arch)
		return NULL;
	if (asprintf(&p, "%s/%s%s%s", os, arch, variant ? "/" : "", variant ? variant : "") < 0)
		return NULL;
	return p;
}

static int rebase(char **out_digest, cnb_ctx *ctx, const cnb_image_rebase_opts *opts, cnb_error **err)
{
	const char *src = opts->previous_image ? opts->previous_image : opts->image;
	_cleanup_oci_image_ cnb__oci_image *app = NULL;
	_cleanup_oci_image_ cnb__oci_image *run = NULL;
	_cleanup_oci_image_ cnb__oci_image *rebased = NULL;
	json_auto_t *metadata = NULL;
	_cleanup_free_ char *default_run = NULL;
	int rc = cnb__oci_image_pull_config(ctx, src, NULL, &app, err);
	if (rc == 0)
		rc = cnb__export_rebase_metadata(app, src, &metadata, err);
	if (rc == 0 && !opts->run_image)
		rc = cnb__export_rebase_default_run_image(metadata, opts->image, &default_run, err);
	if (rc < 0)
		return rc;
	const char *run_name = opts->run_image ? opts->run_image : default_run;
	_cleanup_free_ char *platform = platform_of(app);
	cnb__api_log(ctx, CNB_LOG_INFO, "===> REBASE %s onto %s", src, run_name);
	rc = cnb__oci_image_pull_config(ctx, run_name, platform, &run, err);
	if (rc == 0)
		rc = cnb__export_rebase_check(app, metadata, run, run_name, opts->force, err);
	if (rc == 0)
		rc = cnb__export_rebase_apply(&rebased, app, metadata, run, run_name, opts->force, err);
	if (rc < 0)
		return rc;
	return cnb__oci_image_push(ctx, rebased, opts->image, NULL, out_digest, err);
}

CNB__DEFINE_OPTS_INIT(cnb_image_rebase_opts, CNB_IMAGE_REBASE_OPTS_VERSION, CNB_IMAGE_REBASE_OPTS_INIT)

int cnb_image_rebase(char **out_digest, cnb_ctx *ctx, const cnb_image_rebase_opts *opts, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_image_rebase_opts defaults = CNB_IMAGE_REBASE_OPTS_INIT;
	if (out_digest)
		*out_digest = NULL;
	if (!(opts = cnb__api_opts_resolve(opts, &defaults, CNB_IMAGE_REBASE_OPTS_VERSION, "cnb_image_rebase_opts", err)))
		return CNB_EINVAL;
	if (!ctx || !opts->image || !*opts->image)
		return cnb__error_set(err, CNB_EINVAL, "cnb_image_rebase: a context and opts->image are required");
	int rc = rebase(out_digest, ctx, opts, err);
	return rc < 0 ? cnb__error_prefix(err, "rebase %s", opts->image) : 0;
}
