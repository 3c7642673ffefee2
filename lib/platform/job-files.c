/* Job directory contents: app source copy, platform env, owned directories. */
#include "job-files.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-writer.h"
#include "lib/executor/host-idmap.h"
#include "lib/rootfs/mapped-xattr.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_APP_DEPTH 128
#define JOB_PREFIX "cnb-job-"
#define LOCK_SUFFIX ".lock"
/* A job dir without a lock file comes from a version that had none; one of those may still run. */
#define UNLOCKED_STALE_S (24 * 3600)

int cnb__platform_job_dir_create(char **out_dir, int *out_lock, cnb_error **err)
{
	const char *base = cnb__tmp_base();
	for (int tries = 0; tries < 100; tries++) {
		_cleanup_free_ char *lock_path = NULL;
		if (asprintf(&lock_path, "%s/" JOB_PREFIX "XXXXXX" LOCK_SUFFIX, base) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		_cleanup_close_ int fd = cnb__mkstemp_locked(lock_path, (int)strlen(LOCK_SUFFIX));
		if (fd < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "create the job directory in %s (set TMPDIR to a writable "
								    "directory)", base);
		_cleanup_free_ char *dir = strndup(lock_path, strlen(lock_path) - strlen(LOCK_SUFFIX));
		if (!dir)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (mkdir(dir, 0700) < 0) {
			int e = errno;
			unlink(lock_path);
			if (e == EEXIST)
				continue;
			return cnb__error_errno(err, CNB_EIO, e, "create the job directory %s", dir);
		}
		*out_dir = TAKE_PTR(dir);
		*out_lock = TAKE_FD(fd);
		return 0;
	}
	return cnb__error_set(err, CNB_EIO, "create the job directory in %s: no free name after 100 tries", base);
}

void cnb__platform_job_dir_remove(const char *dir, int lock_fd)
{
	if (dir) {
		cnb__rm_rf(dir, NULL);
		_cleanup_free_ char *lock_path = NULL;
		if (asprintf(&lock_path, "%s" LOCK_SUFFIX, dir) >= 0)
			unlink(lock_path);
	}
	if (lock_fd >= 0)
		close(lock_fd);
}

/* Whether `name` is "cnb-job-XXXXXX" (lock: followed by ".lock"). */
static bool is_job_name(const char *name, bool *lock)
{
	size_t n = strlen(name), p = strlen(JOB_PREFIX);
	if (strncmp(name, JOB_PREFIX, p) || n < p + 6)
		return false;
	*lock = n == p + 6 + strlen(LOCK_SUFFIX) && !strcmp(name + p + 6, LOCK_SUFFIX);
	return n == p + 6 || *lock;
}

/* Removes the job `name` of `base` (a dir, its lock or both) when no live build holds the lock. */
static bool remove_stale_job(int base_fd, const char *name, bool is_lock, time_t now)
{
	char dir[32], lock[sizeof(dir) + sizeof(LOCK_SUFFIX)];
	snprintf(dir, sizeof(dir), "%.*s", (int)(strlen(name) - (is_lock ? strlen(LOCK_SUFFIX) : 0)), name);
	snprintf(lock, sizeof(lock), "%s" LOCK_SUFFIX, dir);
	struct stat st, lst, now_st;
	bool has_dir = fstatat(base_fd, dir, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
	if (has_dir && st.st_uid != geteuid())
		return false;
	if (is_lock && has_dir)
		return false; /* handled through its directory */
	_cleanup_close_ int fd = openat(base_fd, lock, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT || !has_dir || now - st.st_mtime < UNLOCKED_STALE_S)
			return false;
	} else if (fstat(fd, &lst) < 0 || !S_ISREG(lst.st_mode) || lst.st_uid != geteuid() ||
		   flock(fd, LOCK_EX | LOCK_NB) < 0 || fstatat(base_fd, lock, &now_st, AT_SYMLINK_NOFOLLOW) < 0 ||
		   now_st.st_ino != lst.st_ino) {
		return false; /* held by a live build, or not ours */
	}
	if (has_dir && cnb__rm_rf_at(base_fd, dir, NULL) < 0)
		return false;
	if (fd >= 0)
		unlinkat(base_fd, lock, 0);
	return true;
}

size_t cnb__platform_job_dirs_clean_stale(void)
{
	const char *base = cnb__tmp_base();
	_cleanup_closedir_ DIR *d = cnb__opendir_at(AT_FDCWD, base, 0);
	if (!d)
		return 0;
	size_t removed = 0;
	time_t now = time(NULL);
	struct dirent *de;
	while ((de = readdir(d))) {
		bool is_lock;
		if (is_job_name(de->d_name, &is_lock))
			removed += remove_stale_job(dirfd(d), de->d_name, is_lock, now);
	}
	return removed;
}

bool cnb__platform_executor_uses_mapped_xattr(const char *executor)
{
	return !executor || strcmp(executor, "host") != 0;
}

int cnb__platform_job_owner(cnb__platform_owner *out, const char *executor, uint32_t uid, uint32_t gid, cnb_error **err)
{
	*out = (cnb__platform_owner){ uid, gid, cnb__platform_executor_uses_mapped_xattr(executor) };
	cnb__executor_idmap idmap;
	if (out->mapped)
		return 0;
	if (cnb__executor_idmap_get(&idmap, NULL, NULL, err) < 0)
		return cnb__error_prefix(err, "host executor");
	return cnb__executor_idmap_to_host(&idmap, uid, gid, &out->uid, &out->gid, err);
}

/* Owns the entry `name` in `dirfd` (already created, of type in st_mode) as the guest must see it. */
static int own_entry(int dirfd, const char *name, mode_t st_mode, const cnb__platform_owner *owner, const char *what,
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
	cnb__rootfs_mapped_attr attr = { owner->uid, owner->gid, (uint32_t)st_mode, 0 };
	if (cnb__rootfs_mapped_xattr_write(fd, &attr) < 0)
		return cnb__error_errno(err, CNB_EIO, errno,
					"write user.virtfs.* xattrs on %s (the file system must support user xattrs)", what);
	return 0;
}

int cnb__platform_job_chown_file(const char *path, const cnb__platform_owner *owner, cnb_error **err)
{
	return own_entry(AT_FDCWD, path, S_IFREG | 0644, owner, path, err);
}

int cnb__platform_job_mkdir_owned(const char *path, const cnb__platform_owner *owner, cnb_error **err)
{
	int r = cnb__mkdir_p(path, 0755, err);
	if (r < 0)
		return r;
	return own_entry(AT_FDCWD, path, S_IFDIR | 0755, owner, path, err);
}

static int copy_symlink(int src_dir, int dst_dir, const char *name, const cnb__platform_owner *owner, const char *what,
			cnb_error **err)
{
	char target[PATH_MAX];
	int r = cnb__readlink_at(src_dir, name, target, what, err);
	if (r < 0)
		return r;
	if (symlinkat(target, dst_dir, name) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create link %s", what);
	return own_entry(dst_dir, name, S_IFLNK | 0777, owner, what, err);
}

/* What one app copy carries down the tree. */
typedef struct app_copy {
	const cnb__platform_owner *owner;
	const cnb__platform_app_filter *filter;
	const cnb_ctx *ctx; /* its cancel fd is polled per file and per chunk */
} app_copy;

static int check_cancel(const app_copy *c, const char *what, cnb_error **err)
{
	return cnb__api_ctx_canceled(c->ctx) ? cnb__error_set(err, CNB_ECANCELED, "copy %s: canceled", what) : 0;
}

typedef struct chunk_check {
	const app_copy *c;
	const char *what;
} chunk_check;

static int check_cancel_chunk(void *userdata, cnb_error **err)
{
	const chunk_check *k = userdata;
	return check_cancel(k->c, k->what, err);
}

static int copy_regular(int src_dir, int dst_dir, const char *name, const struct stat *st, const app_copy *c,
			const char *what, cnb_error **err)
{
	const cnb__platform_owner *owner = c->owner;
	_cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", what);
	_cleanup_close_ int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", what);
	chunk_check k = { c, what };
	int r = cnb__copy_fd(in, out, what, what, check_cancel_chunk, &k, err);
	if (r == 0)
		r = own_entry(dst_dir, name, st->st_mode, owner, what, err);
	/* chown clears setuid bits, so the mode goes last */
	if (r == 0 && fchmod(out, st->st_mode & 07777) < 0)
		r = cnb__error_errno(err, CNB_EIO, errno, "chmod %s", what);
	return r;
}

static int copy_dir(int src_dir, int dst_dir, const char *what, const char *rel, const app_copy *c, int depth,
		    cnb_error **err)
{
	const cnb__platform_owner *owner = c->owner;
	if (depth > MAX_APP_DEPTH)
		return cnb__error_set(err, CNB_EINVAL, "%s: deeper than %d directories", what, MAX_APP_DEPTH);
	_cleanup_closedir_ DIR *d = cnb__opendir_at(src_dir, NULL, 0);
	if (!d)
		return cnb__error_errno(err, CNB_EIO, errno, "read directory %s", what);
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
		if (c->filter && !cnb__platform_app_filter_keep(c->filter, child_rel, S_ISDIR(st.st_mode)))
			continue;
		int r = check_cancel(c, child, err);
		if (r < 0)
			return r;
		if (S_ISLNK(st.st_mode)) {
			r = copy_symlink(src_dir, dst_dir, name, owner, child, err);
		} else if (S_ISREG(st.st_mode)) {
			r = copy_regular(src_dir, dst_dir, name, &st, c, child, err);
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dst_dir, name, 0700) < 0)
				return cnb__error_errno(err, CNB_EIO, errno, "create %s", child);
			_cleanup_close_ int sub_src = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int sub_dst = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub_src < 0 || sub_dst < 0)
				return cnb__error_errno(err, CNB_EIO, errno, "open %s", child);
			r = copy_dir(sub_src, sub_dst, child, child_rel, c, depth + 1, err);
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

/* The app source directory (or another tree to pack), with the error that says what to give. */
static int open_source(const char *src, bool is_app, cnb_error **err)
{
	int fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && is_app)
		return cnb__error_errno(err, errno == ENOENT ? CNB_EINVAL : CNB_EIO, errno,
					"app source %s (give the app directory with --path)", src);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", src);
	return fd;
}

