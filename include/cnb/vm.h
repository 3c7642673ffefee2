/* libcnb — running a command in the build VM (or the host executor) over a root file system. */
#ifndef CNB_VM_H
#define CNB_VM_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

CNB_BEGIN_DECLS

#define CNB_VM_RUN_OPTS_VERSION 3

/** Options for cnb_vm_run(). Initialise with cnb_vm_run_opts_init() or CNB_VM_RUN_OPTS_INIT. */
typedef struct cnb_vm_run_opts {
	unsigned int version;    /**< CNB_VM_RUN_OPTS_VERSION */
	const char *rootfs;      /**< required: directory used as / (read-only: writes land in a throw-away overlay) */
	const char *const *argv; /**< required: NULL-terminated command; argv[0] is searched in the command's PATH */
	const char *const *env;  /**< NULL-terminated "K=V" list: exactly the command's environment (NULL: PATH only) */
	const char *cwd;         /**< NULL: "/" */
	uint32_t uid;            /**< user id of the command */
	uint32_t gid;            /**< group id of the command (no supplementary groups) */
	const char *executor;    /**< "vm" (NULL) or "host" (Linux, root) */
	uint32_t timeout_s;      /**< seconds; 0: none; on expiry the command is killed and CNB_ETIMEOUT returned */
	int network;             /**< non-zero: outbound network (QEMU user networking) */
	uint32_t cpus;           /**< VM cpus; 0: the host's online CPUs, at most 8 (one under TCG) */
	uint32_t memory_mb;      /**< VM memory in MiB; 0: 512 */
	const char *share_dir;   /**< NULL, or a host directory mounted read-write at /share */
	const char *kernel;      /**< NULL: $CNB_VM_KERNEL or the installed VM kernel */
	const char *initrd;      /**< NULL: $CNB_VM_INITRD or the installed VM initrd */
	int cancel_fd;           /**< -1, or an fd that becomes readable to cancel (CNB_ECANCELED) */
	int stdout_fd;           /**< version 2: -1, or an fd that receives the command's stdout byte for byte */
	int stderr_fd;           /**< version 2: -1, or an fd that receives the command's stderr byte for byte */
	const char *platform;    /**< version 3: "linux/amd64" or "linux/arm64", the guest's; NULL: the host's.
	                              Another architecture runs in an emulated VM (TCG); the host executor refuses it */
} cnb_vm_run_opts;

#define CNB_VM_RUN_OPTS_INIT                                                                               \
	{ CNB_VM_RUN_OPTS_VERSION, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 1, 0, 0, NULL, NULL, NULL, -1, -1, -1, NULL }

/**
 * Fills `opts` with the defaults of CNB_VM_RUN_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_VM_RUN_OPTS_VERSION.
 */
CNB_EXTERN int cnb_vm_run_opts_init(cnb_vm_run_opts *opts, unsigned int version);

/**
 * Runs one command in a fresh build VM (or the host executor) and waits for it. Its stdout and
 * stderr arrive live, line by line, at the context's log callback with level CNB_LOG_OUTPUT; or,
 * when opts->stdout_fd and opts->stderr_fd are set (both), byte for byte and apart on those fds.
 * On return 0, *exit_code is the command's exit status (128+N when killed by signal N).
 * Nothing is left running or on disk.
 * @return 0 (whatever the exit status); CNB_EINVAL (missing exit_code, rootfs or argv; bad options),
 *         CNB_EVM (the VM failed; the message has the last console lines), CNB_ETIMEOUT, CNB_ECANCELED,
 *         CNB_ENOTFOUND (no VM image), CNB_EIO.
 */
CNB_EXTERN int cnb_vm_run(int *exit_code, cnb_ctx *ctx, const cnb_vm_run_opts *opts, cnb_error **err);

CNB_END_DECLS

#endif
