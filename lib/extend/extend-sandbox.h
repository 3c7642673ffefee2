/*
 * One operation of an extension Dockerfile, run in the build VM on the overlay being extended:
 * a RUN (argv as the Dockerfile's USER, with its environment and working directory), a
 * WORKDIR's directory, or a COPY from the build context (extend-copy.h). RUN steps are as untrusted as buildpacks: each runs in PID and mount
 * namespaces of its own whose root is the overlay (pivot_root, the old root detached: no share
 * of the VM is reachable), with /proc, the job's /dev and its /etc/resolv.conf, keeping only the
 * capabilities a docker RUN has by default (no CAP_SYS_ADMIN, no CAP_MKNOD); when its main process
 * ends, whatever it left running is killed with its PID namespace.
 */
#ifndef CNB_EXTEND_SANDBOX_H
#define CNB_EXTEND_SANDBOX_H

#include <cnb/error.h>

typedef struct cnb__extend_op {
	const char *where;   /* "extension x: build.Dockerfile line 4", for messages */
	char **argv;         /* RUN; NULL for a WORKDIR's directory */
	char **env;
	const char *user;    /* "name", "uid", "name:group", "uid:gid"; resolved in the overlay's /etc */
	const char *workdir;
	const char *mkdir;   /* WORKDIR: the directory to create (as root, 0755, with its parents) */
	char **copy;         /* COPY/ADD: the sources, relative to `context`; `user` is --chown's */
	const char *dest;    /* COPY/ADD: absolute; a trailing "/" (or an existing directory) copies into it */
	const char *context; /* COPY/ADD: the build context's directory in the job */
} cnb__extend_op;

/* Runs `op` with `merged` (the overlay's mount point) as its root. A RUN exiting non-zero is
 * CNB_EBUILD naming `where` and the exit code. */
int cnb__extend_sandbox_run(const char *merged, const cnb__extend_op *op, cnb_error **err);

#endif
