/* Job directory contents: app source copy, platform env, owned directories. */
#include "job-files.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-writer.h"
#include "lib/rootfs/mapped-xattr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_APP_DEPTH 128

bool cnb__executor_uses_mapped_xattr(const char *executor)
{
	return !executor || strcmp(executor, "host") != 0;
}

/* Owns the entry `name` in `dirfd` (already created, of type in st_mode) as the guest must see it. */
static int own_entry(int dirfd, const char *name, mode_t st_mode, const cnb__owner *owner, const char *what,
		     cnb_error **err)
{
	if (!owner->mapped) {
		if (fchownat(dirfd, name, owner->uid, owner->gid, AT_SYMLINK_NOFOLLOW) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "chown %s", what);
		return 0;
	}
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", what);
	cnb__mapped_attr attr = { owner->uid, owner->gid, (uint32_t)st_mode, 0 };
	if (cnb__mapped_xattr_write(fd, &attr) < 0)
		return cnb__error_errno(err, CNB_EIO, errno,
					"write user.virtfs.* xattrs on %s (the file system must support user xattrs)", what);
	return 0;
}

int cnb__job_chown_file(const char *path, const cnb__owner *owner, cnb_error **err)
{
	return own_entry(AT_FDCWD, path, S_IFREG | 0644, owner, path, err);
}

int cnb__job_mkdir_owned(const char *path, const cnb__owner *owner, cnb_error **err)
{
	int r = cnb__mkdir_p(path, 0755, err);
	if (r < 0)
		return r;
	return own_entry(AT_FDCWD, path, S_IFDIR | 0755, owner, path, err);
}

static int copy_symlink(int src_dir, int dst_dir, const char *name, const cnb__owner *owner, const char *what,
			cnb_error **err)
{
	char target[PATH_MAX];
	ssize_t len = readlinkat(src_dir, name, target, sizeof(target) - 1);
	if (len < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "read link %s", what);
	target[len] = '\0';
	if (symlinkat(target, dst_dir, name) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create link %s", what);
	return own_entry(dst_dir, name, S_IFLNK | 0777, owner, what, err);
}

static int copy_regular(int src_dir, int dst_dir, const char *name, const struct stat *st, const cnb__owner *owner,
			const char *what, cnb_error **err)
{
	_cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", what);
	_cleanup_close_ int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", what);
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "read %s", what);
		if (n == 0)
			break;
		if (cnb__write_all(out, buf, (size_t)n) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "write %s", what);
	}
	int r = own_entry(dst_dir, name, st->st_mode, owner, what, err);
	/* chown clears setuid bits, so the mode goes last */
	if (r == 0 && fchmod(out, st->st_mode & 07777) < 0)
		r = cnb__error_errno(err, CNB_EIO, errno, "chmod %s", what);
	return r;
}

static int copy_dir(int src_dir, int dst_dir, const char *what, const char *rel, const cnb__owner *owner,
		    const cnb__app_filter *filter, int depth, cnb_error **err)
{
	if (depth > MAX_APP_DEPTH)
		return cnb__error_set(err, CNB_EINVAL, "%s: deeper than %d directories", what, MAX_APP_DEPTH);
	int fd = dup(src_dir);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return cnb__error_errno(err, CNB_EIO, errno, "read directory %s", what);
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, "..") || (depth == 0 && !strcmp(name, ".git")))
			continue;
		_cleanup_free_ char *child = cnb__path_join(what, name);
		_cleanup_free_ char *child_rel = *rel ? cnb__path_join(rel, name) : strdup(name);
		if (!child || !child_rel)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		struct stat st;
		if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "stat %s", child);
		if (filter && !cnb__app_filter_keep(filter, child_rel, S_ISDIR(st.st_mode)))
			continue;
		int r = 0;
		if (S_ISLNK(st.st_mode)) {
			r = copy_symlink(src_dir, dst_dir, name, owner, child, err);
		} else if (S_ISREG(st.st_mode)) {
			r = copy_regular(src_dir, dst_dir, name, &st, owner, child, err);
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dst_dir, name, 0700) < 0)
				return cnb__error_errno(err, CNB_EIO, errno, "create %s", child);
			_cleanup_close_ int sub_src = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int sub_dst = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub_src < 0 || sub_dst < 0)
				return cnb__error_errno(err, CNB_EIO, errno, "open %s", child);
			r = copy_dir(sub_src, sub_dst, child, child_rel, owner, filter, depth + 1, err);
			if (r == 0)
				r = own_entry(dst_dir, name, st.st_mode, owner, child, err);
			if (r == 0 && fchmod(sub_dst, st.st_mode & 07777) < 0)
				r = cnb__error_errno(err, CNB_EIO, errno, "chmod %s", child);
		}
		if (r < 0)
			return r;
	}
	if (errno)
		return cnb__error_errno(err, CNB_EIO, errno, "read directory %s", what);
	return 0;
}

