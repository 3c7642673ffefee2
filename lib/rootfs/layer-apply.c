/*
 * Layer application: one pass over each blob (decompress, untar, digest), writing entries
 * through symlink-proof directory fds. Two ways to record what the guest must see:
 * real ownership/modes/device nodes (root on Linux), or QEMU mapped-xattr (anyone).
 */
#include "layer-apply.h"
#include "blob-reader.h"
#include "mapped-xattr.h"
#include "path-set.h"
#include "tree-path.h"
#include "whiteout.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/array.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/os/os.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRESS_STEP (4u << 20)

typedef struct dir_time {
	char *path;
	struct timespec mtime;
} dir_time;

typedef struct applier {
	const cnb_ctx *ctx;
	cnb__rootfs_tree tree;
	bool mapped;
	cnb__rootfs_path_set seen;  /* entries of the layer being applied */
	dir_time *dirs;      /* directory mtimes, set once the layer's entries are all in */
	size_t n_dirs, cap_dirs;
	uint64_t written;
	const char *digest;  /* of the current layer, for messages */
} applier;

static const char *const layer_media_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

bool cnb__rootfs_media_type_ok(const char *media_type)
{
	for (size_t i = 0; i < CNB_ARRAY_SIZE(layer_media_types); i++)
		if (!strcmp(media_type, layer_media_types[i]))
			return true;
	return false;
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static int apply_xattrs(applier *ap, int fd, struct archive_entry *e, cnb_error **err)
{
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		/* In the mapped model the guest only reaches user.* xattrs, and user.virtfs.* is the
		 * model's own metadata: a layer must not be able to forge ownership through it. */
		bool virtfs = !strncmp(name, CNB_MAPPED_XATTR_PREFIX, strlen(CNB_MAPPED_XATTR_PREFIX));
		if (virtfs || (ap->mapped && strncmp(name, "user.", 5))) {
			cnb__api_log(ap->ctx, CNB_LOG_DEBUG, "layer %s: xattr %s not representable, skipped", ap->digest, name);
			continue;
		}
		if (cnb__os_fsetxattr(fd, name, value, size) < 0) {
			if (errno == ENOTSUP || errno == EPERM) {
				cnb__api_log(ap->ctx, CNB_LOG_WARN, "layer %s: xattr %s: %s, skipped", ap->digest, name, strerror(errno));
				continue;
			}
			return cnb__error_errno(err, CNB_EIO, errno, "set xattr %s", name);
		}
	}
	return 0;
}

