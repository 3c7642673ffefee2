/* Running buildpack executables (bin/detect, bin/build) as child processes. */
#ifndef CNB_LC_BUILDPACK_EXEC_H
#define CNB_LC_BUILDPACK_EXEC_H

#include <stdbool.h>
#include <sys/types.h>
#include <cnb/error.h>
#include "lib/common/buf.h"
#include "lib/toml/toml.h"

/* Kept from a bin/detect's output; the rest is dropped (buildpack output is untrusted). */
#define CNB_EXEC_CAPTURE_MAX (256u * 1024)

/* A started child: its pid, the read end of its captured output (or -1), its exec-error pipe. */
typedef struct cnb__lifecycle_child {
	pid_t pid;
	int out_fd;
	int report_fd;
	const char *path; /* argv[0], for messages; borrowed */
} cnb__lifecycle_child;

/*
 * Starts argv[0] with argv and envp in `cwd`. With `capture`, stdout and stderr go to one pipe
 * (child->out_fd); without, they are inherited (live output). stdin is /dev/null.
 */
int cnb__lifecycle_exec_spawn(cnb__lifecycle_child *child, char *const argv[], char *const envp[], const char *cwd, bool capture,
		    cnb_error **err);

/*
 * Waits for n started children, reading their captured output into capture[i] (bounded by
 * CNB_EXEC_CAPTURE_MAX; the rest is drained) all at once. status[i] = exit code or 128 + signal.
 * A child whose exec failed gets status[i] = -1 and errno_out[i] set. Never fails: every child
 * is reaped.
 */
void cnb__lifecycle_exec_collect(cnb__lifecycle_child *children, size_t n, cnb__buf *capture, int *status, int *errno_out);

/* spawn + collect for one child; spawn or exec failures are errors naming argv[0]. */
int cnb__lifecycle_exec_run(char *const argv[], char *const envp[], const char *cwd, cnb__buf *capture, int *status,
		  cnb_error **err);

/*
 * Writes a module's plan to $TMPDIR/<esc>-XXXXXX/<esc>/plan.toml (lifecycle buildpack/build.go
 * prepareInputPaths). *tmpdir (to remove) and *path are set; the caller frees them.
 */
int cnb__lifecycle_exec_write_plan(const cnb_toml *plan, const char *esc, char **tmpdir, char **path, cnb_error **err);

#endif
