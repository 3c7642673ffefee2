/* The host executor's id mapping: the range, the maps, idmapped mounts (see host-idmap.h). */
#include "host-idmap.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Reads one subordinate id file (subuid(5): "name:start:count" lines). *base: the first range of
 * CNB_HOST_IDS ids or more given to CNB_HOST_ID_OWNER, else CNB_HOST_ID_BASE, which then must not
 * overlap a range given to anyone else (that account could reach the steps' files).
 */
static int read_subid(const char *path, uint32_t *base, cnb_error **err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	uint64_t lo = CNB_HOST_ID_BASE, hi = (uint64_t)CNB_HOST_ID_BASE + CNB_HOST_IDS;
	const char *clash = NULL;
	char line[512], clash_name[256] = "";
	for (unsigned n = 0; f && n < 100000 && fgets(line, sizeof(line), f); n++) {
		char *colon = strchr(line, ':');
		char *end1 = NULL, *end2 = NULL;
		if (!colon || line[0] == '#')
			continue;
		*colon = '\0';
		uint64_t start = strtoull(colon + 1, &end1, 10);
		uint64_t count = end1 && *end1 == ':' ? strtoull(end1 + 1, &end2, 10) : 0;
		if (!end2 || end2 == end1 + 1 || start + count > UINT32_MAX)
			continue;
		if (!strcmp(line, CNB_HOST_ID_OWNER) && count >= CNB_HOST_IDS) {
			*base = (uint32_t)start;
			return 0;
		}
		if (!clash && start < hi && start + count > lo) {
			snprintf(clash_name, sizeof(clash_name), "%.200s", line);
			clash = clash_name;
		}
	}
	if (clash)
		return cnb__error_set(err, CNB_EINVAL,
				      "%s gives %s ids within %" PRIu64 "..%" PRIu64 ", the host executor's default range for "
				      "build steps: give the steps a range of their own, a line \"%s:START:%u\" in "
				      "/etc/subuid and /etc/subgid",
				      path, clash, lo, hi - 1, CNB_HOST_ID_OWNER, CNB_HOST_IDS);
	*base = CNB_HOST_ID_BASE;
	return 0;
}

int cnb__executor_idmap_get(cnb__executor_idmap *out, const char *subuid, const char *subgid, cnb_error **err)
{
	int r = read_subid(subuid ? subuid : "/etc/subuid", &out->uid_base, err);
	return r < 0 ? r : read_subid(subgid ? subgid : "/etc/subgid", &out->gid_base, err);
}

int cnb__executor_idmap_check_kernel(const char *max_path, cnb_error **err)
{
	char buf[32] = "";
	_cleanup_fclose_ FILE *f = fopen(max_path ? max_path : "/proc/sys/user/max_user_namespaces", "re");
	if (!f || !fgets(buf, sizeof(buf), f))
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "this kernel has no user namespaces (no %s; CONFIG_USER_NS): the host executor runs "
				      "build steps in them; use the vm executor",
				      max_path ? max_path : "/proc/sys/user/max_user_namespaces");
	if (strtoul(buf, NULL, 10) == 0)
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "user namespaces are disabled (user.max_user_namespaces = 0): the host executor runs "
				      "build steps in them; enable them (sysctl -w user.max_user_namespaces=10000) or use "
				      "the vm executor");
	return 0;
}

int cnb__executor_idmap_to_host(const cnb__executor_idmap *m, uint32_t uid, uint32_t gid, uint32_t *host_uid, uint32_t *host_gid,
		       cnb_error **err)
{
	if (uid >= CNB_HOST_IDS || gid >= CNB_HOST_IDS)
		return cnb__error_set(err, CNB_EINVAL,
				      "uid %" PRIu32 " / gid %" PRIu32 ": the host executor maps ids 0..%u only (use the "
				      "vm executor, or a smaller id)",
				      uid, gid, CNB_HOST_IDS - 1);
	*host_uid = m->uid_base + uid;
	*host_gid = m->gid_base + gid;
	return 0;
}

static int write_map(pid_t pid, const char *which, uint32_t base)
{
	char path[64], map[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
	int len = snprintf(map, sizeof(map), "0 %" PRIu32 " %u\n", base, CNB_HOST_IDS);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return write(fd, map, (size_t)len) == len ? 0 : -1;
}

int cnb__executor_idmap_write(pid_t pid, const cnb__executor_idmap *m)
{
	return write_map(pid, "uid_map", m->uid_base) == 0 && write_map(pid, "gid_map", m->gid_base) == 0 ? 0 : -1;
}

/* A child that only holds a new user namespace until its maps are written and the namespace opened. */
static int userns_open(const cnb__executor_idmap *m)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		char c;
		close(ready[1]);
		(void)!read(ready[0], &c, 1); /* EOF: the parent is done with us */
		_exit(0);
	}
	close(ready[0]);
	int fd = -1, e = errno;
	if (pid > 0 && cnb__executor_idmap_write(pid, m) == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	e = pid < 0 || fd < 0 ? errno : e;
	close(ready[1]);
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	errno = e;
	return fd;
}

int cnb__executor_idmap_bind(const cnb__executor_idmap *m, const char *path, const char *target)
{
	_cleanup_close_ int userns = userns_open(m);
	_cleanup_close_ int fd = userns < 0 ? -1 : (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
	if (fd < 0 || syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 ||
	    syscall(SYS_move_mount, fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -1;
	return 0;
}