int cnb__platform_job_copy_app(const cnb_ctx *ctx, const char *src, const char *dst, const cnb__platform_owner *owner,
		      const cnb__platform_app_filter *filter, cnb_error **err)
{
	if (owner->mapped)
		return cnb__error_set(err, CNB_EINVAL, "copy the app: the VM takes it as a tar (cnb__platform_job_pack_tree)");
	int r = filter ? cnb__platform_app_filter_check(filter, err) : 0;
	if (r < 0)
		return r;
	_cleanup_close_ int sfd = open_source(src, true, err);
	if (sfd < 0)
		return sfd;
	_cleanup_close_ int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", dst);
	app_copy c = { owner, filter, ctx };
	return copy_dir(sfd, dfd, src, "", &c, 0, err);
}

/* What packing a tree carries through the tar writer's callbacks. */
typedef struct tree_pack {
	bool is_app;
	app_copy c; /* the filter and the ctx whose cancel is checked per entry and per chunk */
} tree_pack;

static bool keep_app_entry(const char *rel, bool is_dir, void *userdata)
{
	const tree_pack *p = userdata;
	if (!p->is_app)
		return true;
	if (!strcmp(rel, ".git"))
		return false;
	return !p->c.filter || cnb__platform_app_filter_keep(p->c.filter, rel, is_dir);
}

