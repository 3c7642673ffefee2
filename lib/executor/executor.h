/*
 * Executors: run a job (ordered steps in a chroot over a builder rootfs) in the build VM or, on
 * Linux, in private namespaces on the host. This is the interface the build pipeline calls.
 *
 * What the caller prepares on the host:
 *   - rootfs: the builder image's flattened tree. Never written: the job sees it through an
 *     overlay whose upper layer is a tmpfs, so a build cannot change the shared cache.
 *   - job_dir: read-write directory shared with the job. Mounts take their sources from it.
 *   - the job below. Strings are borrowed for the duration of the call.
 *
 * What every step sees (both executors):
 *   - `/` = overlay(rootfs, tmpfs); /proc, a minimal /dev (null zero full random urandom tty,
 *     /dev/shm), the job's mounts in order, and /cnb/libcnb/ (read-only): the static guest tools
 *     (cnb-init, cnb-lifecycle, cnb-launcher...) from CNB_LIBEXEC_DIR (default: the installed
 *     libexecdir; tests point it at <build>/vmshim/image/libexec).
 *   - exactly `env` (nothing inherited), `cwd`, uid/gid with no supplementary groups, stdin
 *     /dev/null, stdout and stderr delivered line by line, live, to cnb__api_log(ctx, CNB_LOG_OUTPUT,
 *     ...), or byte for byte to raw_stdout_fd and raw_stderr_fd (raw_output).
 *   - argv[0] without a '/' is searched in the step's own PATH.
 * Steps run in order; the first one that fails (exit code != 0, signal, timeout) ends the job.
 *
 * Ownership in the job dir (VM executor): both 9p shares use QEMU's security_model=mapped-xattr.
 * Files the guest creates belong to the host user running QEMU (mode 0600/0700 on the host, so
 * the host can always read them back), and their guest uid/gid/mode live in user.virtfs.*
 * xattrs. Host files without those xattrs appear in the guest with their host owner and mode.
 * passthrough would need the host to be root to chown, and would hand out host uids.
 * Measured caveat for the rootfs (QEMU 7.2, hw/9pfs/9p-local.c): under mapped-xattr a *host*
 * symlink cannot be read by the guest (readlink/exec through it fail with ELOOP); the guest only
 * understands symlinks in mapped form: a regular file holding the target, with user.virtfs.mode
 * = S_IFLNK|0777. A rootfs for the VM must store links that way (tests/executor/make-rootfs.sh uses
 * hardlinks for busybox and one mapped link); the host executor needs real symlinks instead.
 */
#ifndef CNB_VM_EXECUTOR_H
#define CNB_VM_EXECUTOR_H

#include <cnb/ctx.h>
#include <cnb/error.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cnb__executor_job_mount {
	const char *source; /* directory relative to job_dir (no "..", no symlinks), or NULL for a tmpfs */
	const char *target; /* absolute path inside the root; created (no symlinks followed) if missing */
	bool read_only;
	/* Host side only (never serialised): an absolute host directory to mount instead of `source`,
	 * opened without following a symlink as its last component (a --volume). */
	const char *host_dir;
	/* Set by the executors, not the caller: the mount comes through a 9p share of its own in the
	 * VM (writable job mounts, host directories); serialised for cnb-init. */
	bool own_share;
	/* With source NULL: a tar file relative to job_dir. The target is then a directory in the job's
	 * local scratch storage (see cnb__executor_jobrun_setup), filled from that tar read as one stream, owners
	 * and modes as recorded in it: what the steps do there never crosses to the host file by file. */
	const char *seed;
} cnb__executor_job_mount;

/* Whether `m` needs a 9p share of its own in the VM (the job share is read-only). */
static inline bool cnb__job_mount_needs_share(const cnb__executor_job_mount *m)
{
	return m->host_dir || (m->source && !m->read_only);
}

