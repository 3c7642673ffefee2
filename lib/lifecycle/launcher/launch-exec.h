/*
 * Replacing the launcher with the process (platform.md "launcher" › "Execution", buildpack.md "Launch";
 * lifecycle launch/launcher.go launchDirect, lifecycle launch/bash.go). No fork: the process gets the
 * launcher's PID, so it receives the container's signals and its exit code is the container's.
 */
#ifndef CNB_LC_LAUNCH_EXEC_H
#define CNB_LC_LAUNCH_EXEC_H

#include <cnb/error.h>
#include "lib/lifecycle/spec/env-rules.h"
#include "lib/lifecycle/launcher/launch-layers.h"
#include "lib/lifecycle/launcher/launch-process.h"

/*
 * Finds `name` as execvp does: a name holding `/` is used as it is; otherwise the first
 * executable regular file `<dir>/<name>` for each entry of `path` (an empty entry is the current
 * directory). A hit in a relative directory is made absolute against the current directory, so
 * that it survives the change to the working dir. CNB_ENOTFOUND when there is none.
 */
int cnb__lifecycle_launch_lookpath(char **out, const char *name, const char *path, cnb_error **err);

/* The process's working dir: its `working-dir` (relative = against `app_dir`), else `app_dir`. Caller frees. */
char *cnb__lifecycle_launch_working_dir(const cnb__lifecycle_launch_proc *proc, const char *app_dir);

/*
 * Execs the process: direct = PATH lookup in `env`, chdir to the working dir, execve; shell =
 * execve of /bin/bash with the profile.d scripts of `layers` (cnb__lifecycle_launch_shell_argv).
 * `caller` is the launcher's argv[0]. The current directory must be `app_dir`. Returns only on
 * failure.
 */
int cnb__lifecycle_launch_exec(const cnb__lifecycle_launch_proc *proc, cnb__lifecycle_env *env, const cnb__lifecycle_launch_layers *layers,
		     const char *app_dir, const char *caller, cnb_error **err);

#endif
