/* COPY from the build context into the overlay (see extend-copy.h). */
#include "extend-copy.h"
#include "lib/common/cleanup.h"
#include "lib/common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEPTH_MAX 256

typedef struct copier {
	const char *where;
	uid_t uid;
	gid_t gid;
} copier;

static int fail(const copier *c, const char *what, const char *path)
{
	dprintf(STDERR_FILENO, "cnb extend: %s: COPY: %s %s: %s\n", c->where, what, path, strerror(errno));
	return -1;
}

/* `path` below `ctx`, no symlink on the way and no way out (openat2 RESOLVE_BENEATH). */
static int open_beneath(int ctx, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	return (int)syscall(SYS_openat2, ctx, path, &how, sizeof(how));
}

static int make_parents(const copier *c, const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return fail(c, "create the directory", buf);
		*p = '/';
	}
	return 0;
}

/* Makes room for `dst` of type `mode`: a non-directory in the way is replaced (never written through). */
static int clear_way(const copier *c, const char *dst, mode_t mode, bool *is_dir)
{
	struct stat st;
	*is_dir = false;
	if (lstat(dst, &st) < 0)
		return errno == ENOENT ? 0 : fail(c, "inspect", dst);
	if (S_ISDIR(st.st_mode) && S_ISDIR(mode))
		return *is_dir = true, 0;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return fail(c, "replace", dst);
	}
	return unlink(dst) < 0 ? fail(c, "replace", dst) : 0;
}

static int copy_entry(const copier *c, int sdir, const char *name, const char *dst, int depth);

static int copy_contents(const copier *c, int dfd, const char *dst, int depth)
{
	int fd = dup(dfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return fail(c, "read the directory for", dst);
	}
	int r = 0;
	struct dirent *e;
	while (r == 0 && (errno = 0, e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char child[PATH_MAX];
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", strcmp(dst, "/") ? dst : "", e->d_name) >= sizeof(child)) {
			errno = ENAMETOOLONG;
			r = fail(c, "the destination", dst);
		} else {
			r = copy_entry(c, dfd, e->d_name, child, depth + 1);
		}
	}
	if (r == 0 && errno)
		r = fail(c, "read the directory for", dst);
	closedir(d);
	return r;
}

static int copy_file(const copier *c, int sdir, const char *name, const char *dst, mode_t mode)
{
	_cleanup_close_ int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out = in < 0 ? -1 : open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		return fail(c, in < 0 ? "open the source for" : "create", dst);
	cnb_error *err = NULL;
	if (cnb__copy_fd(in, out, name, dst, NULL, NULL, &err) < 0) {
		dprintf(STDERR_FILENO, "cnb extend: %s: COPY: %s\n", c->where, cnb_error_message(err));
		cnb_error_free(err);
		return -1;
	}
	if (fchown(out, c->uid, c->gid) < 0 || fchmod(out, mode & 0777) < 0)
		return fail(c, "set the owner and mode of", dst);
	return 0;
}

static int copy_entry(const copier *c, int sdir, const char *name, const char *dst, int depth)
{
	struct stat st;
	bool exists = false;
	if (depth > DEPTH_MAX) {
		errno = ELOOP;
		return fail(c, "the build context is nested too deep at", dst);
	}
	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(c, "no such file in the build context:", name);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return 0; /* devices, fifos, sockets: not in a layer (the context's tar has none) */
	if (clear_way(c, dst, st.st_mode, &exists) < 0)
		return -1;
	if (S_ISREG(st.st_mode))
		return copy_file(c, sdir, name, dst, st.st_mode);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
		if (n < 0)
			return fail(c, "read the symlink for", dst);
		target[n] = '\0';
		return symlink(target, dst) < 0 || lchown(dst, c->uid, c->gid) < 0 ? fail(c, "create the symlink", dst) : 0;
	}
	_cleanup_close_ int dfd = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return fail(c, "open the source directory for", dst);
	if (!exists && (mkdir(dst, 0700) < 0 || lchown(dst, c->uid, c->gid) < 0 || chmod(dst, st.st_mode & 0777) < 0))
		return fail(c, "create the directory", dst);
	return copy_contents(c, dfd, dst, depth);
}

/* One source: a directory's contents into `dest`; anything else as `dest` or into it. */
static int copy_src(const copier *c, int ctx, const char *src, const char *dest)
{
	char path[PATH_MAX], target[PATH_MAX];
	snprintf(path, sizeof(path), "%s", src);
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	char *slash = strrchr(path, '/');
	const char *parent = slash ? (*slash = '\0', path) : ".";
	const char *base = slash ? slash + 1 : path;
	if (!strcmp(base, ".")) /* the context itself, or "dir/." */
		parent = slash ? path : ".", base = ".";
	_cleanup_close_ int pfd = open_beneath(ctx, parent, O_RDONLY | O_DIRECTORY);
	struct stat st, dt;
	if (pfd < 0 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(c, "no such file in the build context (symlinks are not followed):", src);
	size_t dlen = strlen(dest);
	bool into = dest[dlen - 1] == '/' || (stat(dest, &dt) == 0 && S_ISDIR(dt.st_mode));
	if (S_ISDIR(st.st_mode)) {
		snprintf(target, sizeof(target), "%s", dest);
		for (size_t n = strlen(target); n > 1 && target[n - 1] == '/'; n--)
			target[n - 1] = '\0';
	} else if ((size_t)snprintf(target, sizeof(target), "%s%s%s", dest, into && dest[dlen - 1] != '/' ? "/" : "",
				    into ? base : "") >= sizeof(target)) {
		errno = ENAMETOOLONG;
		return fail(c, "the destination", dest);
	}
	if (make_parents(c, target) < 0)
		return -1;
	if (S_ISDIR(st.st_mode) && !strcmp(target, "/")) {
		_cleanup_close_ int dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		return dfd < 0 ? fail(c, "open", src) : copy_contents(c, dfd, "/", 0);
	}
	return copy_entry(c, pfd, base, target, 0);
}

int cnb__extend_copy(const char *where, int ctx_fd, char *const *srcs, const char *dest, uid_t uid, gid_t gid)
{
	const copier c = { .where = where, .uid = uid, .gid = gid };
	umask(0);
	for (size_t i = 0; srcs[i]; i++)
		if (copy_src(&c, ctx_fd, srcs[i], dest) < 0)
			return -1;
	return 0;
}
