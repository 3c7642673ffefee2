/*
 * exec.d: programs in launch layers that compute env vars at container start (buildpack.md "Exec.d",
 * buildpack.md "Exec.d Output (TOML)", platform.md "launcher" › "Execution", platform.md "Launch Environment"; lifecycle launch/exec_d.go).
 */
#ifndef CNB_LC_LAUNCH_EXECD_H
#define CNB_LC_LAUNCH_EXECD_H

#include <stddef.h>
#include <cnb/error.h>
#include "lib/lifecycle/spec/env-rules.h"
#include "lib/lifecycle/launcher/launch-layers.h"

/* Most output one exec.d program may write to fd 3. */
#define CNB_LAUNCH_EXECD_OUTPUT_MAX (1024u * 1024)

/*
 * Applies one program's fd 3 output: TOML whose top-level keys are env var names with string
 * values; each overrides the variable. `name` (the program's path) is used in errors. Anything
 * else (a table, a non-string, a name holding `=`) is CNB_EPARSE.
 */
int cnb__lifecycle_launch_execd_apply_output(cnb__lifecycle_env *env, const char *data, size_t len, const char *name, cnb_error **err);

/*
 * Runs one exec.d program with argv[0] = `path`, the environment `env`, the launcher's working
 * directory (<app>), stdout and stderr inherited, stdin from /dev/null, and fd 3 the write end of
 * a pipe; then applies its output. A non-zero exit is an error.
 */
int cnb__lifecycle_launch_execd_run(cnb__lifecycle_env *env, const char *path, cnb_error **err);

/* Runs every layer's exec.d/ entries then exec.d/<type>/ entries (when `type` is not empty), in layer order. */
int cnb__lifecycle_launch_execd_run_layers(cnb__lifecycle_env *env, const cnb__lifecycle_launch_layers *layers, const char *type,
				 cnb_error **err);

#endif
