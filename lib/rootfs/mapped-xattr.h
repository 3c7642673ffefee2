/*
 * QEMU 9p `security_model=mapped-xattr`: what the guest sees as owner, group, mode (file type
 * included) and device number lives in user.virtfs.{uid,gid,mode,rdev} xattrs on the host file,
 * little-endian 32-bit values, except rdev: 64 bits (QEMU writes sizeof(dev_t), Linux's makedev()
 * encoding; 9p-local.c: local_set_xattrat). In this model QEMU itself stores symlinks as regular files
 * whose content is the target, and device nodes and fifos as regular files whose type is only in
 * user.virtfs.mode (hw/9pfs/9p-local.c: local_symlink, local_mknod), so that is the form we write.
 */
#ifndef CNB_ROOTFS_MAPPED_XATTR_H
#define CNB_ROOTFS_MAPPED_XATTR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct cnb__rootfs_mapped_attr {
	uint32_t uid, gid;
	uint32_t mode; /* S_IFMT bits + permissions, setuid/setgid/sticky included */
	uint64_t rdev; /* makedev(major, minor); only for S_IFCHR/S_IFBLK */
} cnb__rootfs_mapped_attr;

#define CNB_MAPPED_XATTR_PREFIX "user.virtfs."

/* Writes the attributes to an open file or directory. 0 or -1 (errno set). */
int cnb__rootfs_mapped_xattr_write(int fd, const cnb__rootfs_mapped_attr *attr);

/* Reads them back; `has_*` style: returns -1 (errno ENODATA) when uid, gid or mode is missing. */
int cnb__rootfs_mapped_xattr_read(int fd, cnb__rootfs_mapped_attr *out);

/* Host permissions for a file carrying mapped attributes: the owner (us, and QEMU running as us)
 * can always read and write; the image's modes live in the xattr only. */
mode_t cnb__rootfs_mapped_host_mode(uint32_t guest_mode);

/* Whether the tree at `dir` is in this form: the directory or one of its first entries carries
 * user.virtfs.mode. An ordinary tree (umoci unpack, debootstrap, `cnb unpack --real`) has none. */
bool cnb__rootfs_mapped_xattr_tree(const char *dir);

#endif
