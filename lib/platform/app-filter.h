/*
 * project.toml's include/exclude (project descriptor spec: gitignore-style patterns) decide which
 * app files the build sees. Supported: `*`, `?`, `[...]`, `**` (any number of directories),
 * a leading or inner `/` anchoring a pattern to the app root, a trailing `/` for directories
 * only, `!` to re-include; later patterns win, as in .gitignore. A pattern without `/` matches a
 * name at any depth. A directory that matches carries its whole subtree. `**` is special only as a
 * whole segment; elsewhere it is a plain `*`, as in gitignore. Matching never backtracks
 * exponentially.
 */
#ifndef CNB_PLATFORM_APP_FILTER_H
#define CNB_PLATFORM_APP_FILTER_H

#include <stdbool.h>
#include <cnb/error.h>

/* Bounds on project.toml's lists: matching costs pattern length × name length, so both stay small. */
#define CNB_APP_PATTERN_MAX 4096
#define CNB_APP_PATTERNS_MAX 1024

typedef struct cnb__platform_app_filter {
	char *const *include; /* NULL-terminated or NULL: at most one of the two is used */
	char *const *exclude;
} cnb__platform_app_filter;

/* CNB_EINVAL naming the list and pattern when a pattern or the count exceeds the bounds above. */
int cnb__platform_app_filter_check(const cnb__platform_app_filter *f, cnb_error **err);

/* Whether `path` (relative to the app root, no leading "/") is sent to the build. Directories
 * are always kept for include lists (their matching files need them). */
bool cnb__platform_app_filter_keep(const cnb__platform_app_filter *f, const char *path, bool is_dir);

/* The match of one pattern (without `!`) against `path`, as described above. */
bool cnb__platform_app_pattern_matches(const char *pattern, const char *path, bool is_dir);

#endif
