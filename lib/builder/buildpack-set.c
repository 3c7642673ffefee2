/* Buildpacks with their layers, from directories and buildpackages, for builders and packages. */
#include "buildpack-set.h"
#include "buildpack-package-read.h"
#include "builder-layers.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-writer.h"
#include "lib/export/image-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cnb__builder_bp_set_init(cnb__builder_bp_set *s, cnb_error **err)
{
	*s = (cnb__builder_bp_set){ 0 };
	return cnb__mkdtemp("cnb-buildpacks-", &s->tmp_dir, err);
}

static void module_clear(cnb__builder_bp_module *m)
{
	cnb__lifecycle_bp_descriptor_free(m->bp);
	cnb__oci_layer_clear(&m->layer);
	json_decref(m->info);
}

void cnb__builder_bp_set_clear(cnb__builder_bp_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		module_clear(&s->mods[i]);
	free(s->mods);
	if (s->tmp_dir)
		cnb__rm_rf(s->tmp_dir, NULL);
	free(s->tmp_dir);
	*s = (cnb__builder_bp_set){ 0 };
}

/* Takes m. The same id@version twice is one buildpack when the layers agree. */
static int add_module(cnb__builder_bp_set *s, cnb__builder_bp_module *m, size_t *out_index, cnb_error **err)
{
	for (size_t i = 0; i < s->n; i++) {
		const cnb__builder_bp_module *o = &s->mods[i];
		if (strcmp(o->bp->id, m->bp->id) || strcmp(o->bp->version, m->bp->version))
			continue;
		int r = strcmp(o->layer.diff_id, m->layer.diff_id)
				? cnb__error_set(err, CNB_EINVAL,
						 "buildpack %s@%s comes twice with different contents (%s and %s): keep one",
						 m->bp->id, m->bp->version, o->bp->dir, m->bp->dir)
				: 0;
		module_clear(m);
		if (out_index)
			*out_index = i;
		return r;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		cnb__builder_bp_module *mods = realloc(s->mods, cap * sizeof(*mods));
		if (!mods) {
			module_clear(m);
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
		s->mods = mods, s->cap = cap;
	}
	if (out_index)
		*out_index = s->n;
	s->mods[s->n++] = *m;
	return 0;
}

char *cnb__builder_bp_set_descriptor_path(const char *dir)
{
	/* An image extension's directory has extension.toml instead (image_extension.md "extension.toml"). */
	char *toml_path = cnb__path_join(dir, "buildpack.toml");
	_cleanup_free_ char *ext_path = cnb__path_join(dir, "extension.toml");
	struct stat st;
	if (!toml_path || !ext_path) {
		free(toml_path);
		return NULL;
	}
	if (lstat(toml_path, &st) < 0 && lstat(ext_path, &st) == 0) {
		free(toml_path);
		toml_path = TAKE_PTR(ext_path);
	}
	return toml_path;
}

static int load_descriptor(const char *dir, const char *id, const char *version, cnb__lifecycle_bp_descriptor **out,
			   cnb_error **err)
{
	_cleanup_free_ char *toml_path = cnb__builder_bp_set_descriptor_path(dir);
	if (!toml_path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_toml_ cnb_toml *doc = NULL;
	int r = cnb__toml_parse_file(&doc, toml_path, err);
	if (r == 0)
		r = cnb__lifecycle_bp_descriptor_parse(out, doc, dir, toml_path, err);
	if (r < 0)
		return cnb__error_prefix(err, "buildpack %s", dir);
	if ((id && strcmp(id, (*out)->id)) || (version && strcmp(version, (*out)->version))) {
		r = cnb__error_set(err, CNB_EINVAL, "buildpack %s is %s@%s, but the config says %s@%s: fix the id or version",
				   dir, (*out)->id, (*out)->version, id ? id : (*out)->id, version ? version : (*out)->version);
		cnb__lifecycle_bp_descriptor_free(*out);
		*out = NULL;
	}
	return r;
}

int cnb__builder_bp_set_add_dir(cnb__builder_bp_set *s, cnb_ctx *ctx, const char *dir, const char *id, const char *version,
			size_t *out_index, cnb_error **err)
{
	cnb__builder_bp_module m = { 0 };
	int r = load_descriptor(dir, id, version, &m.bp, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *warning = cnb__lifecycle_bp_id_warning(m.bp->id);
	if (warning)
		cnb__api_log(ctx, CNB_LOG_WARN, "%s", warning);
	_cleanup_free_ char *tar = NULL;
	if (asprintf(&tar, "%s/bp-%zu.tar", s->tmp_dir, s->n) < 0)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	size_t stripped = 0;
	if (r == 0)
		r = cnb__builder_write_bp_layer(m.bp, tar, &stripped, err);
	if (r == 0 && stripped)
		cnb__api_log(ctx, CNB_LOG_WARN,
			 "buildpack %s@%s: removed the setuid/setgid bit from %zu file%s (buildpacks run unprivileged; "
			 "a setuid file would be root-owned in the builder)",
			 m.bp->id, m.bp->version, stripped, stripped == 1 ? "" : "s");
	if (r == 0)
		r = cnb__oci_layer_from_tar(ctx, tar, &m.layer, err);
	if (tar)
		unlink(tar);
	if (r < 0) {
		module_clear(&m);
		return cnb__error_prefix(err, "buildpack %s", dir);
	}
	return add_module(s, &m, out_index, err);
}

static int add_package_entry(cnb__builder_bp_set *s, const cnb__builder_bp_package *p, const char *id, const char *version,
			     const json_t *info, cnb_error **err)
{
	const cnb__oci_layer *layer = cnb__builder_bp_package_layer(p, info);
	if (!layer)
		return cnb__error_set(err, CNB_EINVAL,
				      "%s: buildpack %s@%s: its layerDiffID is not one of the image's layers: "
				      "not a valid buildpackage, package it again", p->uri, id, version);
	cnb__builder_bp_module m = { 0 };
	int r = cnb__builder_bp_package_descriptor(&m.bp, p, id, version, info, err);
	if (r < 0)
		return r;
	m.info = json_deep_copy(info);
	if (!m.info || !(m.layer.digest = strdup(layer->digest)) || !(m.layer.diff_id = strdup(layer->diff_id)) ||
	    !(m.layer.media_type = strdup(layer->media_type)) || !(m.layer.path = strdup(layer->path))) {
		module_clear(&m);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	m.layer.size = layer->size;
	return add_module(s, &m, NULL, err);
}

/* The label entry of id (at version, or its only version); NULL when absent or ambiguous. */
static const json_t *package_entry(const cnb__builder_bp_package *p, const char *id, const char **version)
{
	const json_t *versions = json_object_get(p->layers, id);
	if (*version)
		return json_object_get(versions, *version);
	if (json_object_size(versions) != 1)
		return NULL;
	void *it = json_object_iter((json_t *)versions);
	*version = json_object_iter_key(it);
	return json_object_iter_value(it);
}

/* Adds id@version of p and, for a composite, what its order names (depth bounded against cycles). */
static int add_selected(cnb__builder_bp_set *s, const cnb__builder_bp_package *p, const char *id, const char *version, int depth,
			cnb_error **err)
{
	const json_t *info = package_entry(p, id, &version);
	if (!info)
		return cnb__error_set(err, CNB_ENOTFOUND, "%s has no buildpack %s%s%s (or several versions of it): "
							  "check the id and version, or the package",
				      p->uri, id, version ? "@" : "", version ? version : "");
	if (depth > 16)
		return cnb__error_set(err, CNB_EINVAL, "%s: buildpack orders nest deeper than 16 (a cycle?) at %s", p->uri, id);
	int r = add_package_entry(s, p, id, version, info, err);
	const json_t *order = json_object_get(info, "order"), *group, *elem;
	size_t g, i;
	json_array_foreach(order, g, group) {
		json_array_foreach(json_object_get(group, "group"), i, elem) {
			const char *eid = json_string_value(json_object_get(elem, "id"));
			if (r == 0 && eid)
				r = add_selected(s, p, eid, json_string_value(json_object_get(elem, "version")), depth + 1, err);
		}
	}
	return r;
}

/* The index of id@version in the set, or s->n. */
static size_t module_index(const cnb__builder_bp_set *s, const char *id, const char *version)
{
	size_t i = 0;
	while (i < s->n && (strcmp(s->mods[i].bp->id, id) || strcmp(s->mods[i].bp->version, version)))
		i++;
	return i;
}

int cnb__builder_bp_set_add_package(cnb__builder_bp_set *s, cnb_ctx *ctx, const char *uri, const char *platform, const char *id,
			    const char *version, size_t *out_top, cnb_error **err)
{
	_cleanup_free_ char *scratch = NULL;
	if (asprintf(&scratch, "%s/package-%zu", s->tmp_dir, s->n) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__builder_bp_package p = { 0 };
	int r = cnb__builder_bp_package_open(&p, ctx, uri, platform, scratch, err);
	if (r < 0)
		return r;
	if (id) {
		r = add_selected(s, &p, id, version, 0, err);
	} else if (version) {
		r = cnb__error_set(err, CNB_EINVAL, "%s: a version without an id: give the id too", uri);
	} else {
		const char *bp_id, *bp_version;
		json_t *versions, *info;
		json_object_foreach(p.layers, bp_id, versions) {
			json_object_foreach(versions, bp_version, info) {
				if (r == 0)
					r = add_package_entry(s, &p, bp_id, bp_version, info, err);
			}
		}
	}
	if (r == 0 && out_top) {
		const char *top_version = version;
		const json_t *versions = json_object_get(p.layers, id ? id : p.id);
		if (!top_version && id && json_object_size(versions) == 1)
			top_version = json_object_iter_key(json_object_iter((json_t *)versions));
		*out_top = module_index(s, id ? id : p.id, top_version ? top_version : p.version);
	}
	cnb__builder_bp_package_clear(&p);
	return r;
}

const cnb__lifecycle_bp_descriptor *cnb__builder_bp_set_find(const cnb__builder_bp_set *s, const char *id, const char *version,
					   bool extension, bool *ambiguous)
{
	const cnb__lifecycle_bp_descriptor *found = NULL;
	*ambiguous = false;
	for (size_t i = 0; i < s->n; i++) {
		const cnb__lifecycle_bp_descriptor *bp = s->mods[i].bp;
		if (bp->extension != extension || strcmp(bp->id, id) || (version && strcmp(bp->version, version)))
			continue;
		if (found && strcmp(found->version, bp->version))
			*ambiguous = true;
		found = bp;
	}
	return *ambiguous ? NULL : found;
}

int cnb__builder_bp_set_resolve_order(const cnb__builder_bp_set *s, const cnb__lifecycle_order *in, const char *where, cnb__lifecycle_order *out,
			      cnb_error **err)
{
	if (!(out->groups = calloc(in->n + 1, sizeof(*out->groups))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t g = 0; g < in->n; g++) {
		cnb__lifecycle_order_group *og = &out->groups[out->n++];
		if (!(og->elems = calloc(in->groups[g].n + 1, sizeof(*og->elems))))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		for (size_t i = 0; i < in->groups[g].n; i++) {
			const cnb__lifecycle_order_elem *e = &in->groups[g].elems[i];
			bool ambiguous;
			const cnb__lifecycle_bp_descriptor *bp = cnb__builder_bp_set_find(s, e->id, e->version, e->extension, &ambiguous);
			if (ambiguous)
				return cnb__error_set(err, CNB_EINVAL, "%s: order names %s without a version, but there are "
								   "several: give the version", where, e->id);
			if (!bp)
				return cnb__error_set(err, CNB_ENOTFOUND,
						      "%s: %s group %zu names %s%s%s, which is not among the builder's "
						      "%s: add it to [[%s]] (or [[dependencies]] of a package)",
						      where, e->extension ? "order-extensions" : "order", g + 1, e->id,
						      e->version ? "@" : "", e->version ? e->version : "",
						      e->extension ? "extensions" : "buildpacks", e->extension ? "extensions" : "buildpacks");
			cnb__lifecycle_order_elem *oe = &og->elems[og->n++];
			oe->optional = e->optional;
			oe->extension = e->extension;
			if (!(oe->id = strdup(bp->id)) || !(oe->version = strdup(bp->version)))
				return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
	}
	return 0;
}

int cnb__builder_bp_set_check_composites(const cnb__builder_bp_set *s, cnb_error **err)
{
	for (size_t i = 0; i < s->n; i++) {
		const cnb__lifecycle_bp_descriptor *bp = s->mods[i].bp;
		if (!bp->order.n)
			continue;
		cnb__lifecycle_order scratch = { 0 };
		int r = cnb__builder_bp_set_resolve_order(s, &bp->order, bp->path, &scratch, err);
		cnb__lifecycle_order_free(&scratch);
		if (r < 0)
			return r;
	}
	return 0;
}

int cnb__builder_bp_layer_append(cnb__oci_image *img, const cnb__oci_layer *layer, const char *created_by, cnb_error **err)
{
	char created[32];
	cnb__export_rfc3339(CNB_TAR_EPOCH, created);
	int r = cnb__oci_image_append_layer(img, layer, err);
	if (r == 0 && cnb__export_image_history_add(cnb__oci_image_config_edit(img), created, created_by) < 0)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return r;
}

int cnb__builder_bp_set_append_layers(const cnb__builder_bp_set *s, cnb__oci_image *img, cnb_error **err)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < s->n; i++) {
		_cleanup_free_ char *created_by = NULL;
		if (asprintf(&created_by, "%s: %s@%s", s->mods[i].bp->extension ? "Extension" : "Buildpack",
			     s->mods[i].bp->id, s->mods[i].bp->version) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		r = cnb__builder_bp_layer_append(img, &s->mods[i].layer, created_by, err);
	}
	return r;
}