static int check_pack_cancel(const char *path, void *userdata, cnb_error **err)
{
	const tree_pack *p = userdata;
	return check_cancel(&p->c, path, err);
}

int cnb__platform_job_pack_tree(const cnb_ctx *ctx, const char *src, const char *tar_path, const cnb__platform_owner *owner,
		       bool is_app, const cnb__platform_app_filter *filter, int64_t mtime, cnb_error **err)
{
	int r = is_app && filter ? cnb__platform_app_filter_check(filter, err) : 0;
	if (r < 0)
		return r;
	_cleanup_close_ int sfd = open_source(src, is_app, err);
	if (sfd < 0)
		return sfd;
	_cleanup_close_ int out = open(tar_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", tar_path);
	cnb__tar *t = NULL;
	cnb__tar_norm norm = { owner->uid, owner->gid, mtime };
	tree_pack pack = { is_app, { owner, is_app ? filter : NULL, ctx } };
	if ((r = cnb__tar_open(&t, out, err)) == 0) {
		cnb__tar_set_check(t, check_pack_cancel, &pack);
		if ((r = cnb__tar_add_dir(t, ".", 0755, &norm, err)) == 0)
			r = cnb__tar_add_contents(t, sfd, ".", &norm, keep_app_entry, &pack, err);
	}
	if (r < 0) {
		cnb__tar_free(t);
		return cnb__error_prefix(err, "pack %s into %s", src, tar_path);
	}
	return cnb__tar_finish(t, err) < 0 ? cnb__error_prefix(err, "pack %s into %s", src, tar_path) : 0;
}

int cnb__platform_job_write_platform_env(const char *platform_dir, const char *const *env, const cnb__platform_owner *owner,
				cnb_error **err)
{
	_cleanup_free_ char *dir = cnb__path_join(platform_dir, "env");
	if (!dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = cnb__platform_job_mkdir_owned(dir, owner, err);
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
