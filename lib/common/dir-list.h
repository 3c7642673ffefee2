/* Sorted directory listings (the spec orders env files, layers, buildpacks... bytewise). */
#ifndef CNB_COMMON_DIR_LIST_H
#define CNB_COMMON_DIR_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>

#include "lib/common/strv.h"

/* Which entries a listing keeps; `dirfd` is the listed directory. */
typedef bool (*cnb__dir_filter)(int dirfd, const char *name, void *ud);

/*
 * The names in `dirfd` (not . and ..) that `keep` accepts (NULL = all), sorted bytewise:
 * a NULL-terminated list (cnb__strv_free), *n its length. `dir` only names it in errors.
 */
int cnb__dir_list_sorted(int dirfd, const char *dir, cnb__dir_filter keep, void *ud, char ***out, size_t *n,
			 cnb_error **err);

/* Same for a path; a missing directory gives an empty list. */
int cnb__dir_list_sorted_path(const char *dir, cnb__dir_filter keep, void *ud, char ***out, size_t *n,
			      cnb_error **err);

#endif
