/* Sorted directory listings. */
#include "dir-list.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cnb__dir_list_sorted(int dirfd, const char *dir, cnb__dir_filter keep, void *ud, char ***out, size_t *n,
			 cnb_error **err)
{
	_cleanup_closedir_ DIR *d = cnb__opendir_at(dirfd, NULL, 0);
	if (!d)
		return cnb__error_errno(err, CNB_EIO, errno, "read %s", dir);
	_cleanup_strv_list_ cnb__strv_list names = CNB_STRV_LIST_INIT;
	int r = 0;
	struct dirent *de;
	while (r == 0 && (errno = 0, de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && (!keep || keep(dirfd, de->d_name, ud)))
			r = cnb__strv_push(&names, de->d_name);
	if (r == 0 && errno)
		return cnb__error_errno(err, CNB_EIO, errno, "read %s", dir);
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), cmp_str);
	size_t len = names.n;
	char **v = r < 0 ? NULL : cnb__strv_steal(&names);
	if (!v)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	*out = v;
	*n = len;
	return 0;
}

int cnb__dir_list_sorted_path(const char *dir, cnb__dir_filter keep, void *ud, char ***out, size_t *n,
			      cnb_error **err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		*n = 0;
		*out = calloc(1, sizeof(char *));
		return *out ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", dir);
	return cnb__dir_list_sorted(fd, dir, keep, ud, out, n, err);
}
