/* The two executors behind cnb__executor_run (executor.h documents the contract). */
#ifndef CNB_VM_VM_RUN_H
#define CNB_VM_VM_RUN_H

#include "executor.h"

/* QEMU + cnb-init; retries with TCG when the first accelerator never reaches "ready". */
int cnb__executor_vm_run(cnb_ctx *ctx, const cnb__executor_job *job, int cancel_fd, cnb__executor_job_result *out, cnb_error **err);

/* Private mount/pid/uts/ipc(/net) namespaces + chroot on this host; Linux, root only for now. */
int cnb__executor_host_run(cnb_ctx *ctx, const cnb__executor_job *job, int cancel_fd, cnb__executor_job_result *out, cnb_error **err);

#endif
