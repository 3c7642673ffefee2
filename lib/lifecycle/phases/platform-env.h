/*
 * The environment one buildpack executable gets (platform.md "Buildpack Environment", "detector",
 * "builder"): the shared build env, then <platform>/env, then <build-config>/env, then the
 * CNB_* variables its Buildpack API asks for.
 */
#ifndef CNB_LC_PLATFORM_ENV_H
#define CNB_LC_PLATFORM_ENV_H

#include <cnb/error.h>
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "lib/lifecycle/spec/env-rules.h"
#include "lib/lifecycle/phases/phase.h"

/*
 * <platform>/env/<NAME>: the file name is the variable name, literally; for the POSIX path vars
 * the value is prepended with ":", others are overridden (lifecycle env/env.go WithOverrides).
 */
int cnb__lifecycle_platform_env_apply_user(cnb__lifecycle_env *env, const char *platform_dir, cnb_error **err);

/*
 * out = base + user env (unless the buildpack has clear-env) + operator env (build-config, no
 * suffix = default) + CNB_BUILDPACK_DIR (CNB_EXTENSION_DIR for an extension), CNB_PLATFORM_DIR (API >= 0.8), CNB_TARGET_* (>= 0.10),
 * CNB_EXEC_ENV (>= 0.12). The phase adds its own (CNB_BUILD_PLAN_PATH, CNB_LAYERS_DIR...).
 */
int cnb__lifecycle_platform_env_for_buildpack(cnb__lifecycle_env *out, const cnb__lifecycle_env *base, const cnb__lifecycle_bp_descriptor *bp,
				    const cnb__lifecycle_phase_inputs *in, const cnb__lifecycle_target *target, cnb_error **err);

#endif
