/* Buildpackages: the top buildpack and its dependencies, one layer each, with pack's labels. */
#include "buildpack-package.h"
#include "buildpack-package-archive.h"
#include "buildpack-package-config.h"
#include "builder-labels.h"
#include "buildpack-set.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/export/image-config.h"
#include "oci/platform.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int add_dependency(cnb__bp_set *set, cnb_ctx *ctx, const char *uri, const char *platform, cnb_error **err)
{
	struct stat st;
	if (uri[0] == '/' && stat(uri, &st) == 0 && S_ISDIR(st.st_mode))
		return cnb__bp_set_add_dir(set, ctx, uri, NULL, NULL, NULL, err);
	return cnb__bp_set_add_package(set, ctx, uri, platform, NULL, NULL, NULL, err);
}

/* An empty image for `platform` (the host's when NULL) with the buildpacks' layers and the two labels. */
static int package_image(const cnb__bp_set *set, const cnb__bp_descriptor *top, const char *platform,
			 cnb__oci_image **out, cnb_error **err)
{
	cnb__oci_platform want;
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	int r = cnb__oci_platform_parse(&want, platform, err);
	if (r == 0)
		r = cnb__oci_image_new(&img, err);
	if (r < 0)
		return r;
	json_t *config = cnb__oci_image_config_edit(img);
	json_object_set_new(config, "os", json_string(want.os));
	json_object_set_new(config, "architecture", json_string(want.arch));
	if (want.variant[0])
		json_object_set_new(config, "variant", json_string(want.variant));
	json_t *labels = cnb__image_config_labels(config);
	r = labels ? cnb__bp_set_append_layers(set, img, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r == 0)
		r = cnb__builder_set_label(labels, top->extension ? "io.buildpacks.extension.layers" : "io.buildpacks.buildpack.layers",
					   cnb__builder_layers_label(set, top->extension), err);
	if (r == 0)
		r = cnb__builder_set_label(labels, "io.buildpacks.buildpackage.metadata",
					   cnb__buildpackage_metadata_label(top), err);
	if (r == 0)
		*out = TAKE_PTR(img);
	return r;
}

int cnb__buildpack_package(cnb_ctx *ctx, const char *config_path, const char *dst, bool as_file, const char *platform,
			   char **out_digest, cnb_error **err)
{
	cnb__package_config *c = NULL;
	cnb__bp_set set = { 0 };
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	size_t top = 0;
	int r = cnb__package_config_load(&c, config_path, err);
	if (r == 0)
		r = cnb__bp_set_init(&set, err);
	if (r == 0)
		r = cnb__bp_set_add_dir(&set, ctx, c->buildpack_uri, NULL, NULL, &top, err);
	for (size_t i = 0; r == 0 && i < c->n_dependencies; i++)
		if ((r = add_dependency(&set, ctx, c->dependencies[i], platform, err)) < 0)
			cnb__error_prefix(err, "%s: dependency %s", config_path, c->dependencies[i]);
	if (r == 0)
		r = cnb__bp_set_check_composites(&set, err);
	if (r == 0)
		r = package_image(&set, set.mods[top].bp, platform, &img, err);
	if (r == 0 && as_file) {
		r = cnb__bp_archive_write(img, dst, err);
		if (r == 0 && out_digest && !(*out_digest = strdup(img->manifest_digest)))
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	} else if (r == 0) {
		r = cnb__oci_image_push(ctx, img, dst, NULL, out_digest, err);
	}
	cnb__bp_set_clear(&set);
	cnb__package_config_free(c);
	return r < 0 ? cnb__error_prefix(err, "buildpack package %s", dst) : 0;
}
