/* lib/os on Linux (os.h says what each call does and what Darwin uses instead). */
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef FICLONE
#define FICLONE _IOW(0x94, 9, int)
#endif

int cnb__os_pipe(int fds[2], int extra)
{
	return pipe2(fds, O_CLOEXEC | extra);
}

int cnb__os_socketpair(int fds[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
}

ssize_t cnb__os_sendmsg(int fd, const struct msghdr *msg)
{
	return sendmsg(fd, msg, MSG_NOSIGNAL);
}

int cnb__os_random(void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t r = getrandom((char *)buf + done, n - done, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

void cnb__os_die_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

void cnb__os_close_from(int lowest)
{
	if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0) == 0)
		return;
	for (long fd = lowest, max = sysconf(_SC_OPEN_MAX); fd < max; fd++) /* before Linux 5.9 */
		close((int)fd);
}

int cnb__os_pid_watch(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int cnb__os_syncfs(int fd)
{
	return syncfs(fd);
}

int cnb__os_clone_file(int out, int in)
{
	return ioctl(out, FICLONE, in);
}

int cnb__os_open_beneath(int dir_fd, const char *path)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	return (int)syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));
}

int cnb__os_fsetxattr(int fd, const char *name, const void *value, size_t size)
{
	return fsetxattr(fd, name, value, size, 0);
}

ssize_t cnb__os_fgetxattr(int fd, const char *name, void *value, size_t size)
{
	return fgetxattr(fd, name, value, size);
}

ssize_t cnb__os_lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	return lgetxattr(path, name, value, size);
}

int64_t cnb__os_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}
