/* Buildpackages: the top buildpack and its dependencies, one layer each, with pack's labels. */
#include "buildpack-package.h"
#include "buildpack-package-archive.h"
#include "buildpack-package-config.h"
#include "builder-labels.h"
#include "buildpack-set.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/export/image-config.h"
#include "platform-targets.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"
#include "oci/index-push.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static int add_dependency(cnb__builder_bp_set *set, cnb_ctx *ctx, const char *uri, const char *platform, cnb_error **err)
{
	struct stat st;
	if (uri[0] == '/' && stat(uri, &st) == 0 && S_ISDIR(st.st_mode))
		return cnb__builder_bp_set_add_dir(set, ctx, uri, NULL, NULL, NULL, err);
	return cnb__builder_bp_set_add_package(set, ctx, uri, platform, NULL, NULL, NULL, err);
}

/* An empty image for `platform` (the host's when NULL) with the buildpacks' layers and the two labels. */
static int package_image(const cnb__builder_bp_set *set, const cnb__lifecycle_bp_descriptor *top, const char *platform,
			 cnb__oci_image **out, cnb_error **err)
{
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	int r = cnb__oci_image_new(&img, err);
	if (r == 0)
		r = cnb__oci_image_set_platform(img, platform, err);
	if (r < 0)
		return r;
	json_t *config = cnb__oci_image_config_edit(img);
	json_t *labels = cnb__export_image_config_labels(config);
	r = labels ? cnb__builder_bp_set_append_layers(set, img, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r == 0)
		r = cnb__builder_set_label(labels, top->extension ? "io.buildpacks.extension.layers" : "io.buildpacks.buildpack.layers",
					   cnb__builder_layers_label(set, top->extension), err);
	if (r == 0)
		r = cnb__builder_set_label(labels, "io.buildpacks.buildpackage.metadata",
					   cnb__builder_buildpackage_metadata_label(top), err);
	if (r == 0)
		*out = TAKE_PTR(img);
	return r;
}

/* One platform's package: the top buildpack and the dependencies of that platform. `set` holds what
 * the image's layers point at: clear it after the push. */
static int package_one(cnb_ctx *ctx, const cnb__builder_package_config *c, const char *config_path, const char *platform,
		       cnb__builder_bp_set *set, cnb__oci_image **out, cnb_error **err)
{
	size_t top = 0;
	int r = cnb__builder_bp_set_init(set, err);
	if (r == 0)
		r = cnb__builder_bp_set_add_dir(set, ctx, c->buildpack_uri, NULL, NULL, &top, err);
	for (size_t i = 0; r == 0 && i < c->n_dependencies; i++)
		if ((r = add_dependency(set, ctx, c->dependencies[i], platform, err)) < 0)
			cnb__error_prefix(err, "%s: dependency %s", config_path, c->dependencies[i]);
	if (r == 0)
		r = cnb__builder_bp_set_check_composites(set, err);
	if (r == 0)
		r = package_image(set, set->mods[top].bp, platform, out, err);
	return r;
}

/* The buildpack's own buildpack.toml (or extension.toml) [[targets]] that name an architecture. */
static int buildpack_targets(const cnb__builder_package_config *c, char ***out, size_t *n, cnb_error **err)
{
	_cleanup_free_ char *path = cnb__builder_bp_set_descriptor_path(c->buildpack_uri);
	cnb_toml *doc = NULL;
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (cnb__toml_parse_file(&doc, path, err) < 0)
		return cnb__error_prefix(err, "buildpack");
	int r = cnb__builder_targets_parse(out, n, cnb__toml_get(doc, "targets"), path, true, err);
	cnb__toml_free(doc);
	return r;
}

/*
 * pack's `buildpack package` targets: package.toml [[targets]], else the buildpack.toml's; one
 * manifest per target under one image index, unless --platform picks one. No targets: the host's.
 */
int cnb__builder_buildpack_package(cnb_ctx *ctx, const char *config_path, const char *dst, bool as_file, const char *platform,
			   char **out_digest, cnb_error **err)
{
	cnb__builder_package_config *c = NULL;
	char **bp_targets = NULL;
	size_t n = 0;
	const char *picked = NULL;
	char *const *targets = NULL;
	int r = cnb__builder_package_config_load(&c, config_path, err);
	if (r == 0 && !c->n_targets)
		r = buildpack_targets(c, &bp_targets, &n, err);
	if (r == 0) {
		targets = c->n_targets ? c->targets : bp_targets;
		n = c->n_targets ? c->n_targets : n;
		r = cnb__builder_targets_pick(targets, n, platform, "the package's", &picked, err);
	}
	size_t count = picked || n <= 1 ? 1 : n;
	if (r == 0 && count > 1 && as_file)
		r = cnb__error_set(err, CNB_EINVAL, "%zu targets (%s, ...): a .cnb file holds one platform: pick one with "
						    "--platform, or package an image (an index of them all)", n, targets[0]);
	cnb__builder_bp_set sets[CNB_BUILDER_MAX_TARGETS] = { 0 };
	cnb__oci_image *imgs[CNB_BUILDER_MAX_TARGETS] = { 0 };
	for (size_t i = 0; r == 0 && i < count; i++) {
		const char *p = picked ? picked : n ? targets[i] : NULL;
		if (count > 1)
			cnb__api_log(ctx, CNB_LOG_INFO, "buildpack package %s: target %s", dst, p);
		if ((r = package_one(ctx, c, config_path, p, &sets[i], &imgs[i], err)) < 0 && count > 1)
			cnb__error_prefix(err, "target %s", p);
	}
	if (r == 0 && count > 1) {
		r = cnb__oci_index_push(ctx, imgs, count, dst, out_digest, NULL, err);
	} else if (r == 0 && as_file) {
		r = cnb__builder_bp_archive_write(imgs[0], dst, err);
		if (r == 0 && out_digest && !(*out_digest = strdup(imgs[0]->manifest_digest)))
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	} else if (r == 0) {
		r = cnb__oci_image_push(ctx, imgs[0], dst, NULL, out_digest, err);
	}
	for (size_t i = 0; i < CNB_BUILDER_MAX_TARGETS; i++) {
		cnb__oci_image_free(imgs[i]);
		cnb__builder_bp_set_clear(&sets[i]);
	}
	cnb__strv_free(bp_targets);
	cnb__builder_package_config_free(c);
	return r < 0 ? cnb__error_prefix(err, "buildpack package %s", dst) : 0;
}
