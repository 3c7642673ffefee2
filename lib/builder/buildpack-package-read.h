/*
 * Reading a buildpackage someone else made (distribution.md "Buildpackage"): a .cnb file (an OCI
 * image layout in a tar) or an image in a registry or layout. Untrusted: the .cnb is read entry by
 * entry with bounds, blobs are verified against their names, and the labels are checked against
 * the image's layers.
 */
#ifndef CNB_BUILDPACK_PACKAGE_READ_H
#define CNB_BUILDPACK_PACKAGE_READ_H

#include <cnb/ctx.h>
#include <jansson.h>
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "oci/image.h"

typedef struct cnb__builder_bp_package {
	char *uri;          /* as given, for messages */
	cnb__oci_image *img;
	json_t *layers;     /* io.buildpacks.buildpack.layers: {"<id>":{"<version>":{…}}} */
	bool extension;     /* an image extension's package: the layers come from io.buildpacks.extension.layers */
	char *id, *version; /* io.buildpacks.buildpackage.metadata: the top buildpack */
} cnb__builder_bp_package;

/*
 * Opens the buildpackage at `uri` (a .cnb path, "docker://REF", "oci:DIR[:TAG]" or a plain REF);
 * a .cnb is unpacked below `scratch_dir`, which must outlive the package. Every layer is local and
 * verified afterwards. Not a buildpackage: CNB_EINVAL, naming what is missing.
 */
int cnb__builder_bp_package_open(cnb__builder_bp_package *out, cnb_ctx *ctx, const char *uri, const char *platform,
			 const char *scratch_dir, cnb_error **err);
void cnb__builder_bp_package_clear(cnb__builder_bp_package *p);

/* The layer of label entry `info` (its layerDiffID), or NULL when the image has none. */
const cnb__oci_layer *cnb__builder_bp_package_layer(const cnb__builder_bp_package *p, const json_t *info);

/* A descriptor for label entry `info` of id@version: API checked as for buildpack.toml, order, targets. */
int cnb__builder_bp_package_descriptor(cnb__lifecycle_bp_descriptor **out, const cnb__builder_bp_package *p, const char *id,
			       const char *version, const json_t *info, cnb_error **err);

#endif
