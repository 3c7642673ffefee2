/* Builder creation: build image + buildpack layers + config layer + labels. */
#include "builder-create.h"
#include "builder-config.h"
#include "builder-labels.h"
#include "builder-layers.h"
#include "buildpack-set.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/export/image-config.h"
#include "lib/common/tar-writer.h"
#include "lib/api/ctx-internal.h"
#include "oci/image.h"
#include "oci/index-push.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct builder_state {
	cnb__builder_config *config;
	cnb__builder_bp_set bps;  /* the [[buildpacks]] (and what packages bring along), in file order */
	cnb__lifecycle_order order; /* [[order]] with every version filled in */
	cnb__lifecycle_order order_ext; /* [[order-extensions]], the same */
	cnb__lifecycle_order system; /* [system] pre and post, the same */
} builder_state;

static void state_clear(builder_state *s)
{
	cnb__builder_bp_set_clear(&s->bps);
	cnb__lifecycle_order_free(&s->order);
	cnb__lifecycle_order_free(&s->order_ext);
	cnb__lifecycle_order_free(&s->system);
	cnb__builder_config_free(s->config);
}

/* A directory is a buildpack (or an extension); anything else (a .cnb file, an image) a package. An
 * [[extensions]] entry must be an image extension, a [[buildpacks]] entry a buildpack. */
static int add_buildpack(builder_state *s, cnb_ctx *ctx, const cnb__builder_bp *ref, const char *platform,
			 cnb_error **err)
{
	struct stat st;
	size_t at = 0;
	int r = ref->uri[0] == '/' && stat(ref->uri, &st) == 0 && S_ISDIR(st.st_mode)
			? cnb__builder_bp_set_add_dir(&s->bps, ctx, ref->uri, ref->id, ref->version, &at, err)
			: cnb__builder_bp_set_add_package(&s->bps, ctx, ref->uri, platform, ref->id, ref->version, &at, err);
	const cnb__lifecycle_bp_descriptor *bp = r == 0 ? s->bps.mods[at].bp : NULL;
	if (bp && bp->extension != ref->extension)
		r = cnb__error_set(err, CNB_EINVAL, "%s is %s %s@%s: list it under [[%s]]", ref->uri,
				   bp->extension ? "an image extension" : "a buildpack", bp->id, bp->version,
				   bp->extension ? "extensions" : "buildpacks");
	return r;
}

static int env_uint(const json_t *config, const char *name, uint32_t *out)
{
	const char *v = cnb__export_image_env_get(cnb__export_image_config_env(config), name);
	char *end = NULL;
	unsigned long n = v ? strtoul(v, &end, 10) : 0;
	if (!v || !*v || *end || n > UINT32_MAX)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static int add_config_layer(cnb_ctx *ctx, builder_state *s, cnb__oci_image *img, uint32_t uid, uint32_t gid,
			    cnb_error **err)
{
	_cleanup_free_ char *tar = cnb__path_join(s->bps.tmp_dir, "config.tar");
	if (!tar)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__oci_layer layer = { 0 };
	int r = cnb__builder_write_config_layer(s->config, &s->order, &s->order_ext, &s->system, uid, gid, tar, err);
	if (r == 0)
		r = cnb__oci_layer_from_tar(ctx, tar, &layer, err);
	if (r == 0)
		r = cnb__builder_bp_layer_append(img, &layer, "Builder config: order, run image, build-config env", err);
	cnb__oci_layer_clear(&layer);
	return r;
}

static int build_image(cnb_ctx *ctx, builder_state *s, cnb__oci_image *img, cnb_error **err)
{
	uint32_t uid, gid;
	if (env_uint(img->config, "CNB_USER_ID", &uid) < 0 || env_uint(img->config, "CNB_GROUP_ID", &gid) < 0)
		return cnb__error_set(err, CNB_EINVAL,
				      "build image %s: config Env needs numeric CNB_USER_ID and CNB_GROUP_ID (platform spec, "
				      "Build Image): set them on the build image",
				      s->config->build_image);
	int r = cnb__builder_bp_set_append_layers(&s->bps, img, err);
	if (r == 0)
		r = add_config_layer(ctx, s, img, uid, gid, err);
	json_t *config = r == 0 ? cnb__oci_image_config_edit(img) : NULL;
	json_t *labels = config ? cnb__export_image_config_labels(config) : NULL;
	if (r == 0 && !labels)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r == 0)
		r = cnb__builder_set_label(labels, "io.buildpacks.builder.metadata",
					   cnb__builder_metadata_label(s->config, &s->bps), err);
	if (r == 0)
		r = cnb__builder_set_label(labels, "io.buildpacks.buildpack.layers", cnb__builder_layers_label(&s->bps, false),
					   err);
	if (r == 0)
		r = cnb__builder_set_label(labels, "io.buildpacks.buildpack.order", cnb__builder_order_label(&s->order), err);
	/* pack internal/builder/builder.go: the extensions' labels, only when the builder has some */
	if (r == 0 && s->order_ext.n)
		r = cnb__builder_set_label(labels, "io.buildpacks.extension.layers", cnb__builder_layers_label(&s->bps, true),
					   err);
	if (r == 0 && s->order_ext.n)
		r = cnb__builder_set_label(labels, "io.buildpacks.buildpack.order-extensions",
					   cnb__builder_order_label(&s->order_ext), err);
	if (r == 0 && s->config->stack_id)
		json_object_set_new(labels, "io.buildpacks.stack.id", json_string(s->config->stack_id));
	if (r == 0)
		json_object_set_new(json_object_get(config, "config"), "WorkingDir", json_string("/layers"));
	return r;
}

