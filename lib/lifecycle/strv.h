/* NULL-terminated string lists, and sorted directory listings (the spec orders env files, layers... alphabetically). */
#ifndef CNB_LC_STRV_H
#define CNB_LC_STRV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>

#include "lib/common/strv.h"

/* vasprintf that returns the string (NULL on OOM), for log lines built from a format. */
char *cnb__vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A receiver of log lines (no trailing newline), and printf into one; a NULL fn drops the line. */
typedef void (*cnb__line_fn)(void *ud, const char *line);
void cnb__line_printf(cnb__line_fn fn, void *ud, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Whether `list` (may be NULL) contains `s`. */
bool cnb__strv_contains(char *const *list, const char *s);

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
