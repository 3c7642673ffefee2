/*
 * A small QMP client (QEMU Machine Protocol, docs/interop/qmp-spec in QEMU's sources): JSON
 * lines over the socket QEMU serves with `-chardev socket,fd=N -mon mode=control`. Used only to
 * save a VM snapshot (vm-snapshot.c). QEMU is trusted no more than needed: lines are bounded and
 * every wait has a deadline.
 */
#ifndef CNB_VM_QMP_H
#define CNB_VM_QMP_H

#include "../common/buf.h"
#include <cnb/error.h>
#include <jansson.h>
#include <stdint.h>

typedef struct cnb__executor_qmp {
	int fd;      /* borrowed: the caller closes it */
	cnb__buf in; /* received bytes not yet split into lines */
} cnb__executor_qmp;

/* Reads QEMU's greeting and enters command mode (qmp_capabilities). */
int cnb__executor_qmp_connect(cnb__executor_qmp *q, int fd, uint64_t deadline_ms, cnb_error **err);

/* Runs `command` with `args` (borrowed; NULL for none), passing `pass_fd` with it (SCM_RIGHTS,
 * as `getfd` wants; -1 for none). Asynchronous events in between are skipped. On success *ret
 * (when not NULL) gets the "return" value (caller decrefs). A QMP "error" answer is CNB_EVM
 * with QEMU's description. */
int cnb__executor_qmp_call(cnb__executor_qmp *q, const char *command, json_t *args, int pass_fd, json_t **ret, uint64_t deadline_ms,
		  cnb_error **err);

void cnb__executor_qmp_close(cnb__executor_qmp *q);

#endif
