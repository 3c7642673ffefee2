/* overlayfs upper dir → OCI layer tar with whiteouts (see overlay-diff.h). */
#include "overlay-diff.h"
#include "lib/common/cleanup.h"
#include "lib/common/dir-list.h"
#include "lib/common/error-internal.h"
#include "lib/common/strv.h"
#include "lib/common/tar-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER ".wh..wh..opq"

typedef struct walk {
	cnb__tar *tar;
	const char *const *skip;
	uint64_t entries;
} walk;

static cnb__tar_norm norm_of(const struct stat *st)
{
	return (cnb__tar_norm){ .uid = st->st_uid, .gid = st->st_gid, .mtime = CNB_TAR_EPOCH };
}

static int entry_path(char *out, size_t size, const char *dir, const char *name, cnb_error **err)
{
	int n = snprintf(out, size, "%s%s%s", dir, *dir ? "/" : "", name);
	return n < 0 || (size_t)n >= size ? cnb__error_set(err, CNB_EUNSAFE, "path %s/%s is too long", dir, name) : 0;
}

static bool opaque(int dirfd)
{
	char v[2] = { 0 };
	ssize_t n = fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

static int walk_dir(walk *w, int dirfd, const char *dir, unsigned depth, cnb_error **err);

static int one_entry(walk *w, int dirfd, const char *dir, const char *name, unsigned depth, cnb_error **err)
{
	struct stat st;
	char path[PATH_MAX];
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "%s/%s", dir, name);
	cnb__tar_norm n = norm_of(&st);
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		char wh[NAME_MAX + 8];
		snprintf(wh, sizeof(wh), WHITEOUT_PREFIX "%s", name);
		cnb__tar_norm root = { .mtime = CNB_TAR_EPOCH };
		w->entries++;
		return entry_path(path, sizeof(path), dir, wh, err) < 0 ? -1 : cnb__tar_add_data(w->tar, path, 0, "", 0, &root, err);
	}
	if (entry_path(path, sizeof(path), dir, name, err) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "open %s", path);
		w->entries++;
		int r = cnb__tar_add_dir(w->tar, path, st.st_mode & 07777, &n, err);
		if (r == 0 && opaque(fd)) {
			char marker[PATH_MAX];
			cnb__tar_norm root = { .mtime = CNB_TAR_EPOCH };
			r = entry_path(marker, sizeof(marker), path, OPAQUE_MARKER, err);
			if (r == 0)
				r = cnb__tar_add_data(w->tar, marker, 0, "", 0, &root, err);
		}
		return r < 0 ? r : walk_dir(w, fd, path, depth + 1, err);
	}
	if (S_ISLNK(st.st_mode)) {
		w->entries++;
		return cnb__tar_add_symlink_at(w->tar, dirfd, name, path, &n, err);
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", path);
	w->entries++;
	return cnb__tar_add_fd(w->tar, path, st.st_mode & 07777, fd, (uint64_t)st.st_size, &n, err);
}

static int walk_dir(walk *w, int dirfd, const char *dir, unsigned depth, cnb_error **err)
{
	if (depth > CNB_OVERLAY_DIFF_MAX_DEPTH)
		return cnb__error_set(err, CNB_EUNSAFE, "%s: nested deeper than %d directories", dir, CNB_OVERLAY_DIFF_MAX_DEPTH);
	_cleanup_strv_ char **names = NULL;
	size_t n = 0;
	int r = cnb__dir_list_sorted(dirfd, *dir ? dir : "/", NULL, NULL, &names, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (depth > 0 || !cnb__strv_contains((char *const *)w->skip, names[i]))
			r = one_entry(w, dirfd, dir, names[i], depth, err);
	return r;
}

int cnb__extend_overlay_diff_tar(int upper_fd, int out_fd, const char *const *skip, uint64_t *entries, cnb_error **err)
{
	walk w = { .skip = skip };
	int r = cnb__tar_open(&w.tar, out_fd, err);
	if (r == 0)
		r = walk_dir(&w, upper_fd, "", 0, err);
	if (r == 0)
		r = cnb__tar_finish(w.tar, err);
	else
		cnb__tar_free(w.tar);
	*entries = w.entries;
	return r;
}
