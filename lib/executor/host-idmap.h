/*
 * The host executor's id mapping. Steps run in user namespaces whose ids 0..CNB_HOST_IDS-1 are the
 * host ids base..base+CNB_HOST_IDS-1, a range no host account uses: the CNB user (1000) of a step
 * is not the host's uid 1000, and root in a step is not the host's root (user_namespaces(7)).
 * The range is the first one of at least CNB_HOST_IDS ids that /etc/subuid and /etc/subgid give
 * the name CNB_HOST_ID_OWNER, else CNB_HOST_ID_BASE for both (docs/design-notes.md).
 */
#ifndef CNB_EXECUTOR_HOST_IDMAP_H
#define CNB_EXECUTOR_HOST_IDMAP_H

#include <cnb/error.h>
#include <stdint.h>
#include <sys/types.h>

#define CNB_HOST_IDS 65536u
#define CNB_HOST_ID_BASE 0x7E000000u /* 2113929216: above systemd's container range, below 2^31 */
#define CNB_HOST_ID_OWNER "cnb"

typedef struct cnb__executor_idmap {
	uint32_t uid_base, gid_base;
} cnb__executor_idmap;

/* The range from /etc/subuid and /etc/subgid (paths for tests: NULL means the system's). */
int cnb__executor_idmap_get(cnb__executor_idmap *out, const char *subuid, const char *subgid, cnb_error **err);

/* 0 when this kernel lets root create user namespaces, else CNB_EUNSUPPORTED saying what to enable.
 * max_path: the sysctl file (tests; NULL means /proc/sys/user/max_user_namespaces). */
int cnb__executor_idmap_check_kernel(const char *max_path, cnb_error **err);

/* Host ids of the step ids uid/gid; -1 (CNB_EINVAL in *err) when they are outside the mapped range. */
int cnb__executor_idmap_to_host(const cnb__executor_idmap *m, uint32_t uid, uint32_t gid, uint32_t *host_uid, uint32_t *host_gid,
		       cnb_error **err);

/* Writes the uid and gid maps of the user namespace `pid` is in (it was just created for it).
 * -1 with errno set on failure. */
int cnb__executor_idmap_write(pid_t pid, const cnb__executor_idmap *m);

/* Mounts a copy of the directory `path` on `target` whose files appear owned through the mapping:
 * host root's as step root, host uid 1000's as step uid 1000 (mount_setattr(2) MOUNT_ATTR_IDMAP).
 * -1 with errno set (EINVAL: the file system cannot be idmapped). */
int cnb__executor_idmap_bind(const cnb__executor_idmap *m, const char *path, const char *target);

#endif
