/* A build context directory → tar entries, mapped-xattr aware (see extend-context.h). */
#include "extend-context.h"
#include "lib/common/cleanup.h"
#include "lib/common/dir-list.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/rootfs/mapped-xattr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const cnb__tar_norm norm = { .uid = 0, .gid = 0, .mtime = CNB_TAR_EPOCH };

/* A mapped symlink: the file's content is the target. */
static int add_mapped_symlink(cnb__tar *t, int fd, const char *path, cnb_error **err)
{
	char target[PATH_MAX];
	ssize_t n = pread(fd, target, sizeof(target), 0);
	if (n <= 0 || (size_t)n >= sizeof(target))
		return cnb__error_set(err, CNB_EINVAL, "build context: symlink %s has no usable target", path);
	target[n] = '\0';
	return cnb__tar_add_symlink(t, path, target, 0777, &norm, err);
}

static int add_entry(cnb__tar *t, int dirfd, const char *name, const char *path, int depth, cnb_error **err)
{
	struct stat st;
	if (depth > CNB_EXTEND_CONTEXT_MAX_DEPTH)
		return cnb__error_set(err, CNB_EINVAL, "build context: %s is nested deeper than %d directories", path,
				      CNB_EXTEND_CONTEXT_MAX_DEPTH);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "build context: %s", path);
	if (S_ISLNK(st.st_mode))
		return cnb__tar_add_symlink_at(t, dirfd, name, path, &norm, err);
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return 0;
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "build context: open %s", path);
	cnb__rootfs_mapped_attr guest;
	mode_t mode = st.st_mode;
	if (cnb__rootfs_mapped_xattr_read(fd, &guest) == 0)
		mode = (mode_t)guest.mode;
	mode_t perm = mode & 0777 & ~(mode_t)(S_ISUID | S_ISGID);
	if (S_ISLNK(mode) && S_ISREG(st.st_mode))
		return add_mapped_symlink(t, fd, path, err);
	if (S_ISREG(mode) && S_ISREG(st.st_mode))
		return cnb__tar_add_fd(t, path, perm, fd, (uint64_t)st.st_size, &norm, err);
	if (!S_ISDIR(mode) || !S_ISDIR(st.st_mode))
		return 0; /* a mapped device or fifo: not in a layer */
	if (cnb__tar_add_dir(t, path, perm, &norm, err) < 0)
		return -1;
	_cleanup_strv_ char **names = NULL;
	size_t n = 0;
	if (cnb__dir_list_sorted(fd, path, NULL, NULL, &names, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *child = cnb__path_join(path, names[i]);
		if (!child)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (add_entry(t, fd, names[i], child, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

int cnb__extend_context_tar(cnb__tar *t, int dirfd, const char *name, const char *dest, cnb_error **err)
{
	return add_entry(t, dirfd, name, dest, 0, err);
}
