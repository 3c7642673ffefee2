/*
 * The job runner: what runs where the job runs — as PID 1 of the VM (cnb-init) or as PID 1 of the
 * host executor's private namespaces. One implementation for both, so both executors give steps
 * the same root, mounts, identity and output.
 */
#ifndef CNB_VM_JOB_RUNNER_H
#define CNB_VM_JOB_RUNNER_H

#include "executor.h"
#include "host-idmap.h"

#define CNB_TOOLS_TARGET "/cnb/libcnb"

/* The VM's 9p mount tag of job mount number i when it is writable (lib/executor/qemu-argv.c). */
#define CNB_GUEST_RW_TAG_FMT "cnb-rw%zu"

typedef struct cnb__executor_jobrun_env {
	const char *lower;     /* the rootfs as seen here (guest: the 9p mount; host: job->rootfs) */
	const char *job_dir;   /* the job dir as seen here */
	const char *tools_dir; /* bind-mounted read-only at CNB_TOOLS_TARGET */
	const char *scratch;   /* an existing empty directory; a tmpfs is mounted on it */
	/* per job mount (may be NULL): where its source is already mounted here, instead of
	 * <job_dir>/<source> (the VM gives each writable mount a 9p share of its own) */
	const char *const *mount_dirs;
	int output_fd;         /* steps' stdout (and stderr when error_fd is -1) */
	int error_fd;          /* steps' stderr, or -1 */
	int event_fd;          /* guest-protocol events */
	/* non-NULL (host executor): each step runs in a user namespace of its own with this mapping,
	 * and the rootfs is seen through it (an idmapped mount). NULL (the VM): steps keep ours. */
	const cnb__executor_idmap *idmap;
} cnb__executor_jobrun_env;

/*
 * Builds the root under env->scratch: overlay(lower, tmpfs) (a read-only bind of lower when the
 * kernel has no overlayfs, reported as a "log" event), /proc, a minimal /dev, the tools, the
 * job's mounts (seeded ones filled in the same tmpfs, CNB_JOB_SCRATCH_SIZE of memory: see
 * guest-local.h); sets the hostname. Needs to run in a mount namespace of its own (or the guest).
 * *root_out: the merged root (caller frees).
 */
int cnb__executor_jobrun_setup(const cnb__executor_job *job, const cnb__executor_jobrun_env *env, char **root_out, cnb_error **err);

/* Runs the steps in `root`, writing step_start/step_end events. Returns 0 when all steps passed. */
int cnb__executor_jobrun_steps(const cnb__executor_job *job, const char *root, const cnb__executor_jobrun_env *env);

/* Sends a "log"/"error" event with a formatted message. */
void cnb__executor_jobrun_report(int event_fd, int type, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
