/* File-system helpers. */
#include "fs.h"
#include "cleanup.h"
#include "error-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

char *cnb__path_join(const char *a, const char *b)
{
	char *out = NULL;
	size_t la = strlen(a);
	const char *sep = (la && a[la - 1] == '/') ? "" : "/";
	while (*b == '/')
		b++;
	return asprintf(&out, "%s%s%s", a, sep, b) < 0 ? NULL : out;
}

int cnb__mkdir_p(const char *path, mode_t mode, cnb_error **err)
{
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return cnb__error_errno(err, CNB_EIO, errno, "create directory %s", p);
		*s = saved;
		if (!saved)
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return cnb__error_set(err, CNB_EIO, "%s exists and is not a directory", path);
	return 0;
}

int cnb__read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *out_len, cnb_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cnb__error_errno(err, errno == ENOENT ? CNB_ENOTFOUND : CNB_EIO, errno, "open %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return cnb__error_set(err, CNB_EIO, "%s is not a regular file", path);
	if ((size_t)st.st_size > max)
		return cnb__error_set(err, CNB_EUNSAFE, "%s is %lld bytes, over the limit of %zu", path,
				      (long long)st.st_size, max);
	_cleanup_free_ char *data = malloc((size_t)st.st_size + 1);
	if (!data)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	size_t len = 0;
	for (;;) {
		if (len > max)
			return cnb__error_set(err, CNB_EUNSAFE, "%s grew over the limit of %zu bytes", path, max);
		size_t room = (size_t)st.st_size - len;
		if (room == 0) {
			char probe;
			ssize_t extra = read(fd, &probe, 1);
			if (extra == 0)
				break;
			return cnb__error_set(err, CNB_EIO, "%s changed while being read", path);
		}
		ssize_t n = cnb__read_some(fd, data + len, room);
		if (n < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "read %s", path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	data[len] = '\0';
	*out = TAKE_PTR(data);
	if (out_len)
		*out_len = len;
	return 0;
}

int cnb__read_file(const char *path, size_t max, char **out, size_t *out_len, cnb_error **err)
{
	return cnb__read_file_at(AT_FDCWD, path, max, out, out_len, err);
}

ssize_t cnb__read_some(int fd, void *buf, size_t len)
{
	ssize_t n;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

int cnb__write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cnb__atomic_begin(const char *path, char **tmp, cnb_error **err)
{
	if (asprintf(tmp, "%s.tmp-XXXXXX", path) < 0) {
		*tmp = NULL;
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	int fd = mkostemp(*tmp, O_CLOEXEC);
	return fd >= 0 ? fd : cnb__error_errno(err, CNB_EIO, errno, "create %s", *tmp);
}

int cnb__atomic_finish(int fd, const char *tmp, const char *path, mode_t mode, int rc, cnb_error **err)
{
	if (rc == 0 && (fchmod(fd, mode) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0))
		rc = cnb__error_errno(err, CNB_EIO, errno, "write %s", path);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int cnb__write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, cnb_error **err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = cnb__atomic_begin(path, &tmp, err);
	if (fd < 0)
		return fd;
	int rc = cnb__write_all(fd, data, len) < 0 ? cnb__error_errno(err, CNB_EIO, errno, "write %s", path) : 0;
	return cnb__atomic_finish(fd, tmp, path, mode, rc, err);
}

DIR *cnb__opendir_at(int dirfd, const char *name, int flags)
{
	int fd = name ? openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags) : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return d;
}

int cnb__rm_rf_at(int parent_fd, const char *name, cnb_error **err)
{
	if (unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return cnb__error_errno(err, CNB_EIO, errno, "remove %s", name);
	_cleanup_closedir_ DIR *d = cnb__opendir_at(parent_fd, name, O_NOFOLLOW);
	if (!d)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", name);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (cnb__rm_rf_at(dirfd(d), de->d_name, err) < 0)
			return cnb__error_prefix(err, "%s", name);
	}
	if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return cnb__error_errno(err, CNB_EIO, errno, "remove %s", name);
	return 0;
}

int cnb__rm_rf(const char *path, cnb_error **err)
{
	return cnb__rm_rf_at(AT_FDCWD, path, err);
}

int cnb__copy_fd(int in, int out, const char *src, const char *dst, int (*each)(void *userdata, cnb_error **err),
		 void *userdata, cnb_error **err)
{
	char buf[1 << 16];
	for (;;) {
		ssize_t n = cnb__read_some(in, buf, sizeof(buf));
		if (n < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "read %s", src);
		if (n == 0)
			return 0;
		if (cnb__write_all(out, buf, (size_t)n) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "write %s", dst);
		int r = each ? each(userdata, err) : 0;
		if (r < 0)
			return r;
	}
}

int cnb__copy_file(const char *src, const char *dst, cnb_error **err)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", src);
	struct stat st;
	if (fstat(in, &st) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "stat %s", src);
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, st.st_mode & 07777);
	if (out < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", dst);
	int r = cnb__copy_fd(in, out, src, dst, NULL, NULL, err);
	if (r < 0)
		return r;
	if (fchmod(out, st.st_mode & 07777) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "chmod %s", dst);
	return 0;
}

int cnb__require_path(const char *path, const char *flag, mode_t type, cnb_error **err)
{
	struct stat st;
	if (!path)
		return 0;
	if (stat(path, &st) < 0)
		return cnb__error_errno(err, CNB_EINVAL, errno, "%s %s", flag, path);
	if ((st.st_mode & S_IFMT) != type)
		return cnb__error_set(err, CNB_EINVAL, "%s %s: not a %s", flag, path, type == S_IFDIR ? "directory" : "file");
	return 0;
}

int cnb__lock_file(const char *path, const char *name, int op, cnb_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open lock %s", path);
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return cnb__error_set(err, CNB_EEXIST, "%s is in use", name);
		return cnb__error_errno(err, CNB_EIO, errno, "lock %s", path);
	}
	return TAKE_FD(fd);
}

int cnb__mkstemp_locked(char *tmpl, int suffix_len)
{
	_cleanup_free_ char *pattern = strdup(tmpl);
	if (!pattern)
		return -1;
	for (int tries = 0; tries < 100; tries++) {
		strcpy(tmpl, pattern);
		_cleanup_close_ int fd = mkostemps(tmpl, suffix_len, O_CLOEXEC);
		struct stat st;
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0)
			return -1;
		if (st.st_nlink > 0)
			return TAKE_FD(fd);
	}
	errno = EAGAIN;
	return -1;
}

const char *cnb__tmp_base(void)
{
	const char *t = getenv("TMPDIR");
	return t && t[0] == '/' ? t : "/tmp";
}

int cnb__mkdtemp(const char *prefix, char **out, cnb_error **err)
{
	*out = NULL;
	char *path = NULL;
	if (asprintf(&path, "%s/%sXXXXXX", cnb__tmp_base(), prefix) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (!mkdtemp(path)) {
		int e = errno;
		free(path);
		return cnb__error_errno(err, CNB_EIO, e, "create a temporary directory in %s (set TMPDIR to a writable "
							 "directory)", cnb__tmp_base());
	}
	*out = path;
	return 0;
}

int cnb__readlink_at(int dir_fd, const char *name, char *target, const char *what, cnb_error **err)
{
	ssize_t len = readlinkat(dir_fd, name, target, PATH_MAX - 1);
	if (len < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "read link %s", what);
	target[len] = '\0';
	return 0;
}
