/* Network setup inside the job's network namespace (the VM, or the host executor with network=false). */
#ifndef CNB_VM_GUEST_NET_H
#define CNB_VM_GUEST_NET_H

#include <cnb/error.h>

/* Brings lo up: a fresh network namespace starts with it down. */
int cnb__executor_net_loopback_up(cnb_error **err);

/* eth0 = 10.0.2.15/24, default route via 10.0.2.2: QEMU's slirp network as seen from the guest. */
int cnb__executor_net_slirp_up(cnb_error **err);

#endif
