/*
 * Choosing the process to launch and its arguments (platform.md "launcher" › "Execution";
 * lifecycle launch/process.go): the default process named by argv[0] (`/cnb/process/<type>`), or a
 * command given on the container command line.
 */
#ifndef CNB_LC_LAUNCH_PROCESS_H
#define CNB_LC_LAUNCH_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>
#include "lib/lifecycle/spec/api-version.h"
#include "lib/lifecycle/launcher/launch-metadata.h"
#include "lib/common/strv.h"

/* A process ready to launch. */
typedef struct cnb__lifecycle_launch_proc {
	char *type;               /* "" for a command given by the user */
	cnb__strv_list command; /* one entry, except a multi-entry command of a string-command shell process */
	cnb__strv_list args;
	bool direct;              /* exec without a shell; false = /bin/bash with profile.d */
	char *working_dir;        /* NULL = <app>; relative = against <app> */
	char *buildpack_id;       /* NULL for a command given by the user */
} cnb__lifecycle_launch_proc;

void cnb__lifecycle_launch_proc_free(cnb__lifecycle_launch_proc *p);
static inline void cnb__launch_proc_freep(cnb__lifecycle_launch_proc *p) { cnb__lifecycle_launch_proc_free(p); }
#define _cleanup_launch_proc_ __attribute__((cleanup(cnb__launch_proc_freep)))

/* The process type argv[0] names: its basename (`/cnb/process/web` → "web"). Points into argv0. */
const char *cnb__lifecycle_launch_process_type_of(const char *argv0);

/*
 * Builds the process for this launch. `argv0` selects the default process when its basename is a
 * process type in `md`; `user_args` are the container's command-line arguments after argv[0].
 * `exec_env` is CNB_EXEC_ENV (filtering applies from Platform API 0.15).
 * Errors (all exit 82): no default process and no command (CNB_EINVAL), the default process not
 * eligible for `exec_env` (CNB_ENOTFOUND), a process of an unknown buildpack (CNB_ENOTFOUND).
 */
int cnb__lifecycle_launch_process_select(cnb__lifecycle_launch_proc *out, const cnb__lifecycle_launch_metadata *md, cnb__lifecycle_api platform,
			       const char *exec_env, const char *argv0, char *const *user_args, size_t n_user_args,
			       cnb_error **err);

#endif
