/*
 * Shell processes: direct=false processes of Buildpack API < 0.9 and commands given without `--`
 * run through /bin/bash after sourcing profile.d scripts (buildpack.md "Launch",
 * platform.md "launcher" › "Execution"; lifecycle launch/shell.go, launch/bash.go). Direct
 * processes never come here: images without a shell still run them.
 */
#ifndef CNB_LC_LAUNCH_SHELL_H
#define CNB_LC_LAUNCH_SHELL_H

#include <cnb/error.h>
#include "lib/lifecycle/launcher/launch-layers.h"
#include "lib/lifecycle/launcher/launch-process.h"
#include "lib/common/strv.h"

/* The shell a non-direct process runs in (bash >= 3 on Linux, platform.md "launcher"). */
#define CNB_LAUNCH_SHELL "/bin/bash"

/*
 * The scripts to source, in order: each layer's profile.d/ files then profile.d/<type>/ files (when `type`
 * is not empty), then <app_dir>/.profile when it exists and is not a directory.
 */
int cnb__lifecycle_launch_shell_profiles(cnb__strv_list *out, const cnb__lifecycle_launch_layers *layers, const char *type,
			       const char *app_dir, cnb_error **err);

/*
 * argv for CNB_LAUNCH_SHELL: `bash -c <script> <caller> <command> <args...>`, where <script>
 * sources the profiles, changes to `working_dir`, then runs <command> as a bash script (no args)
 * or runs the env-expanded tokens <command> <args...>. `caller` (the launcher's argv[0]) is $0
 * while the profiles run.
 */
int cnb__lifecycle_launch_shell_argv(cnb__strv_list *out, const cnb__strv_list *profiles, const char *working_dir,
			   const char *caller, const cnb__lifecycle_launch_proc *proc, cnb_error **err);

#endif
