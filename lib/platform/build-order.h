/*
 * A build's own order (`cnb-build --buildpack ID[@VERSION]`, or project.toml's buildpack group):
 * one group written as <layers>/order.toml, which the lifecycle prefers to /cnb/order.toml
 * (Platform spec: <order> defaults to <layers>/order.toml when present). Versions left out are
 * taken from the builder's io.buildpacks.buildpack.layers label when it holds exactly one.
 */
#ifndef CNB_PLATFORM_BUILD_ORDER_H
#define CNB_PLATFORM_BUILD_ORDER_H

#include <jansson.h>
#include <cnb/error.h>

/* refs: NULL-terminated "ID" or "ID@VERSION". Writes order.toml text into *out (caller frees). */
int cnb__build_order_toml(const char *const *refs, const json_t *builder_config, const char *builder_name, char **out,
			  cnb_error **err);

#endif