int cnb__job_copy_app(const char *src, const char *dst, const cnb__owner *owner, const cnb__app_filter *filter,
		      cnb_error **err)
{
	if (owner->mapped)
		return cnb__error_set(err, CNB_EINVAL, "copy the app: the VM takes it as a tar (cnb__job_pack_tree)");
	_cleanup_close_ int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return cnb__error_errno(err, errno == ENOENT ? CNB_ENOTFOUND : CNB_EIO, errno,
					"app source %s (give the app directory with --path)", src);
	_cleanup_close_ int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", dst);
	return copy_dir(sfd, dfd, src, "", owner, filter, 0, err);
}

typedef struct app_keep {
	bool is_app;
	const cnb__app_filter *filter;
} app_keep;

static bool keep_app_entry(const char *rel, bool is_dir, void *userdata)
{
	const app_keep *k = userdata;
	if (!k->is_app)
		return true;
	if (!strcmp(rel, ".git"))
		return false;
	return !k->filter || cnb__app_filter_keep(k->filter, rel, is_dir);
}

int cnb__job_pack_tree(const char *src, const char *tar_path, const cnb__owner *owner, bool is_app,
		       const cnb__app_filter *filter, int64_t mtime, cnb_error **err)
{
	_cleanup_close_ int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return cnb__error_errno(err, errno == ENOENT ? CNB_ENOTFOUND : CNB_EIO, errno, "%s %s%s",
					is_app ? "app source" : "open", src, is_app ? " (give the app directory with --path)" : "");
	_cleanup_close_ int out = open(tar_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", tar_path);
	cnb__tar *t = NULL;
	cnb__tar_norm norm = { owner->uid, owner->gid, mtime };
	app_keep keep = { is_app, filter };
	int r = cnb__tar_open(&t, out, err);
	if (r == 0 && (r = cnb__tar_add_dir(t, ".", 0755, &norm, err)) == 0)
		r = cnb__tar_add_contents(t, sfd, ".", &norm, keep_app_entry, &keep, err);
	if (r < 0) {
		cnb__tar_free(t);
		return cnb__error_prefix(err, "pack %s into %s", src, tar_path);
	}
	return cnb__tar_finish(t, err) < 0 ? cnb__error_prefix(err, "pack %s into %s", src, tar_path) : 0;
}

int cnb__job_write_platform_env(const char *platform_dir, const char *const *env, const cnb__owner *owner,
				cnb_error **err)
{
	_cleanup_free_ char *dir = cnb__path_join(platform_dir, "env");
	if (!dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = cnb__job_mkdir_owned(dir, owner, err);
	if (r < 0)
		return r;
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", dir);
	for (size_t i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');
		size_t name_len = eq ? (size_t)(eq - env[i]) : 0;
		_cleanup_free_ char *name = eq ? strndup(env[i], name_len) : NULL;
		if (!eq || name_len == 0 || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
			return cnb__error_set(err, CNB_EINVAL, "build env '%s': expected NAME=VALUE with a plain NAME", env[i]);
		_cleanup_close_ int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 || cnb__write_all(fd, eq + 1, strlen(eq + 1)) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "write platform env %s", name);
		if ((r = own_entry(dfd, name, S_IFREG | 0644, owner, name, err)) < 0)
			return r;
	}
	return 0;
}
