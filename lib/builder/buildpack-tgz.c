/* A buildpack archived as a (gzipped) tar of its directory, pack's `.tgz` buildpack form. */
#include "buildpack-set.h"
#include "buildpack-package-archive.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The entry's name without "./" and trailing "/"; NULL when absolute or with a ".." component. */
static char *entry_path(struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	while (name && name[0] == '.' && name[1] == '/')
		name += 2;
	if (!name || name[0] == '/')
		return NULL;
	char *copy = strdup(name);
	size_t n = copy ? strlen(copy) : 0;
	while (n && copy[n - 1] == '/')
		copy[--n] = '\0';
	for (const char *p = copy; p && (p = strstr(p, "..")); p += 2)
		if ((p == copy || p[-1] == '/') && (p[2] == '/' || p[2] == '\0')) {
			free(copy);
			return NULL;
		}
	return copy;
}

static int write_entry(struct archive *a, int root, const char *rel, struct archive_entry *e, uint64_t *total,
		       cnb_error **err)
{
	mode_t mode = archive_entry_perm(e) & 0755;
	_cleanup_free_ char *dir = strdup(rel);
	if (!dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		_cleanup_free_ char *full = NULL;
		if (asprintf(&full, "/proc/self/fd/%d/%s", root, dir) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		int r = cnb__mkdir_p(full, 0755, err);
		if (r < 0)
			return r;
	}
	if (archive_entry_filetype(e) == AE_IFDIR) {
		if (mkdirat(root, rel, mode | 0700) < 0 && errno != EEXIST)
			return cnb__error_errno(err, CNB_EIO, errno, "create %s", rel);
		return 0;
	}
	_cleanup_close_ int fd = openat(root, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode | 0600);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", rel);
	char buf[1 << 16];
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n < 0)
			return cnb__error_set(err, CNB_EINVAL, "%s: %s", rel, archive_error_string(a));
		if (n == 0)
			break;
		if ((*total += (uint64_t)n) > CNB_BP_ARCHIVE_MAX_BYTES)
			return cnb__error_set(err, CNB_EINVAL, "more than %llu bytes",
					      (unsigned long long)CNB_BP_ARCHIVE_MAX_BYTES);
		if (cnb__write_all(fd, buf, (size_t)n) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "write %s", rel);
	}
	return fchmod(fd, mode) < 0 ? cnb__error_errno(err, CNB_EIO, errno, "chmod %s", rel) : 0;
}

static int extract(const char *path, const char *dst, cnb_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, errno == ENOENT ? CNB_ENOTFOUND : CNB_EIO, errno, "open %s", path);
	int r = cnb__mkdir_p(dst, 0755, err);
	_cleanup_close_ int root = r == 0 ? open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (r == 0 && root < 0)
		r = cnb__error_errno(err, CNB_EIO, errno, "open %s", dst);
	_cleanup_(cnb__builder_bp_archive_reader_free) struct archive *a = NULL;
	if (r == 0)
		r = cnb__builder_bp_archive_open(&a, fd, err);
	uint64_t total = 0;
	struct archive_entry *e;
	for (size_t n = 0; r == 0; n++) {
		int more = cnb__builder_bp_archive_next(a, &e, n, err);
		if (more <= 0)
			return more;
		_cleanup_free_ char *rel = entry_path(e);
		unsigned type = archive_entry_filetype(e);
		if (!rel)
			return cnb__error_set(err, CNB_EUNSAFE, "entry %s leaves the archive", archive_entry_pathname(e));
		if (*rel && (type == AE_IFREG || type == AE_IFDIR))
			r = write_entry(a, root, rel, e, &total, err);
	}
	return r;
}

int cnb__builder_bp_set_add_archive(cnb__builder_bp_set *s, cnb_ctx *ctx, const char *path, size_t *out_index, cnb_error **err)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/archive-%zu", s->tmp_dir, s->n) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = extract(path, dir, err);
	if (r < 0)
		return cnb__error_prefix(err, "buildpack %s (a tar or .tgz of a buildpack directory)", path);
	return cnb__builder_bp_set_add_dir(s, ctx, dir, NULL, NULL, out_index, err);
}
