/* Public entry points of builder tooling (include/cnb/builder.h, include/cnb/buildpack.h). */
#include <cnb/builder.h>
#include <cnb/buildpack.h>
#include "builder-create.h"
#include "buildpack-package.h"
#include "lib/api/opts.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <sys/stat.h>

CNB__DEFINE_OPTS_INIT(cnb_builder_create_opts, CNB_BUILDER_CREATE_OPTS_VERSION, CNB_BUILDER_CREATE_OPTS_INIT)
CNB__DEFINE_OPTS_INIT(cnb_buildpack_package_opts, CNB_BUILDPACK_PACKAGE_OPTS_VERSION, CNB_BUILDPACK_PACKAGE_OPTS_INIT)

int cnb_builder_create(char **out_digest, cnb_ctx *ctx, const cnb_builder_create_opts *opts, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_builder_create_opts defaults = CNB_BUILDER_CREATE_OPTS_INIT;
	if (out_digest)
		*out_digest = NULL;
	if (!(opts = cnb__api_opts_resolve(opts, &defaults, CNB_BUILDER_CREATE_OPTS_VERSION, "cnb_builder_create_opts", err)))
		return CNB_EINVAL;
	if (!ctx || !opts->config_path || !opts->destination)
		return cnb__error_set(err, CNB_EINVAL, "builder create: a context, a builder.toml and a destination are required");
	if (cnb__require_path(opts->config_path, "--config", S_IFREG, err) < 0)
		return cnb__error_prefix(err, "builder create");
	return cnb__builder_create(ctx, opts->config_path, opts->destination, opts->platform, out_digest, err);
}

int cnb_buildpack_package(char **out_digest, cnb_ctx *ctx, const cnb_buildpack_package_opts *opts, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_buildpack_package_opts defaults = CNB_BUILDPACK_PACKAGE_OPTS_INIT;
	if (out_digest)
		*out_digest = NULL;
	if (!(opts = cnb__api_opts_resolve(opts, &defaults, CNB_BUILDPACK_PACKAGE_OPTS_VERSION, "cnb_buildpack_package_opts",
				       err)))
		return CNB_EINVAL;
	if (!ctx || !opts->config_path || !opts->destination)
		return cnb__error_set(err, CNB_EINVAL,
				      "buildpack package: a context, a package.toml and a destination are required");
	if (cnb__require_path(opts->config_path, "--config", S_IFREG, err) < 0)
		return cnb__error_prefix(err, "buildpack package");
	if (opts->format != CNB_BUILDPACK_PACKAGE_IMAGE && opts->format != CNB_BUILDPACK_PACKAGE_FILE)
		return cnb__error_set(err, CNB_EINVAL, "buildpack package: format %d is neither image (0) nor file (1)",
				      (int)opts->format);
	return cnb__builder_buildpack_package(ctx, opts->config_path, opts->destination, opts->format == CNB_BUILDPACK_PACKAGE_FILE,
				      opts->platform, out_digest, err);
}
