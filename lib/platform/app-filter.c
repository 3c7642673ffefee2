/* gitignore-style include/exclude for the app source. */
#include "app-filter.h"
#include "lib/common/error-internal.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Length of the "[...]" class at p (pn bytes left), or 0 when p does not start a class. */
static size_t class_len(const char *p, size_t pn)
{
	if (*p != '[' || pn < 3)
		return 0;
	const char *close = memchr(p + 2, ']', pn - 2); /* "[]...]" holds a literal "]" first */
	return close ? (size_t)(close - p) + 1 : 0;
}

static bool class_matches(const char *p, size_t len, char c)
{
	char class[CNB_APP_PATTERN_MAX + 1], ch[2] = { c, 0 };
	memcpy(class, p, len);
	class[len] = '\0';
	return fnmatch(class, ch, 0) == 0;
}

/* Width of the pattern element at p (a class, an escaped byte, or one byte) and whether it matches c. */
static size_t element(const char *p, size_t pn, char c, bool *match)
{
	size_t len = class_len(p, pn);
	if (len) {
		*match = class_matches(p, len, c);
		return len;
	}
	if (*p == '\\' && pn > 1) {
		*match = p[1] == c;
		return 2;
	}
	*match = *p == '?' || *p == c;
	return 1;
}

/*
 * One segment (no "/" in either): `*` runs of any length are one star. Iterative two-pointer
 * matching: on a mismatch only the last star is retried one byte further, so the work is at most
 * pattern length × name length, never exponential (a recursive matcher takes 2^stars steps on
 * "*a*a*a...b").
 */
static bool segment_matches(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;
	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			while (pi < pn && p[pi] == '*')
				pi++;
			star_p = pi, star_s = si;
			continue;
		}
		bool match = false;
		size_t w = pi < pn ? element(p + pi, pn - pi, s[si], &match) : 0;
		if (match) {
			pi += w, si++;
			continue;
		}
		if (star_p == SIZE_MAX)
			return false;
		pi = star_p, si = ++star_s;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/* The next "/"-separated piece of [*at, end), advancing *at past it and its slash. */
static size_t next_segment(const char **at, const char *end, const char **seg)
{
	*seg = *at;
	const char *slash = memchr(*at, '/', (size_t)(end - *at));
	size_t len = (size_t)((slash ? slash : end) - *at);
	*at = slash ? slash + 1 : end;
	return len;
}

static bool is_double_star(const char *seg, size_t len)
{
	return len == 2 && seg[0] == '*' && seg[1] == '*';
}

/*
 * Segment by segment, with a whole-segment `**` as the star over segments (zero or more path
 * segments): the same two-pointer scheme one level up, so `**` costs linear retries, not
 * recursion. A `**` inside a segment ("a**b") is a plain star, as in gitignore.
 */
static bool glob(const char *p, size_t pn, const char *s, size_t sn)
{
	const char *pend = p + pn, *send = s + sn;
	const char *pat = p, *str = s, *star_pat = NULL, *star_str = NULL;
	while (str < send) {
		const char *pseg = NULL, *sseg, *pat_next = pat, *str_next = str;
		size_t plen = pat < pend ? next_segment(&pat_next, pend, &pseg) : 0;
		if (pseg && is_double_star(pseg, plen)) {
			star_pat = pat = pat_next, star_str = str;
			continue;
		}
		size_t slen = next_segment(&str_next, send, &sseg);
		if (pseg && segment_matches(pseg, plen, sseg, slen)) {
			pat = pat_next, str = str_next;
			continue;
		}
		if (!star_pat)
			return false;
		next_segment(&star_str, send, &sseg); /* the star takes one more segment */
		pat = star_pat, str = star_str;
	}
	while (pat < pend) {
		const char *pseg;
		size_t plen = next_segment(&pat, pend, &pseg);
		if (!is_double_star(pseg, plen))
			return false;
	}
	return true;
}

bool cnb__platform_app_pattern_matches(const char *pattern, const char *path, bool is_dir)
{
	size_t pn = strnlen(pattern, CNB_APP_PATTERN_MAX + 1);
	if (pn > CNB_APP_PATTERN_MAX)
		return false;
	bool dir_only = pn && pattern[pn - 1] == '/';
	if (dir_only)
		pn--;
	bool anchored = pattern[0] == '/' || memchr(pattern, '/', pn) != NULL;
	if (pattern[0] == '/')
		pattern++, pn--;
	if (!pn || (dir_only && !is_dir))
		return false;
	if (anchored)
		return glob(pattern, pn, path, strlen(path));
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return segment_matches(pattern, pn, base, strlen(base));
}

static int check_list(char *const *list, const char *key, cnb_error **err)
{
	size_t n = 0;
	for (char *const *p = list; p && *p; p++, n++) {
		if (n >= CNB_APP_PATTERNS_MAX)
			return cnb__error_set(err, CNB_EINVAL, "project.toml: more than %d %s patterns: combine them",
					      CNB_APP_PATTERNS_MAX, key);
		if (strlen(*p) > CNB_APP_PATTERN_MAX)
			return cnb__error_set(err, CNB_EINVAL,
					      "project.toml: %s pattern %zu is %zu bytes long (at most %d): shorten it",
					      key, n + 1, strlen(*p), CNB_APP_PATTERN_MAX);
	}
	return 0;
}

int cnb__platform_app_filter_check(const cnb__platform_app_filter *f, cnb_error **err)
{
	int r = check_list(f->include, "include", err);
	return r < 0 ? r : check_list(f->exclude, "exclude", err);
}

/* The last pattern of `list` that matches `path` or one of its parent directories decides. */
static int decide(char *const *list, const char *path, bool is_dir)
{
	int verdict = 0; /* 0 no match, 1 matched, -1 matched by a negation */
	size_t len = strlen(path);
	char *buf = malloc(len + 1);
	if (!buf)
		return 0;
	for (char *const *p = list; *p; p++) {
		bool negate = (*p)[0] == '!';
		const char *pattern = *p + negate;
		memcpy(buf, path, len + 1);
		bool matched = cnb__platform_app_pattern_matches(pattern, buf, is_dir);
		for (char *slash = strrchr(buf, '/'); !matched && slash; slash = strrchr(buf, '/')) {
			*slash = '\0';
			matched = cnb__platform_app_pattern_matches(pattern, buf, true);
		}
		if (matched)
			verdict = negate ? -1 : 1;
	}
	free(buf);
	return verdict;
}

bool cnb__platform_app_filter_keep(const cnb__platform_app_filter *f, const char *path, bool is_dir)
{
	if (f->include && *f->include)
		return is_dir || decide(f->include, path, is_dir) == 1;
	if (f->exclude && *f->exclude)
		return decide(f->exclude, path, is_dir) != 1;
	return true;
}
