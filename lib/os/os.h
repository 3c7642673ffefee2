/*
 * lib/os: the host's operating-system calls that are not POSIX, behind one small interface.
 *
 * The host side of libcnb (oci, rootfs, executor's VM half, platform, export, builder, api) calls
 * these instead of Linux-only APIs, so a macOS build needs one more file, os-darwin.c, and no
 * change elsewhere. What each function maps to on Darwin is written next to it; README.md lists
 * what stays Linux-only by nature (the host executor, the guest programs).
 *
 * Every function sets errno on failure, like the calls it wraps.
 */
#ifndef CNB_OS_OS_H
#define CNB_OS_OS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

/* pipe2(fds, O_CLOEXEC | extra): extra is 0 or O_NONBLOCK. Darwin: pipe() + fcntl(). */
int cnb__os_pipe(int fds[2], int extra);

/* An AF_UNIX stream socketpair, both ends close-on-exec. Darwin: socketpair() + fcntl(). */
int cnb__os_socketpair(int fds[2]);

/* sendmsg() that never raises SIGPIPE. Darwin: SO_NOSIGPIPE on the socket, then sendmsg(). */
ssize_t cnb__os_sendmsg(int fd, const struct msghdr *msg);

/* Fills buf with n bytes from the kernel's CSPRNG; 0 or -1. Darwin: getentropy() in 256-byte steps. */
int cnb__os_random(void *buf, size_t n);

/* In a forked child: be killed (SIGKILL) when the parent dies. Darwin: a thread or kqueue
 * EVFILT_PROC watching the parent, or nothing (the caller also kills the child on exit). */
void cnb__os_die_with_parent(void);

/* Closes every fd >= lowest. Darwin: closefrom() is missing; loop up to getdtablesize(). */
void cnb__os_close_from(int lowest);

/* A pollable fd that becomes readable when pid exits, or -1 (then the caller polls waitpid()).
 * Darwin: a kqueue with EVFILT_PROC/NOTE_EXIT (also pollable). */
int cnb__os_pid_watch(pid_t pid);

/* Flushes the file system holding fd to stable storage. Darwin: fcntl(fd, F_FULLFSYNC) on the
 * tree's files is the equivalent; sync() is the simple fallback. */
int cnb__os_syncfs(int fd);

/* Makes `out` share `in`'s data blocks (a reflink); -1 (EOPNOTSUPP, EXDEV...) when the file system
 * cannot, and the caller copies. Darwin: fclonefileat() on APFS, before `out` is created. */
int cnb__os_clone_file(int out, int in);

/* Opens `path` relative to dir_fd for reference only (no read/write), refusing absolute paths,
 * "..", and any symlink on the way. -1 with errno ENOENT, EXDEV (escapes), ELOOP (a link), or
 * ENOSYS when the kernel cannot check (Linux < 5.6): the caller then checks by other means.
 * Darwin: openat() with O_NOFOLLOW_ANY (macOS 11) after a lexical ".." check. */
int cnb__os_open_beneath(int dir_fd, const char *path);

/* Extended attributes without following a final symlink. Darwin: the same calls with the extra
 * position/options arguments (XATTR_NOFOLLOW). */
int cnb__os_fsetxattr(int fd, const char *name, const void *value, size_t size);
ssize_t cnb__os_fgetxattr(int fd, const char *name, void *value, size_t size);
ssize_t cnb__os_lgetxattr(const char *path, const char *name, void *value, size_t size);

/* st_mtim in nanoseconds. Darwin: st_mtimespec. */
int64_t cnb__os_mtime_ns(const struct stat *st);

#endif
