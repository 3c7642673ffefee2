/* `cnb builder create`: a builder image from pack's builder.toml, with no daemon and no VM. */
#ifndef CNB_BUILDER_CREATE_H
#define CNB_BUILDER_CREATE_H

#include <cnb/ctx.h>

/*
 * Reads builder.toml at `config_path`, pulls its build image, adds one layer per buildpack and one
 * with /cnb/{order,run,stack}.toml + build-config env, sets the labels pack writes, and writes the
 * result to `dst` ("docker://REF" or "oci:DIR[:TAG]"). *out_digest (may be NULL): manifest digest.
 */
int cnb__builder_create(cnb_ctx *ctx, const char *config_path, const char *dst, const char *platform,
			char **out_digest, cnb_error **err);

#endif
