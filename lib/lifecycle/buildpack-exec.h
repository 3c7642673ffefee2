/* Running a buildpack executable (bin/detect, bin/build) as a child process. */
#ifndef CNB_LC_BUILDPACK_EXEC_H
#define CNB_LC_BUILDPACK_EXEC_H

#include <cnb/error.h>
#include "lib/common/buf.h"

/* Kept from a bin/detect's output; the rest is dropped (buildpack output is untrusted). */
#define CNB_EXEC_CAPTURE_MAX (256u * 1024)

/*
 * Runs argv[0] with argv and envp in `cwd`. With `capture`, stdout and stderr go into it
 * together (bounded); without, they are inherited (live output). *status = the exit code,
 * or 128 + signal. Spawn failures (ENOENT, not executable) are errors naming argv[0].
 */
int cnb__exec_run(char *const argv[], char *const envp[], const char *cwd, cnb__buf *capture, int *status,
		  cnb_error **err);

#endif
