/*
 * The layers `cnb builder create` adds on top of the build image, as reproducible tars (lib/common/
 * tar-writer.h): one per buildpack, so builders made from the same buildpacks share them, and one
 * with the builder's own files (/cnb/order.toml, run.toml, stack.toml, build-config/env, and the
 * /workspace, /layers, /platform directories owned by the CNB user).
 */
#ifndef CNB_BUILDER_LAYERS_H
#define CNB_BUILDER_LAYERS_H

#include <stdint.h>
#include <cnb/error.h>
#include "builder-config.h"
#include "lib/lifecycle/spec/buildpack-descriptor.h"

/* /cnb/buildpacks/<escaped id>/<version>/… (/cnb/extensions/… for an image extension) from its directory; root-owned, modes kept
 * except setuid/setgid bits, which are dropped (*setid_stripped: how many entries had one): root
 * owns these files in the builder, and buildpacks are untrusted. */
int cnb__builder_write_bp_layer(const cnb__lifecycle_bp_descriptor *bp, const char *tar_path, size_t *setid_stripped,
				cnb_error **err);

/*
 * The builder's own files. `order` is the resolved order (every version filled in); `system` the resolved
 * [system] (pre, post), written as /cnb/system.toml when its n is not 0.
 */
int cnb__builder_write_config_layer(const cnb__builder_config *c, const cnb__lifecycle_order *order,
				    const cnb__lifecycle_order *extensions, const cnb__lifecycle_order *system, uint32_t uid, uint32_t gid,
				    const char *tar_path, cnb_error **err);

/* order.toml text for `order` (also stored as the io.buildpacks.buildpack.order label, in JSON) and
 * `extensions` as [[order-extensions]] (NULL or empty: none). */
int cnb__builder_order_toml(const cnb__lifecycle_order *order, const cnb__lifecycle_order *extensions, cnb__buf *out, cnb_error **err);

#endif
