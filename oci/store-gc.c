/* Blob store garbage collection: dead writers' temp files, unused blobs. */
#include "store-gc.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEX_LEN 64

static bool is_blob_name(const char *name)
{
	return strlen(name) == HEX_LEN && strspn(name, "0123456789abcdef") == HEX_LEN;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcmp(s + n - k, suffix);
}

/* Unlinks `name` in `dirfd` if nobody holds its lock (and it is still the file we locked). */
static void remove_if_unheld(int dirfd, const char *name, cnb__oci_gc_stats *stats)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st, now;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return;
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev)
		return;
	if (unlinkat(dirfd, name, 0) == 0) {
		stats->removed++;
		stats->freed += (uint64_t)st.st_blocks * 512;
	}
}

static DIR *open_blob_dir(const char *root)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/blobs/sha256", root) < 0)
		return NULL;
	return cnb__opendir_at(AT_FDCWD, dir, O_NOFOLLOW);
}

static bool old_enough(const struct stat *st, time_t now, int64_t age)
{
	return (int64_t)(now - st->st_mtime) >= age;
}

void cnb__oci_store_clean_temps(const char *root, bool partials, int64_t partial_age, cnb__oci_gc_stats *stats)
{
	_cleanup_closedir_ DIR *d = open_blob_dir(root);
	time_t now = time(NULL);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		struct stat st;
		if (!strncmp(de->d_name, ".tmp-", 5))
			remove_if_unheld(dirfd(d), de->d_name, stats);
		else if (partials && has_suffix(de->d_name, ".partial") &&
			 fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && old_enough(&st, now, partial_age))
			remove_if_unheld(dirfd(d), de->d_name, stats);
	}
}

static int lock_store(const char *root, int op, cnb_error **err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/blobs", root) < 0 || asprintf(&path, "%s/gc.lock", dir) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = cnb__mkdir_p(dir, 0755, err);
	return r < 0 ? r : cnb__lock_file(path, "the blob store", op, err);
}

int cnb__oci_store_use(const char *root, cnb_error **err)
{
	return lock_store(root, LOCK_SH, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cnb__oci_store_gc(const char *root, const char *const *keep, size_t n, bool all, int64_t older_than,
		      cnb__oci_gc_stats *stats, cnb_error **err)
{
	cnb_error *busy = NULL;
	_cleanup_close_ int lock = lock_store(root, LOCK_EX | LOCK_NB, &busy);
	if (lock < 0) {
		int code = cnb__error_code(&busy, lock);
		cnb__error_clear(&busy);
		stats->busy = code == CNB_EEXIST;
		return stats->busy ? 0 : cnb__error_set(err, code, "lock the blob store in %s", root);
	}
	int64_t age = all ? 0 : older_than;
	cnb__oci_store_clean_temps(root, true, age, stats);
	/* "sha256:<hex>" sorted by hex, for bsearch */
	const char **hex = calloc(n + 1, sizeof(*hex));
	if (!hex)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (keep[i] && !strncmp(keep[i], "sha256:", 7))
			hex[k++] = keep[i] + 7;
	qsort(hex, k, sizeof(*hex), cmp_str);
	_cleanup_closedir_ DIR *d = open_blob_dir(root);
	time_t now = time(NULL);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *name = de->d_name;
		struct stat st;
		if (!is_blob_name(name) || bsearch(&name, hex, k, sizeof(*hex), cmp_str) ||
		    fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1 ||
		    !old_enough(&st, now, age))
			continue;
		if (unlinkat(dirfd(d), name, 0) == 0) {
			stats->removed++;
			stats->freed += (uint64_t)st.st_blocks * 512;
		}
	}
	free(hex);
	return 0;
}
