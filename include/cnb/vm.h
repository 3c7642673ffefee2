/* libcnb — running a command in the build VM (or the host executor) over a root file system. */
#ifndef CNB_VM_H
#define CNB_VM_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

CNB_BEGIN_DECLS

#define CNB_VM_RUN_OPTS_VERSION 1

/** Options for cnb_vm_run(). Initialise with CNB_VM_RUN_OPTS_INIT; fields only ever grow at the end. */
typedef struct cnb_vm_run_opts {
	unsigned int version;       /**< CNB_VM_RUN_OPTS_VERSION */
	const char *rootfs;         /**< directory used as / (read-only: writes land in a throw-away overlay) */
	const char *const *argv;    /**< NULL-terminated command; argv[0] is searched in the command's PATH */
	const char *const *env;     /**< NULL-terminated "K=V" list: exactly the command's environment (NULL: PATH only) */
	const char *cwd;            /**< NULL: "/" */
	uint32_t uid, gid;          /**< identity of the command (no supplementary groups) */
	const char *executor;       /**< "vm" (NULL) or "host" (Linux, root) */
	int32_t timeout_s;          /**< 0: none; on expiry the command is killed and CNB_ETIMEOUT returned */
	int network;                /**< non-zero: outbound network (QEMU user networking) */
	uint32_t cpus, memory_mb;   /**< VM size; 0: 1 cpu, 512 MB */
	const char *share_dir;      /**< NULL, or a host directory mounted read-write at /share */
	const char *kernel, *initrd;/**< NULL: $CNB_VM_KERNEL/$CNB_VM_INITRD or the installed VM image */
	int cancel_fd;              /**< -1, or an fd that becomes readable to cancel (CNB_ECANCELED) */
} cnb_vm_run_opts;

#define CNB_VM_RUN_OPTS_INIT                                                                               \
	{ CNB_VM_RUN_OPTS_VERSION, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 1, 0, 0, NULL, NULL, NULL, -1 }

/**
 * Runs one command in a fresh build VM (or the host executor) and waits for it. Its stdout and
 * stderr arrive live, line by line, at the context's log callback with level CNB_LOG_OUTPUT.
 * On return 0, *exit_code is the command's exit status (128+N when killed by signal N).
 * Errors: CNB_EVM (the VM failed; message has the last console lines), CNB_ETIMEOUT,
 * CNB_ECANCELED, CNB_EINVAL, CNB_ENOTFOUND (no VM image). Nothing is left running or on disk.
 */
CNB_EXTERN int cnb_vm_run(int *exit_code, cnb_ctx *ctx, const cnb_vm_run_opts *opts, cnb_error **err);

CNB_END_DECLS

#endif
