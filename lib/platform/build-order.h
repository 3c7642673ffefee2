/*
 * A build's own order, as pack builds it from --buildpack, --pre-buildpack, --post-buildpack and
 * project.toml's [[io.buildpacks.group]], pre.group and post.group: one group of exactly the given
 * buildpacks, or the builder's groups where "from=builder" stands (pre/post alone keep the
 * builder's order, each group wrapped). Written as <layers>/order.toml, which the lifecycle prefers
 * to /cnb/order.toml (Platform spec: <order> defaults to <layers>/order.toml when present).
 * Buildpacks of the builder are checked against its io.buildpacks.buildpack.layers label (a
 * version left out is taken when the builder has exactly one); the others are fetched into
 * `extra`.
 */
#ifndef CNB_PLATFORM_BUILD_ORDER_H
#define CNB_PLATFORM_BUILD_ORDER_H

#include <jansson.h>
#include <cnb/ctx.h>
#include <cnb/error.h>
#include "lib/builder/buildpack-set.h"

typedef struct cnb__platform_build_order_in {
	const char *const *main; /* NULL-terminated refs (cnb__platform_bp_locate's forms); NULL or empty: from=builder */
	const char *const *pre;
	const char *const *post;
	const json_t *builder_config;
	const char *builder_name;
	const char *platform;
} cnb__platform_build_order_in;

/* *out: order.toml text (caller frees), or NULL when the builder's order stays as it is. */
int cnb__platform_build_order_resolve(cnb_ctx *ctx, const cnb__platform_build_order_in *in, cnb__builder_bp_set *extra, char **out,
			     cnb_error **err);

#endif
