/*
 * [[targets]] tables as platforms: builder.toml and package.toml (pack's formats) and buildpack.toml
 * (buildpacks/spec buildpack.md "Targets") share their shape: os (default linux), arch, variant.
 * A builder or a buildpackage is made once per target, its manifests under one image index.
 */
#ifndef CNB_BUILDER_PLATFORM_TARGETS_H
#define CNB_BUILDER_PLATFORM_TARGETS_H

#include "lib/toml/toml.h"

#include <cnb/error.h>
#include <stdbool.h>
#include <stddef.h>

#define CNB_BUILDER_MAX_TARGETS 16

/*
 * `targets` (an array of tables, or NULL) as "linux/arch[/variant]" names, NULL-terminated in *out
 * (NULL when there are none; free with cnb__strv_free), *n of them. Strict (builder.toml,
 * package.toml): every entry names an arch and none repeats. Lenient (buildpack.toml): entries
 * without an arch (any arch) are left out and repeats (the same platform for other distros) merged.
 * Only os "linux" is supported.
 */
int cnb__builder_targets_parse(char ***out, size_t *n, const cnb_toml *targets, const char *path, bool lenient,
			       cnb_error **err);

/*
 * The platform `requested` (--platform) among `targets` (`whose`: "the builder's", for messages): with
 * targets it must be one of them. NULL in *out: none requested, so every target is made (or, without
 * targets, the host's platform).
 */
int cnb__builder_targets_pick(char *const *targets, size_t n, const char *requested, const char *whose,
			      const char **out, cnb_error **err);

#endif
