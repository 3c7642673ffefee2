/* Builder creation: build image + buildpack layers + config layer + labels. */
#include "builder-create.h"
#include "builder-config.h"
#include "builder-labels.h"
#include "builder-layers.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/export/image-config.h"
#include "lib/common/tar-writer.h"
#include "oci/image.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct builder_state {
	cnb__builder_config *config;
	cnb__bp_descriptor **bps; /* one per [[buildpacks]] entry, in file order */
	size_t n_bps;
	cnb__order order;         /* [[order]] with every version filled in */
	char *tmp_dir;
} builder_state;

static void state_clear(builder_state *s)
{
	for (size_t i = 0; i < s->n_bps; i++)
		cnb__bp_descriptor_free(s->bps[i]);
	free(s->bps);
	cnb__order_free(&s->order);
	cnb__builder_config_free(s->config);
	if (s->tmp_dir)
		cnb__rm_rf(s->tmp_dir, NULL);
	free(s->tmp_dir);
}

static int load_buildpack(const cnb__builder_bp *ref, cnb__bp_descriptor **out, cnb_error **err)
{
	if (!strncmp(ref->uri, "docker://", 9) || !strncmp(ref->uri, "oci:", 4) || ref->uri[0] != '/')
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "buildpack %s: only buildpack directories are supported as uri so far", ref->uri);
	_cleanup_free_ char *toml_path = cnb__path_join(ref->uri, "buildpack.toml");
	if (!toml_path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb_toml *doc = NULL;
	int r = cnb__toml_parse_file(&doc, toml_path, err);
	if (r == 0)
		r = cnb__bp_descriptor_parse(out, doc, ref->uri, toml_path, err);
	cnb__toml_free(doc);
	if (r < 0)
		return cnb__error_prefix(err, "buildpack %s", ref->uri);
	if ((ref->id && strcmp(ref->id, (*out)->id)) || (ref->version && strcmp(ref->version, (*out)->version))) {
		r = cnb__error_set(err, CNB_EINVAL, "buildpack %s is %s@%s, but builder.toml says %s@%s", ref->uri,
				   (*out)->id, (*out)->version, ref->id ? ref->id : (*out)->id,
				   ref->version ? ref->version : (*out)->version);
		cnb__bp_descriptor_free(*out);
		*out = NULL;
	}
	return r;
}

/* Buildpacks available by id: the listed ones and those their composite orders name (which must be listed too). */
static const cnb__bp_descriptor *find_bp(const builder_state *s, const char *id, const char *version, bool *ambiguous)
{
	const cnb__bp_descriptor *found = NULL;
	*ambiguous = false;
	for (size_t i = 0; i < s->n_bps; i++) {
		if (strcmp(s->bps[i]->id, id) || (version && strcmp(s->bps[i]->version, version)))
			continue;
		if (found && strcmp(found->version, s->bps[i]->version))
			*ambiguous = true;
		found = s->bps[i];
	}
	return found;
}

