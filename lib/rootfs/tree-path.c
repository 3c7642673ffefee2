/* Symlink-proof walking of a tree under construction. */
#include "tree-path.h"
#include "mapped-xattr.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cnb__rootfs_tree_init(cnb__rootfs_tree *t, int root_fd, bool mapped)
{
	*t = (cnb__rootfs_tree){ .root_fd = root_fd, .mapped = mapped, .cached_fd = -1 };
}

void cnb__rootfs_tree_forget(cnb__rootfs_tree *t)
{
	free(t->cached_dir);
	t->cached_dir = NULL;
	if (t->cached_fd >= 0)
		close(t->cached_fd);
	t->cached_fd = -1;
}

void cnb__rootfs_tree_release(cnb__rootfs_tree *t)
{
	cnb__rootfs_tree_forget(t);
}

int cnb__rootfs_tree_clean_path(const char *name, char **out, cnb_error **err)
{
	size_t n = strlen(name);
	if (n >= PATH_MAX)
		return cnb__error_set(err, CNB_EUNSAFE, "name is %zu bytes long, over the limit of %d", n, PATH_MAX);
	_cleanup_free_ char *clean = malloc(n + 1);
	if (!clean)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	size_t len = 0;
	for (const char *p = name; *p;) {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t clen = (size_t)(end - p);
		if (clen == 2 && p[0] == '.' && p[1] == '.')
			return cnb__error_set(err, CNB_EUNSAFE, "'..' in the name would leave the tree");
		if (clen && !(clen == 1 && p[0] == '.')) {
			if (len)
				clean[len++] = '/';
			memcpy(clean + len, p, clen);
			len += clen;
		}
		p = end;
	}
	clean[len] = '\0';
	*out = TAKE_PTR(clean);
	return 0;
}

size_t cnb__rootfs_tree_dir_len(const char *path, const char **leaf)
{
	const char *slash = strrchr(path, '/');
	*leaf = slash ? slash + 1 : path;
	return slash ? (size_t)(slash - path) : 0;
}

static int make_dir(cnb__rootfs_tree *t, int parent, const char *name)
{
	if (mkdirat(parent, name, 0700) < 0)
		return -1;
	_cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (t->mapped) {
		cnb__rootfs_mapped_attr a = { .mode = S_IFDIR | 0755 };
		return cnb__rootfs_mapped_xattr_write(fd, &a) < 0 || fchmod(fd, cnb__rootfs_mapped_host_mode(a.mode)) < 0 ? -1 : 0;
	}
	return fchmod(fd, 0755);
}

int cnb__rootfs_tree_open_dir(cnb__rootfs_tree *t, const char *dir, size_t len, bool create, int *out_fd, cnb_error **err)
{
	if (t->cached_dir && strlen(t->cached_dir) == len && !memcmp(t->cached_dir, dir, len)) {
		*out_fd = t->cached_fd;
		return 0;
	}
	cnb__rootfs_tree_forget(t);
	_cleanup_close_ int fd = dup(t->root_fd);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "dup");
	char name[NAME_MAX + 1];
	for (size_t pos = 0; pos < len;) {
		const char *end = memchr(dir + pos, '/', len - pos);
		size_t clen = end ? (size_t)(end - (dir + pos)) : len - pos;
		if (clen > NAME_MAX)
			return cnb__error_set(err, CNB_EUNSAFE, "component of '%.*s' longer than %d bytes", (int)len, dir, NAME_MAX);
		memcpy(name, dir + pos, clen);
		name[clen] = '\0';
		int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (make_dir(t, fd, name) < 0 && errno != EEXIST)
				return cnb__error_errno(err, CNB_EIO, errno, "create directory '%.*s'", (int)(pos + clen), dir);
			next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int e = errno;
			if (e == ENOENT)
				return cnb__error_set(err, CNB_ENOTFOUND, "'%.*s' does not exist", (int)(pos + clen), dir);
			if (e == ELOOP || e == ENOTDIR)
				return cnb__error_set(err, CNB_EUNSAFE,
						      "'%.*s' is a symlink or not a directory: refusing to go through it",
						      (int)(pos + clen), dir);
			return cnb__error_errno(err, CNB_EIO, e, "open '%.*s'", (int)(pos + clen), dir);
		}
		close(fd);
		fd = next;
		pos += clen + (end ? 1 : 0);
	}
	if (!(t->cached_dir = strndup(dir, len)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	t->cached_fd = TAKE_FD(fd);
	*out_fd = t->cached_fd;
	return 0;
}
