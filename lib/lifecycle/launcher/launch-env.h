/*
 * The environment of a launched process (platform.md "launcher" › "Execution", platform.md "Launch Environment",
 * ; lifecycle env/launch.go, lifecycle launch/launcher.go doEnv). exec.d comes after: launch-execd.h.
 */
#ifndef CNB_LC_LAUNCH_ENV_H
#define CNB_LC_LAUNCH_ENV_H

#include <cnb/error.h>
#include "lib/lifecycle/spec/env-rules.h"
#include "lib/lifecycle/launcher/launch-layers.h"

/*
 * The base: `environ` (the image Env plus `docker run -e`) without the variables that only steer
 * the launcher (CNB_LAYERS_DIR, CNB_APP_DIR, CNB_PROCESS_TYPE, CNB_PLATFORM_API,
 * CNB_DEPRECATION_MODE), and with /cnb/process and /cnb/lifecycle taken out of PATH.
 * 0 or CNB_ENOMEM.
 */
int cnb__lifecycle_launch_env_init(cnb__lifecycle_env *env, char *const *environ);

/*
 * For each buildpack in order: every layer's bin→PATH and lib→LD_LIBRARY_PATH (prepended), then
 * every layer's env/, env.launch/ and, when `type` is not empty, env.launch/<type>/ (a file
 * without a suffix overrides).
 */
int cnb__lifecycle_launch_env_apply_layers(cnb__lifecycle_env *env, const cnb__lifecycle_launch_layers *layers, const char *type,
				 cnb_error **err);

#endif
