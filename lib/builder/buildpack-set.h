/*
 * The buildpacks a builder or a buildpackage is made of, each with its one layer
 * (/cnb/buildpacks/<escaped id>/<version>/…) and its io.buildpacks.buildpack.layers entry.
 * Shared by `cnb builder create` and `cnb buildpack package`, so a buildpack gets the same layer
 * (same diffID) whether it comes from a directory or from a buildpackage (distribution.md
 * "Buildpackage"): layers are taken from packages as they are, and made from directories
 * reproducibly.
 */
#ifndef CNB_BUILDPACK_SET_H
#define CNB_BUILDPACK_SET_H

#include <cnb/ctx.h>
#include <jansson.h>
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "oci/image.h"

typedef struct cnb__builder_bp_module {
	cnb__lifecycle_bp_descriptor *bp; /* buildpack.toml, or made from a package's label entry */
	cnb__oci_layer layer;   /* local blob */
	json_t *info;           /* a package's label entry, published as is; NULL: made from bp */
} cnb__builder_bp_module;

typedef struct cnb__builder_bp_set {
	cnb__builder_bp_module *mods; /* in the order they were added */
	size_t n, cap;
	char *tmp_dir;        /* layer tars and unpacked .cnb files */
} cnb__builder_bp_set;

int cnb__builder_bp_set_init(cnb__builder_bp_set *s, cnb_error **err);
void cnb__builder_bp_set_clear(cnb__builder_bp_set *s);

/* DIR/buildpack.toml, or DIR/extension.toml when only that exists (an image extension); NULL on OOM. */
char *cnb__builder_bp_set_descriptor_path(const char *dir);

/*
 * Adds the buildpack in directory `dir` (its layer is written and compressed into the store).
 * `id`/`version` (may be NULL) must match its buildpack.toml. *out_index (may be NULL): its module.
 */
int cnb__builder_bp_set_add_dir(cnb__builder_bp_set *s, cnb_ctx *ctx, const char *dir, const char *id, const char *version,
			size_t *out_index, cnb_error **err);

/*
 * Adds buildpacks of the buildpackage at `uri` (a .cnb path, "docker://REF", "oci:DIR[:TAG]" or a
 * plain REF): all of them, or with `id` (and `version`) that one and what its order reaches.
 * *out_top (may be NULL): the index of `id`, or of the package's top buildpack.
 * A buildpack already in the set with the same layer is kept once; with another layer, refused.
 */
int cnb__builder_bp_set_add_package(cnb__builder_bp_set *s, cnb_ctx *ctx, const char *uri, const char *platform, const char *id,
			    const char *version, size_t *out_top, cnb_error **err);

/*
 * Adds the buildpack archived in the file `path` (a tar, maybe gzipped, of a buildpack directory:
 * pack's .tgz form). Untrusted: bounded, only regular files and directories below the archive root
 * are taken (no links, no "..", no owners), then it is added as a directory.
 */
int cnb__builder_bp_set_add_archive(cnb__builder_bp_set *s, cnb_ctx *ctx, const char *path, size_t *out_index, cnb_error **err);

/* The buildpack (or image extension) `id` (at `version`, or the only version present). NULL: absent or *ambiguous. */
const cnb__lifecycle_bp_descriptor *cnb__builder_bp_set_find(const cnb__builder_bp_set *s, const char *id, const char *version,
					   bool extension, bool *ambiguous);

/* Copies `in`, filling in versions; every entry must name a buildpack (an extension for elements marked
 * extension) of the set (`where` for messages). */
int cnb__builder_bp_set_resolve_order(const cnb__builder_bp_set *s, const cnb__lifecycle_order *in, const char *where, cnb__lifecycle_order *out,
			      cnb_error **err);

/* Every composite's order names buildpacks of the set (the lifecycle would only fail in detect). */
int cnb__builder_bp_set_check_composites(const cnb__builder_bp_set *s, cnb_error **err);

/* Appends `layer` with a history entry made at the reproducible-build epoch. */
int cnb__builder_bp_layer_append(cnb__oci_image *img, const cnb__oci_layer *layer, const char *created_by, cnb_error **err);

/* Appends one layer per module, with history "Buildpack: id@version" ("Extension: …"), in set order. */
int cnb__builder_bp_set_append_layers(const cnb__builder_bp_set *s, cnb__oci_image *img, cnb_error **err);

#endif