/* What builder.toml says that a libcnb builder does not use: said, never silently dropped. */
static void report_unused(cnb_ctx *ctx, const cnb__builder_config *c, const char *config_path)
{
	if (c->lifecycle)
		cnb__api_log(ctx, CNB_LOG_WARN, "%s: [lifecycle] is not used: a libcnb builder runs libcnb's own lifecycle "
			 "(cnb-lifecycle, Platform API 0.12 to 0.15), whatever uri or version it names", config_path);
	for (char **k = c->unknown; k && *k; k++)
		cnb__api_log(ctx, CNB_LOG_WARN, "%s: unknown key \"%s\" is ignored (not part of builder.toml)", config_path, *k);
}

/* One builder manifest for `platform` (NULL: the host's): buildpacks and build image of that platform.
 * `s` holds what the image's layers point at (unpacked buildpack packages): clear it after the push. */
static int create_one(cnb_ctx *ctx, const char *config_path, const char *platform, builder_state *s,
		      cnb__oci_image **out, cnb_error **err)
{
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	int r = cnb__builder_config_load(&s->config, config_path, err);
	if (r == 0)
		r = cnb__builder_bp_set_init(&s->bps, err);
	for (size_t i = 0; r == 0 && i < s->config->n_buildpacks; i++)
		r = add_buildpack(s, ctx, &s->config->buildpacks[i], platform, err);
	if (r == 0)
		r = cnb__builder_bp_set_resolve_order(&s->bps, &s->config->order, config_path, &s->order, err);
	if (r == 0 && s->config->order_ext.n)
		r = cnb__builder_bp_set_resolve_order(&s->bps, &s->config->order_ext, config_path, &s->order_ext, err);
	if (r == 0 && s->config->system.n)
		r = cnb__builder_bp_set_resolve_order(&s->bps, &s->config->system, config_path, &s->system, err);
	if (r == 0)
		r = cnb__builder_bp_set_check_composites(&s->bps, err);
	if (r == 0 && ((r = cnb__oci_image_pull(ctx, s->config->build_image, platform, &img, err)) < 0 ||
		       (r = cnb__oci_image_check_platform(img, platform, err)) < 0))
		cnb__error_prefix(err, "build image");
	if (r == 0)
		r = build_image(ctx, s, img, err);
	if (r == 0)
		*out = TAKE_PTR(img);
	return r;
}

int cnb__builder_create(cnb_ctx *ctx, const char *config_path, const char *dst, const char *requested_platform,
			char **out_digest, cnb_error **err)
{
	cnb__builder_config *config = NULL;
	const char *platform = NULL;
	int r = cnb__builder_config_load(&config, config_path, err);
	if (r == 0)
		r = cnb__builder_config_platform(config, requested_platform, &platform, err);
	if (r == 0)
		report_unused(ctx, config, config_path);
	/* builder.toml [[targets]]: one manifest per target under one index, unless --platform picks one */
	size_t n = r == 0 && !platform ? config->n_targets : 0;
	cnb__oci_image *imgs[CNB_BUILDER_MAX_TARGETS] = { 0 };
	builder_state states[CNB_BUILDER_MAX_TARGETS] = { 0 };
	for (size_t i = 0; r == 0 && i < (n ? n : 1); i++) {
		if (n)
			cnb__api_log(ctx, CNB_LOG_INFO, "builder %s: target %s", dst, config->targets[i]);
		r = create_one(ctx, config_path, n ? config->targets[i] : platform, &states[i], &imgs[i], err);
		if (r < 0 && n)
			cnb__error_prefix(err, "target %s", config->targets[i]);
	}
	if (r == 0)
		r = n ? cnb__oci_index_push(ctx, imgs, n, dst, out_digest, NULL, err)
		      : cnb__oci_image_push(ctx, imgs[0], dst, NULL, out_digest, err);
	for (size_t i = 0; i < CNB_ARRAY_SIZE(imgs); i++) {
		cnb__oci_image_free(imgs[i]);
		state_clear(&states[i]);
	}
	cnb__builder_config_free(config);
	return r < 0 ? cnb__error_prefix(err, "builder create %s", dst) : 0;
}
