/* Encoding of guest ownership and modes as QEMU's mapped-xattr model expects them. */
#include "mapped-xattr.h"
#include "../os/os.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

static int put(int fd, const char *name, uint64_t v, size_t width)
{
	unsigned char le[8];
	for (size_t i = 0; i < width; i++)
		le[i] = (unsigned char)(v >> (8 * i));
	return cnb__os_fsetxattr(fd, name, le, width);
}

static int get(int fd, const char *name, uint64_t *v, size_t width)
{
	unsigned char le[8];
	ssize_t n = cnb__os_fgetxattr(fd, name, le, sizeof(le));
	if (n < 0)
		return -1;
	if ((size_t)n != width) {
		errno = EINVAL;
		return -1;
	}
	*v = 0;
	for (size_t i = 0; i < width; i++)
		*v |= (uint64_t)le[i] << (8 * i);
	return 0;
}

static int get32(int fd, const char *name, uint32_t *v)
{
	uint64_t wide;
	if (get(fd, name, &wide, 4) < 0)
		return -1;
	*v = (uint32_t)wide;
	return 0;
}

int cnb__rootfs_mapped_xattr_write(int fd, const cnb__rootfs_mapped_attr *a)
{
	if (put(fd, CNB_MAPPED_XATTR_PREFIX "uid", a->uid, 4) < 0 || put(fd, CNB_MAPPED_XATTR_PREFIX "gid", a->gid, 4) < 0 ||
	    put(fd, CNB_MAPPED_XATTR_PREFIX "mode", a->mode, 4) < 0)
		return -1;
	if (S_ISCHR(a->mode) || S_ISBLK(a->mode))
		return put(fd, CNB_MAPPED_XATTR_PREFIX "rdev", a->rdev, 8);
	return 0;
}

int cnb__rootfs_mapped_xattr_read(int fd, cnb__rootfs_mapped_attr *out)
{
	*out = (cnb__rootfs_mapped_attr){ 0 };
	if (get32(fd, CNB_MAPPED_XATTR_PREFIX "uid", &out->uid) < 0 || get32(fd, CNB_MAPPED_XATTR_PREFIX "gid", &out->gid) < 0 ||
	    get32(fd, CNB_MAPPED_XATTR_PREFIX "mode", &out->mode) < 0)
		return -1;
	if ((S_ISCHR(out->mode) || S_ISBLK(out->mode)) && get(fd, CNB_MAPPED_XATTR_PREFIX "rdev", &out->rdev, 8) < 0)
		return -1;
	return 0;
}

mode_t cnb__rootfs_mapped_host_mode(uint32_t guest_mode)
{
	/* Group/other write and the special bits never reach the host inode: a setuid bit there
	 * would be a real setuid binary owned by the host user. */
	mode_t perm = (guest_mode & 0555) | 0600;
	return S_ISDIR(guest_mode) ? perm | 0700 : perm;
}

bool cnb__rootfs_mapped_xattr_tree(const char *dir)
{
	char value[4];
	if (cnb__os_lgetxattr(dir, CNB_MAPPED_XATTR_PREFIX "mode", value, sizeof(value)) == (ssize_t)sizeof(value))
		return true;
	DIR *d = opendir(dir);
	struct dirent *e;
	bool mapped = false;
	for (int seen = 0; d && !mapped && seen < 64 && (e = readdir(d)); seen++) {
		char path[PATH_MAX];
		if (e->d_name[0] != '.' && snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			mapped = cnb__os_lgetxattr(path, CNB_MAPPED_XATTR_PREFIX "mode", value, sizeof(value)) == (ssize_t)sizeof(value);
	}
	if (d)
		closedir(d);
	return mapped;
}
