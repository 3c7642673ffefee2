/* The labels pack writes on a builder or a buildpackage, in the same JSON shapes (distribution.md "Buildpackage"), so pack, kpack
 * and our own build read our builders as theirs. */
#ifndef CNB_BUILDER_LABELS_H
#define CNB_BUILDER_LABELS_H

#include <jansson.h>
#include "builder-config.h"
#include "buildpack-set.h"
#include "lib/lifecycle/spec/buildpack-descriptor.h"

/* io.buildpacks.builder.metadata */
json_t *cnb__builder_metadata_label(const cnb__builder_config *c, const cnb__builder_bp_set *bps);
/* io.buildpacks.buildpack.layers (builders and buildpackages): entries from packages are kept as they are.
 * With `extensions`: io.buildpacks.extension.layers, the same shape for the image extensions. */
json_t *cnb__builder_layers_label(const cnb__builder_bp_set *bps, bool extensions);
/* io.buildpacks.buildpackage.metadata: {"id","version","name"?,"homepage"?} of the top buildpack. */
json_t *cnb__builder_buildpackage_metadata_label(const cnb__lifecycle_bp_descriptor *top);
/* io.buildpacks.buildpack.order (and io.buildpacks.buildpack.order-extensions) */
json_t *cnb__builder_order_label(const cnb__lifecycle_order *order);

/* Sets labels[key] to the compact, key-sorted JSON text of `value` (taken; NULL means OOM). */
int cnb__builder_set_label(json_t *labels, const char *key, json_t *value, cnb_error **err);

/* The Buildpack and Platform API versions our lifecycle supports, as advertised in the metadata label. */
extern const char *const cnb__supported_buildpack_apis[];
extern const char *const cnb__supported_platform_apis[];

#endif
