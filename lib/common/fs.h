/* File-system helpers that are careful with untrusted trees: no following links where it matters. */
#ifndef CNB_FS_H
#define CNB_FS_H

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>
#include <cnb/error.h>

/* mkdir -p with `mode` for created directories. */
int cnb__mkdir_p(const char *path, mode_t mode, cnb_error **err);

/* Reads a whole regular file of at most `max` bytes into a NUL-terminated buffer (caller frees). */
int cnb__read_file(const char *path, size_t max, char **out, size_t *out_len, cnb_error **err);

/* Same, relative to dirfd, refusing a symlink as the final component. */
int cnb__read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *out_len, cnb_error **err);

/* Writes `len` bytes to path through a temp file in the same directory, fsync, rename: all or nothing. */
int cnb__write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, cnb_error **err);

/* The same in two steps, for a writer that streams: cnb__atomic_begin() creates "<path>.tmp-XXXXXX"
 * (*tmp, caller frees; NULL on OOM) and returns its fd, or a negative error. cnb__atomic_finish()
 * takes the writer's result `rc`: when 0, sets `mode`, fsyncs and renames tmp over path; when that
 * fails or `rc` < 0, removes tmp. Returns `rc` or the error. The caller closes fd. */
int cnb__atomic_begin(const char *path, char **tmp, cnb_error **err);
int cnb__atomic_finish(int fd, const char *tmp, const char *path, mode_t mode, int rc, cnb_error **err);

/* A directory stream (closedir) over the directory `name` under `dirfd` (openat with O_DIRECTORY and
 * `flags`, e.g. O_NOFOLLOW), or, when `name` is NULL, over a close-on-exec duplicate of `dirfd`
 * itself. NULL with errno set; no fd is left open on failure. */
DIR *cnb__opendir_at(int dirfd, const char *name, int flags);

/* rm -rf that never follows symlinks (openat/unlinkat based). Missing path is success. */
int cnb__rm_rf(const char *path, cnb_error **err);
int cnb__rm_rf_at(int dirfd, const char *name, cnb_error **err);

/* A path the user named with `flag` (NULL: nothing to check) must exist and be of `type` (S_IFDIR or
 * S_IFREG): CNB_EINVAL "FLAG PATH: ..." otherwise, a usage error rather than a missing image. */
int cnb__require_path(const char *path, const char *flag, mode_t type, cnb_error **err);

/* Opens (creating, mode 0644, never through a symlink) the lock file `path` and flocks it with `op`
 * (LOCK_SH/LOCK_EX, maybe | LOCK_NB): the fd, or CNB_EEXIST "NAME is in use" when LOCK_NB finds it
 * held (`name` says what it guards), else a negative error. */
int cnb__lock_file(const char *path, const char *name, int op, cnb_error **err);

/* mkostemps(tmpl, suffix_len, O_CLOEXEC) whose file is flock'd (LOCK_EX) by the returned fd: a
 * cleaner that removes such files once it can take their lock (their owner died) may win the race
 * between create and lock, so a file found unlinked after locking is made again. -1 with errno. */
int cnb__mkstemp_locked(char *tmpl, int suffix_len);

/* Copies fd `in` to fd `out` to the end of `in`; `src`/`dst` name them in errors. `each` (may be NULL)
 * runs after every chunk: a negative return stops the copy with that error (a cancel check). */
int cnb__copy_fd(int in, int out, const char *src, const char *dst, int (*each)(void *userdata, cnb_error **err),
		 void *userdata, cnb_error **err);

/* Copies a regular file (content and mode). */
int cnb__copy_file(const char *src, const char *dst, cnb_error **err);

/* $TMPDIR when it is an absolute path, else /tmp: where every temporary file and directory of libcnb goes. */
const char *cnb__tmp_base(void);

/* A new directory (mode 0700) named <tmp base>/<prefix>XXXXXX; *out (caller frees) gets its path. */
int cnb__mkdtemp(const char *prefix, char **out, cnb_error **err);

/* "a" + "/" + "b" (malloc'd; NULL on OOM). */
char *cnb__path_join(const char *a, const char *b);

/* read(2), retried on EINTR: the bytes read, 0 at end of file, or -1 (errno set). */
ssize_t cnb__read_some(int fd, void *buf, size_t len);

/* Writes all of buf to fd, retrying on EINTR/short writes. Returns 0 or -1 (errno set). */
int cnb__write_all(int fd, const void *buf, size_t len);

/* The target of the link `name` in dir_fd, NUL-terminated in target[PATH_MAX]; `what` names it in errors. */
int cnb__readlink_at(int dir_fd, const char *name, char *target, const char *what, cnb_error **err);

#endif
