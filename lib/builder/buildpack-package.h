/* `cnb buildpack package`: a buildpackage (distribution.md "Buildpackage") from pack's package.toml. */
#ifndef CNB_BUILDPACK_PACKAGE_H
#define CNB_BUILDPACK_PACKAGE_H

#include <stdbool.h>
#include <cnb/ctx.h>

/*
 * Reads package.toml at `config_path` and makes an image of one layer per buildpack (the top one and
 * its dependencies) with the io.buildpacks.buildpack.layers and io.buildpacks.buildpackage.metadata
 * labels. `as_file`: `dst` is a .cnb path; else "docker://REF" or "oci:DIR[:TAG]". Reproducible.
 * *out_digest (may be NULL): the manifest digest.
 */
int cnb__builder_buildpack_package(cnb_ctx *ctx, const char *config_path, const char *dst, bool as_file, const char *platform,
			   char **out_digest, cnb_error **err);

#endif
