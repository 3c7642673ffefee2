/* The labels pack writes on a builder, in the same JSON shapes (checklist §2.3), so pack, kpack
 * and our own build read our builders as theirs. */
#ifndef CNB_BUILDER_LABELS_H
#define CNB_BUILDER_LABELS_H

#include <jansson.h>
#include "builder-config.h"
#include "lib/lifecycle/buildpack-descriptor.h"

typedef struct cnb__builder_module {
	const cnb__bp_descriptor *bp;
	const char *diff_id; /* of the buildpack's layer */
} cnb__builder_module;

/* io.buildpacks.builder.metadata */
json_t *cnb__builder_metadata_label(const cnb__builder_config *c, const cnb__builder_module *mods, size_t n);
/* io.buildpacks.buildpack.layers */
json_t *cnb__builder_layers_label(const cnb__builder_module *mods, size_t n);
/* io.buildpacks.buildpack.order */
json_t *cnb__builder_order_label(const cnb__order *order);

/* The Buildpack and Platform API versions our lifecycle supports, as advertised in the metadata label. */
extern const char *const cnb__supported_buildpack_apis[];
extern const char *const cnb__supported_platform_apis[];

#endif
