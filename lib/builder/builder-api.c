/* Public entry points of builder tooling. */
#include <cnb/builder.h>
#include "builder-create.h"
#include "lib/common/error-internal.h"

int cnb_builder_create(char **out_digest, cnb_ctx *ctx, const cnb_builder_create_opts *opts, cnb_error **err)
{
	if (out_digest)
		*out_digest = NULL;
	if (!ctx || !opts || opts->version < 1 || opts->version > CNB_BUILDER_CREATE_OPTS_VERSION)
		return cnb__error_set(err, CNB_EINVAL, "cnb_builder_create: context and options (version 1..%d) required",
				      CNB_BUILDER_CREATE_OPTS_VERSION);
	if (!opts->config_path || !opts->destination)
		return cnb__error_set(err, CNB_EINVAL, "builder create: a builder.toml and a destination are required");
	return cnb__builder_create(ctx, opts->config_path, opts->destination, opts->platform, out_digest, err);
}