/* Ownership, mode and xattrs of a file or directory we hold open. */
static int apply_meta_fd(applier *ap, int fd, struct archive_entry *e, mode_t type, cnb_error **err)
{
	if (apply_xattrs(ap, fd, e, err) < 0)
		return -1;
	uint32_t mode = type | (archive_entry_perm(e) & 07777);
	if (ap->mapped) {
		cnb__rootfs_mapped_attr attr = { .uid = (uint32_t)archive_entry_uid(e), .gid = (uint32_t)archive_entry_gid(e),
					  .mode = mode, .rdev = archive_entry_rdev(e) };
		if (cnb__rootfs_mapped_xattr_write(fd, &attr) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "write user.virtfs.* xattrs (does this file system support user xattrs?)");
		if (fchmod(fd, cnb__rootfs_mapped_host_mode(mode)) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "chmod");
	} else {
		/* chown first: it clears setuid/setgid, which chmod then sets. */
		if (fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "chown %lld:%lld", (long long)archive_entry_uid(e),
						(long long)archive_entry_gid(e));
		if (fchmod(fd, mode & 07777) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "chmod %o", mode & 07777);
	}
	if (S_ISDIR(type))
		return 0;
	struct timespec times[2] = { { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
				     { archive_entry_mtime(e), archive_entry_mtime_nsec(e) } };
	if (futimens(fd, times) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "set mtime");
	return 0;
}

/* Removes whatever sits at `leaf` unless it is a directory and a directory is wanted (merged). */
static int make_room(int dir_fd, const char *leaf, bool want_dir, bool *kept_dir, cnb_error **err)
{
	struct stat st;
	*kept_dir = false;
	if (fstatat(dir_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cnb__error_errno(err, CNB_EIO, errno, "stat");
	if (want_dir && S_ISDIR(st.st_mode)) {
		*kept_dir = true;
		return 0;
	}
	return cnb__rm_rf_at(dir_fd, leaf, err);
}

static int write_content(applier *ap, struct archive *a, int fd, struct archive_entry *e, cnb_error **err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(a, &buf, &len, &off)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN)
			return cnb__error_set(err, CNB_EPARSE, "read content: %s", archive_error_string(a));
		ap->written += len;
		if (ap->written > CNB_ROOTFS_MAX_BYTES)
			return cnb__error_set(err, CNB_EUNSAFE, "image expands to more than %llu bytes: refused",
					      (unsigned long long)CNB_ROOTFS_MAX_BYTES);
		if (len && (lseek(fd, (off_t)off, SEEK_SET) < 0 || cnb__write_all(fd, buf, len) < 0))
			return cnb__error_errno(err, CNB_EIO, errno, "write");
	}
	/* Sparse entries may end in a hole. */
	if (archive_entry_size(e) > 0 && ftruncate(fd, archive_entry_size(e)) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "truncate");
	return 0;
}

static int create_file(applier *ap, int dir_fd, const char *leaf, const void *data, size_t len, struct archive *a,
		       struct archive_entry *e, mode_t type, cnb_error **err)
{
	_cleanup_close_ int fd = openat(dir_fd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create");
	if (a && write_content(ap, a, fd, e, err) < 0)
		return -1;
	if (data && cnb__write_all(fd, data, len) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "write");
	return apply_meta_fd(ap, fd, e, type, err);
}

static int create_dir(applier *ap, int dir_fd, const char *leaf, const char *path, struct archive_entry *e,
		      bool exists, cnb_error **err)
{
	if (!exists && mkdirat(dir_fd, leaf, 0700) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "mkdir");
	_cleanup_close_ int fd = *leaf ? openat(dir_fd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
				       : dup(dir_fd);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open directory");
	if (apply_meta_fd(ap, fd, e, S_IFDIR, err) < 0)
		return -1;
	dir_time *dirs = cnb__array_reserve(ap->dirs, ap->n_dirs, &ap->cap_dirs, sizeof(*dirs), 256);
	if (!dirs)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	ap->dirs = dirs;
	char *copy = strdup(path);
	if (!copy)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	ap->dirs[ap->n_dirs++] = (dir_time){ copy, { archive_entry_mtime(e), archive_entry_mtime_nsec(e) } };
	return 0;
}

/* Real-mode metadata for what cannot be opened: symlinks and device nodes. */
static int apply_meta_at(applier *ap, int dir_fd, const char *leaf, struct archive_entry *e, bool is_link, cnb_error **err)
{
	if (fchownat(dir_fd, leaf, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "chown");
	/* The node was just made by us in a tree nobody else writes: fchmodat's following is moot. */
	if (!is_link && fchmodat(dir_fd, leaf, archive_entry_perm(e) & 07777, 0) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "chmod");
	struct timespec times[2] = { { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
				     { archive_entry_mtime(e), archive_entry_mtime_nsec(e) } };
	if (utimensat(dir_fd, leaf, times, AT_SYMLINK_NOFOLLOW) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "set mtime");
	return 0;
}

static int create_hardlink(applier *ap, int dir_fd, const char *path, const char *leaf, const char *target_name,
			   cnb_error **err)
{
	_cleanup_free_ char *target = NULL;
	if (cnb__rootfs_tree_clean_path(target_name, &target, err) < 0)
		return cnb__error_prefix(err, "hardlink to '%s'", target_name);
	if (!*target)
		return cnb__error_set(err, CNB_EUNSAFE, "hardlink to the root directory refused");
	if (!strcmp(target, path))
		return 0;
	const char *tleaf;
	size_t tdir_len = cnb__rootfs_tree_dir_len(target, &tleaf);
	int tdir_fd;
	int r = cnb__rootfs_tree_open_dir(&ap->tree, target, tdir_len, false, &tdir_fd, err);
	struct stat st;
	if (r == CNB_ENOTFOUND || (r == 0 && fstatat(tdir_fd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)) {
		cnb__error_clear(err);
		return cnb__error_set(err, CNB_EUNSAFE, "hardlink to '%s': no such entry in the tree (a link may "
				      "only point at an earlier entry of the image)", target);
	}
	if (r < 0)
		return cnb__error_prefix(err, "hardlink to '%s'", target);
	if (r == 0 && fstatat(tdir_fd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "hardlink to '%s'", target);
	if (S_ISDIR(st.st_mode))
		return cnb__error_set(err, CNB_EUNSAFE, "hardlink to directory '%s' refused", target);
	if (linkat(tdir_fd, tleaf, dir_fd, leaf, 0) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "hardlink to '%s'", target);
	return 0;
}

static int create_node(applier *ap, int dir_fd, const char *leaf, struct archive_entry *e, mode_t type, cnb_error **err)
{
	if (ap->mapped) /* QEMU's mapped model: a regular file whose type is in user.virtfs.mode */
		return create_file(ap, dir_fd, leaf, NULL, 0, NULL, e, type, err);
	if (mknodat(dir_fd, leaf, type | 0600, archive_entry_rdev(e)) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "mknod");
	return apply_meta_at(ap, dir_fd, leaf, e, false, err);
}

static int create_symlink(applier *ap, int dir_fd, const char *leaf, struct archive_entry *e, cnb_error **err)
{
	const char *target = archive_entry_symlink(e);
	if (!target)
		target = archive_entry_symlink_utf8(e);
	if (!target || strlen(target) >= PATH_MAX)
		return cnb__error_set(err, CNB_EUNSAFE, "symlink target missing or longer than %d bytes", PATH_MAX);
	if (ap->mapped) /* QEMU's mapped model keeps the target as file content (local_symlink) */
		return create_file(ap, dir_fd, leaf, target, strlen(target), NULL, e, S_IFLNK, err);
	if (symlinkat(target, dir_fd, leaf) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "symlink");
	return apply_meta_at(ap, dir_fd, leaf, e, true, err);
}

static int apply_entry(applier *ap, struct archive *a, struct archive_entry *e, const char *path, cnb_error **err)
{
	const char *leaf;
	size_t dir_len = cnb__rootfs_tree_dir_len(path, &leaf);
	if (cnb__rootfs_whiteout_is(leaf))
		return cnb__rootfs_whiteout_apply(&ap->tree, path, &ap->seen, err);

	mode_t type = archive_entry_filetype(e);
	const char *hardlink = archive_entry_hardlink(e);
	if (!*path && (hardlink || type != AE_IFDIR))
		return cnb__error_set(err, CNB_EUNSAFE, "the root of the tree can only be a directory");
	int borrowed;
	if (cnb__rootfs_tree_open_dir(&ap->tree, path, dir_len, true, &borrowed, err) < 0)
		return -1;
	/* Our own fd: resolving a hardlink target reuses the tree's cache. */
	_cleanup_close_ int dir_fd = dup(borrowed);
	if (dir_fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "dup");
	bool is_dir = !hardlink && type == AE_IFDIR, kept_dir = !*path;
	if (*path && make_room(dir_fd, leaf, is_dir, &kept_dir, err) < 0)
		return -1;
	int r;
	if (hardlink)
		r = create_hardlink(ap, dir_fd, path, leaf, hardlink, err);
	else if (type == AE_IFREG)
		r = create_file(ap, dir_fd, leaf, NULL, 0, a, e, S_IFREG, err);
	else if (type == AE_IFDIR)
		r = create_dir(ap, dir_fd, leaf, path, e, kept_dir, err);
	else if (type == AE_IFLNK)
		r = create_symlink(ap, dir_fd, leaf, e, err);
	else if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO)
		r = create_node(ap, dir_fd, leaf, e, type, err);
	else {
		cnb__api_log(ap->ctx, CNB_LOG_DEBUG, "layer %s: '%s' has file type %o, skipped", ap->digest, path, type);
		return 0;
	}
	if (r < 0)
		return r;
	if (cnb__rootfs_path_set_add_with_parents(&ap->seen, path) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

/* After all entries of a layer: a directory's mtime would otherwise be "now" from its children. */
static void set_dir_times(applier *ap)
{
	for (size_t i = ap->n_dirs; i-- > 0;) {
		const char *path = ap->dirs[i].path, *leaf;
		size_t dir_len = cnb__rootfs_tree_dir_len(path, &leaf);
		struct timespec times[2] = { ap->dirs[i].mtime, ap->dirs[i].mtime };
		int dir_fd;
		cnb_error *ignored = NULL;
		if (!*path)
			futimens(ap->tree.root_fd, times);
		else if (cnb__rootfs_tree_open_dir(&ap->tree, path, dir_len, false, &dir_fd, &ignored) == 0)
			utimensat(dir_fd, leaf, times, AT_SYMLINK_NOFOLLOW); /* gone or replaced later in the layer: moot */
		cnb__error_clear(&ignored);
		free(ap->dirs[i].path);
	}
	ap->n_dirs = 0;
}

static int apply_layer(applier *ap, const cnb__rootfs_layer *l, cnb_error **err)
{
	if (l->media_type && !cnb__rootfs_media_type_ok(l->media_type))
		return cnb__error_set(err, CNB_EUNSUPPORTED, "media type %s is not a layer we can unpack", l->media_type);
	_cleanup_(archive_freep) struct archive *a = archive_read_new();
	if (!a)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_empty(a);
	cnb__rootfs_blob_reader reader;
	int r = cnb__rootfs_blob_reader_open(&reader, l->blob_path, l->digest, err);
	if (r == 0 && cnb__rootfs_blob_reader_attach(&reader, a) != ARCHIVE_OK)
		r = cnb__error_set(err, CNB_EPARSE, "not a tar (plain, gzip or zstd): %s", archive_error_string(a));
	uint64_t reported = 0;
	struct archive_entry *e;
	while (r == 0) {
		int h = archive_read_next_header(a, &e);
		if (h == ARCHIVE_EOF)
			break;
		if (h < ARCHIVE_WARN) {
			r = cnb__error_set(err, CNB_EPARSE, "bad tar: %s", archive_error_string(a));
			break;
		}
		const char *name = archive_entry_pathname(e);
		if (!name)
			name = archive_entry_pathname_utf8(e);
		_cleanup_free_ char *path = NULL;
		if (!name)
			r = cnb__error_set(err, CNB_EPARSE, "entry without a name");
		else if ((r = cnb__rootfs_tree_clean_path(name, &path, err)) == 0)
			r = apply_entry(ap, a, e, path, err);
		if (r < 0) {
			cnb__error_prefix(err, "entry '%s'", name ? name : "?");
			break;
		}
		if (reader.done - reported >= PROGRESS_STEP) {
			reported = reader.done;
			if (cnb__api_progress(ap->ctx, l->digest ? l->digest : l->blob_path, reader.done, reader.size))
				r = cnb__error_set(err, CNB_ECANCELED, "cancelled");
		}
	}
	if (r == 0)
		r = cnb__rootfs_blob_reader_finish(&reader, err);
	cnb__rootfs_blob_reader_close(&reader);
	set_dir_times(ap);
	cnb__rootfs_path_set_clear(&ap->seen);
	return r < 0 ? cnb__error_code(err, r) : 0;
}

int cnb__rootfs_apply_layers(const cnb_ctx *ctx, int root_fd, const cnb__rootfs_layer *layers, size_t n,
			     bool mapped, cnb_error **err)
{
	if (!mapped && geteuid() != 0)
		return cnb__error_set(err, CNB_EINVAL, "real ownership and device nodes need root: use the mapped-xattr form");
	applier ap = { .ctx = ctx, .mapped = mapped, .seen = CNB_PATH_SET_INIT };
	cnb__rootfs_tree_init(&ap.tree, root_fd, mapped);
	int r = 0;
	if (mapped) {
		/* The share's root is what the guest mounts: give it an owner before any layer does. */
		cnb__rootfs_mapped_attr root = { .mode = S_IFDIR | 0755 };
		if (cnb__rootfs_mapped_xattr_write(root_fd, &root) < 0 || fchmod(root_fd, 0755) < 0)
			r = cnb__error_errno(err, CNB_EIO, errno, "write user.virtfs.* xattrs on the tree root "
					     "(does this file system support user xattrs?)");
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		ap.digest = layers[i].digest ? layers[i].digest : layers[i].blob_path;
		r = apply_layer(&ap, &layers[i], err);
		if (r < 0)
			cnb__error_prefix(err, "layer %zu (%s)", i + 1, ap.digest);
		cnb__api_log(ctx, CNB_LOG_DEBUG, "applied layer %zu/%zu %s", i + 1, n, ap.digest);
	}
	cnb__rootfs_tree_release(&ap.tree);
	free(ap.dirs);
	return r;
}
