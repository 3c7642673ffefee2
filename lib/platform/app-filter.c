/* gitignore-style include/exclude for the app source. */
#include "app-filter.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Glob match of `p` (length pn) against `s` (length sn): `**` crosses "/", `*` and `?` do not. */
static bool glob(const char *p, size_t pn, const char *s, size_t sn)
{
	while (pn) {
		if (pn >= 2 && p[0] == '*' && p[1] == '*') {
			p += 2, pn -= 2;
			if (pn && *p == '/') /* "**" + "/" also matches zero directories */
				if (glob(p + 1, pn - 1, s, sn))
					return true;
			for (size_t i = 0; i <= sn; i++)
				if (glob(p, pn, s + i, sn - i))
					return true;
			return false;
		}
		if (*p == '*') {
			for (size_t i = 0; i <= sn; i++) {
				if (glob(p + 1, pn - 1, s + i, sn - i))
					return true;
				if (i < sn && s[i] == '/')
					break;
			}
			return false;
		}
		if (!sn)
			return false;
		if (*p == '?') {
			if (*s == '/')
				return false;
		} else if (*p == '[' && memchr(p + 1, ']', pn - 1)) {
			const char *close = memchr(p + 1, ']', pn - 1);
			char class[256], ch[2] = { *s, 0 };
			size_t len = (size_t)(close - p) + 1;
			if (len >= sizeof(class) || *s == '/')
				return false;
			memcpy(class, p, len);
			class[len] = '\0';
			if (fnmatch(class, ch, 0) != 0)
				return false;
			p += len - 1, pn -= len - 1;
		} else {
			if (*p == '\\' && pn > 1)
				p++, pn--;
			if (*p != *s)
				return false;
		}
		p++, pn--, s++, sn--;
	}
	return sn == 0;
}

bool cnb__app_pattern_matches(const char *pattern, const char *path, bool is_dir)
{
	size_t pn = strlen(pattern);
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
	return glob(pattern, pn, base, strlen(base));
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
		bool matched = cnb__app_pattern_matches(pattern, buf, is_dir);
		for (char *slash = strrchr(buf, '/'); !matched && slash; slash = strrchr(buf, '/')) {
			*slash = '\0';
			matched = cnb__app_pattern_matches(pattern, buf, true);
		}
		if (matched)
			verdict = negate ? -1 : 1;
	}
	free(buf);
	return verdict;
}

bool cnb__app_filter_keep(const cnb__app_filter *f, const char *path, bool is_dir)
{
	if (f->include && *f->include)
		return is_dir || decide(f->include, path, is_dir) == 1;
	if (f->exclude && *f->exclude)
		return decide(f->exclude, path, is_dir) != 1;
	return true;
}