typedef struct cnb__executor_job_step {
	const char *name;   /* for logs and results */
	char **argv;        /* NULL-terminated, at least one entry */
	char **env;         /* NULL-terminated "K=V" list, or NULL for an empty environment */
	const char *cwd;    /* NULL: "/" */
	uint32_t uid, gid;
	int timeout_s;      /* 0: no limit; on expiry the step's process group is killed */
	/* VM only: the step keeps root's capabilities (uid must be 0). For our own tools that sandbox
	 * untrusted code themselves (the image extender mounts an overlay and runs Dockerfile RUN steps
	 * in namespaces of their own); the host executor refuses a job with such a step. */
	bool privileged;
} cnb__executor_job_step;

typedef struct cnb__executor_job {
	const char *rootfs;    /* host directory, read-only */
	const char *job_dir;   /* host directory, read-write */
	cnb__executor_job_mount *mounts;
	size_t n_mounts;
	cnb__executor_job_step *steps;
	size_t n_steps;
	bool network;          /* VM: slirp NIC 10.0.2.15/24; host: false = private net namespace */
	const char *hostname;  /* NULL: "cnb" */
	unsigned cpus;         /* VM only; 0: 1 */
	unsigned memory_mb;    /* VM only; 0: 512 */
	const char *kernel;    /* VM only; NULL: $CNB_VM_KERNEL, the cached minimal kernel, the installed one */
	const char *initrd;    /* VM only; NULL: $CNB_VM_INITRD, the installed one */
	const char *arch;      /* the guest's architecture, "amd64" or "arm64" (lib/executor/qemu-arch.h); NULL:
	                        * the host's. The host executor runs only the host's. */
	/* with raw_output: the steps' stdout and stderr bytes, unsplit and apart, go to these host fds
	 * instead of the log (what `cnb vm run` and `cnb run` print, like docker run) */
	bool raw_output;
	int raw_stdout_fd, raw_stderr_fd;
} cnb__executor_job;

/* Exit codes follow the shell: 128+N when killed by signal N. */
typedef struct cnb__executor_step_result {
	int exit_code;
	bool timed_out;
	uint64_t duration_ms;
	bool out_of_space; /* it failed with the job's local storage (cnb__executor_job_mount.seed, /tmp...) full */
} cnb__executor_step_result;

typedef struct cnb__executor_job_result {
	cnb__executor_step_result *steps; /* n_steps_run entries; the last one failed if the job stopped early */
	size_t n_steps_run;
	uint64_t boot_ms;        /* executor start -> job environment ready (guest "ready" event) */
	uint64_t setup_ms;       /* ready -> first step started: mounts, seeded directories filled */
	uint64_t total_ms;       /* executor start -> everything torn down */
	char accel[8];           /* "kvm", "hvf", "tcg" or "host" */
	bool accel_fell_back;    /* the first accelerator hung at boot and TCG took over */
} cnb__executor_job_result;

/*
 * Runs `job` with `executor` ("vm", "host", or NULL for "vm"). Blocks until the job ends; returns
 * early with CNB_ECANCELED (everything killed and reaped, temp files removed) as soon as
 * `cancel_fd` (-1: none) becomes readable.
 * Returns 0 when the job ran: check out->steps (a failing step is not an executor error).
 * Returns CNB_EVM when the VM/namespace could not start or died without a result (message carries
 * the last console lines), CNB_EINVAL for a bad job, CNB_EUNSUPPORTED for "host" off Linux, an
 * unknown architecture, or "host" with another architecture than the host's.
 * `out` is filled in either case; free it with cnb__executor_job_result_free().
 */
int cnb__executor_run(cnb_ctx *ctx, const char *executor, const cnb__executor_job *job, int cancel_fd,
		      cnb__executor_job_result *out, cnb_error **err);

void cnb__executor_job_result_free(cnb__executor_job_result *r);

/* Directory holding the static guest tools on the host: $CNB_LIBEXEC_DIR or CNB_LIBEXECDIR. */
const char *cnb__executor_libexec_dir(void);

#endif