/* Copies [[order]], filling in versions, and checks every entry names a buildpack of the builder. */
static int resolve_order(builder_state *s, const cnb__order *in, const char *where, cnb__order *out, cnb_error **err)
{
	if (!(out->groups = calloc(in->n + 1, sizeof(*out->groups))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t g = 0; g < in->n; g++) {
		cnb__order_group *og = &out->groups[out->n++];
		if (!(og->elems = calloc(in->groups[g].n + 1, sizeof(*og->elems))))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		for (size_t i = 0; i < in->groups[g].n; i++) {
			const cnb__order_elem *e = &in->groups[g].elems[i];
			bool ambiguous;
			const cnb__bp_descriptor *bp = find_bp(s, e->id, e->version, &ambiguous);
			if (!bp)
				return cnb__error_set(err, CNB_ENOTFOUND,
						      "%s: order group %zu names %s%s%s, which is not among the builder's "
						      "buildpacks: add it to [[buildpacks]]",
						      where, g + 1, e->id, e->version ? "@" : "", e->version ? e->version : "");
			if (ambiguous)
				return cnb__error_set(err, CNB_EINVAL, "%s: order names %s without a version, but the builder "
								   "has several: give the version", where, e->id);
			cnb__order_elem *oe = &og->elems[og->n++];
			oe->optional = e->optional;
			if (!(oe->id = strdup(bp->id)) || !(oe->version = strdup(bp->version)))
				return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
	}
	return 0;
}

/* Checks the composites' nested orders too (the lifecycle would only find out during detect, exit 22). */
static int check_nested_orders(builder_state *s, cnb_error **err)
{
	for (size_t i = 0; i < s->n_bps; i++) {
		if (!s->bps[i]->order.n)
			continue;
		cnb__order scratch = { 0 };
		int r = resolve_order(s, &s->bps[i]->order, s->bps[i]->path, &scratch, err);
		cnb__order_free(&scratch);
		if (r < 0)
			return r;
	}
	return 0;
}

static int env_uint(const json_t *config, const char *name, uint32_t *out)
{
	const char *v = cnb__image_env_get(cnb__image_config_env(config), name);
	char *end = NULL;
	unsigned long n = v ? strtoul(v, &end, 10) : 0;
	if (!v || !*v || *end || n > UINT32_MAX)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static int set_label(json_t *labels, const char *key, json_t *value, cnb_error **err)
{
	char *text = value ? json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(value);
	if (!text)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = json_object_set_new(labels, key, json_string(text));
	free(text);
	return r == 0 ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

static int add_tar_layer(cnb_ctx *ctx, cnb__oci_image *img, const char *tar, const char *created_by, char **diff_id,
			 cnb_error **err)
{
	char created[32];
	cnb__rfc3339(CNB_TAR_EPOCH, created);
	cnb__oci_layer layer = { 0 };
	int r = cnb__oci_layer_from_tar(ctx, tar, &layer, err);
	if (r == 0)
		r = cnb__oci_image_append_layer(img, &layer, err);
	if (r == 0 && cnb__image_history_add(cnb__oci_image_config_edit(img), created, created_by) < 0)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r == 0 && diff_id && !(*diff_id = strdup(layer.diff_id)))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
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
	cnb__builder_module *mods = calloc(s->n_bps + 1, sizeof(*mods));
	char **diff_ids = calloc(s->n_bps + 1, sizeof(char *));
	int r = mods && diff_ids ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < s->n_bps; i++) {
		_cleanup_free_ char *tar = NULL, *created_by = NULL;
		if (asprintf(&tar, "%s/bp-%zu.tar", s->tmp_dir, i) < 0 ||
		    asprintf(&created_by, "Buildpack: %s@%s", s->bps[i]->id, s->bps[i]->version) < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (r == 0)
			r = cnb__builder_write_bp_layer(s->bps[i], tar, err);
		if (r == 0)
			r = add_tar_layer(ctx, img, tar, created_by, &diff_ids[i], err);
		mods[i].bp = s->bps[i];
		mods[i].diff_id = diff_ids[i];
	}
	_cleanup_free_ char *config_tar = cnb__path_join(s->tmp_dir, "config.tar");
	if (r == 0 && !config_tar)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r == 0)
		r = cnb__builder_write_config_layer(s->config, &s->order, uid, gid, config_tar, err);
	if (r == 0)
		r = add_tar_layer(ctx, img, config_tar, "Builder config: order, run image, build-config env", NULL, err);
	json_t *config = r == 0 ? cnb__oci_image_config_edit(img) : NULL;
	json_t *labels = config ? cnb__image_config_labels(config) : NULL;
	json_t *cc = json_object_get(config, "config");
	if (r == 0 && !labels)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r == 0)
		r = set_label(labels, "io.buildpacks.builder.metadata", cnb__builder_metadata_label(s->config, mods, s->n_bps), err);
	if (r == 0)
		r = set_label(labels, "io.buildpacks.buildpack.layers", cnb__builder_layers_label(mods, s->n_bps), err);
	if (r == 0)
		r = set_label(labels, "io.buildpacks.buildpack.order", cnb__builder_order_label(&s->order), err);
	if (r == 0 && s->config->stack_id)
		json_object_set_new(labels, "io.buildpacks.stack.id", json_string(s->config->stack_id));
	if (r == 0)
		json_object_set_new(cc, "WorkingDir", json_string("/layers"));
	for (size_t i = 0; diff_ids && i < s->n_bps; i++)
		free(diff_ids[i]);
	free(diff_ids);
	free(mods);
	return r;
}

int cnb__builder_create(cnb_ctx *ctx, const char *config_path, const char *dst, const char *platform,
			char **out_digest, cnb_error **err)
{
	builder_state s = { 0 };
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	int r = cnb__builder_config_load(&s.config, config_path, err);
	if (r == 0 && !(s.bps = calloc(s.config->n_buildpacks + 1, sizeof(*s.bps))))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < s.config->n_buildpacks; i++)
		if ((r = load_buildpack(&s.config->buildpacks[i], &s.bps[i], err)) == 0)
			s.n_bps++;
	if (r == 0)
		r = resolve_order(&s, &s.config->order, config_path, &s.order, err);
	if (r == 0)
		r = check_nested_orders(&s, err);
	if (r == 0) {
		char tmpl[] = "/tmp/cnb-builder-XXXXXX";
		if (!mkdtemp(tmpl) || !(s.tmp_dir = strdup(tmpl)))
			r = cnb__error_errno(err, CNB_EIO, errno, "create a temp dir");
	}
	if (r == 0 && (r = cnb__oci_image_pull(ctx, s.config->build_image, platform, &img, err)) < 0)
		cnb__error_prefix(err, "build image");
	if (r == 0)
		r = build_image(ctx, &s, img, err);
	if (r == 0)
		r = cnb__oci_image_push(ctx, img, dst, NULL, out_digest, err);
	state_clear(&s);
	return r < 0 ? cnb__error_prefix(err, "builder create %s", dst) : 0;
}
