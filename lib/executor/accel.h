/* Choosing QEMU's accelerator, and remembering one that fails. */
#ifndef CNB_VM_ACCEL_H
#define CNB_VM_ACCEL_H

#include <cnb/ctx.h>
#include <stdbool.h>

typedef enum cnb__accel { CNB_ACCEL_KVM, CNB_ACCEL_HVF, CNB_ACCEL_TCG } cnb__accel;

/*
 * The accelerator to try first: $CNB_VM_ACCEL (kvm|hvf|tcg) when set, else HVF on macOS, KVM when
 * /dev/kvm opens read-write and this kernel image has not failed under it before (see
 * cnb__executor_accel_remember_failure), else TCG. Returns -1 for an unknown $CNB_VM_ACCEL value.
 */
int cnb__executor_accel_choose(const cnb_ctx *ctx, const char *kernel, cnb__accel *out);

const char *cnb__executor_accel_name(cnb__accel a);

/* How long the guest may take to say "ready" before we call the accelerator hung. */
unsigned cnb__executor_accel_ready_timeout_ms(cnb__accel a);

/* Records that `a` failed before the guest with `kernel` was ready (a hang, or QEMU exiting) while
 * TCG then worked, so the next automatic choice skips it: no wait, no retry, no warning. */
void cnb__executor_accel_remember_failure(const cnb_ctx *ctx, const char *kernel, cnb__accel a);

#endif
