/*
 * Go's path/filepath.Match on Linux, for app slices (buildpack.md "Slice Layers"; lifecycle layers/slices.go uses
 * filepath.Glob): `*` matches any run of non-`/` bytes, `?` one non-`/` character, `[...]` a
 * character class (`^` negates, `a-z` ranges), `\` escapes the next character. Ported from Go's
 * match.go (scanChunk, matchChunk, getEsc) so buildpacks' patterns mean what they mean there.
 */
#include "export-internal.h"
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"

#include <stdlib.h>
#include <string.h>

#define RUNE_ERROR 0xFFFD

/* utf8.DecodeRuneInString: invalid or truncated input gives (RUNE_ERROR, 1). */
static size_t decode_rune(const char *s, size_t len, uint32_t *r)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xF0 && p[0] < 0xF5 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
	uint32_t c = n == 1 ? p[0] : n == 2 ? p[0] & 0x1F : n == 3 ? p[0] & 0x0F : p[0] & 0x07;
	if (n == 0 || n > len) {
		*r = p[0] < 0x80 ? p[0] : RUNE_ERROR;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*r = RUNE_ERROR;
			return 1;
		}
		c = (c << 6) | (p[i] & 0x3F);
	}
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		*r = RUNE_ERROR;
		return 1;
	}
	*r = c;
	return n;
}

typedef struct span {
	const char *p;
	size_t len;
} span;

static void advance(span *s, size_t n)
{
	s->p += n;
	s->len -= n;
}

/* One rune of a character class, `\` escapes allowed. -1 for a malformed class. */
static int get_esc(span *chunk, uint32_t *r)
{
	if (!chunk->len || chunk->p[0] == '-' || chunk->p[0] == ']')
		return -1;
	if (chunk->p[0] == '\\') {
		advance(chunk, 1);
		if (!chunk->len)
			return -1;
	}
	size_t n = decode_rune(chunk->p, chunk->len, r);
	int bad = *r == RUNE_ERROR && n == 1;
	advance(chunk, n);
	return bad || !chunk->len ? -1 : 0;
}

/* Splits off the leading stars and the chunk up to the next `*` outside a class. */
static bool scan_chunk(span *pattern, span *chunk)
{
	bool star = false;
	while (pattern->len && pattern->p[0] == '*') {
		advance(pattern, 1);
		star = true;
	}
	bool inrange = false;
	size_t i;
	for (i = 0; i < pattern->len; i++) {
		char c = pattern->p[i];
		if (c == '\\') {
			if (i + 1 < pattern->len)
				i++;
		} else if (c == '[') {
			inrange = true;
		} else if (c == ']') {
			inrange = false;
		} else if (c == '*' && !inrange) {
			break;
		}
	}
	*chunk = (span){ pattern->p, i };
	advance(pattern, i);
	return star;
}

/*
 * Matches `chunk` at the start of `s`: 1 and *rest = the unmatched tail, 0 for no match, -1 for a
 * malformed chunk. After a mismatch the rest of the chunk is still checked for syntax, as Go does.
 */
static int match_chunk(span chunk, span s, span *rest)
{
	bool failed = false;
	while (chunk.len) {
		if (!failed && !s.len)
			failed = true;
		char c = chunk.p[0];
		if (c == '[') {
			uint32_t r = 0;
			if (!failed)
				advance(&s, decode_rune(s.p, s.len, &r));
			advance(&chunk, 1);
			bool negated = false, match = false;
			if (chunk.len && chunk.p[0] == '^') {
				negated = true;
				advance(&chunk, 1);
			}
			for (int nrange = 0;; nrange++) {
				if (chunk.len && chunk.p[0] == ']' && nrange > 0) {
					advance(&chunk, 1);
					break;
				}
				uint32_t lo, hi;
				if (get_esc(&chunk, &lo) < 0)
					return -1;
				hi = lo;
				if (chunk.p[0] == '-') {
					advance(&chunk, 1);
					if (get_esc(&chunk, &hi) < 0)
						return -1;
				}
				if (lo <= r && r <= hi)
					match = true;
			}
			if (match == negated)
				failed = true;
			continue;
		}
		if (c == '?') {
			if (!failed) {
				uint32_t r;
				if (s.p[0] == '/')
					failed = true;
				advance(&s, decode_rune(s.p, s.len, &r));
			}
			advance(&chunk, 1);
			continue;
		}
		if (c == '\\') {
			advance(&chunk, 1);
			if (!chunk.len)
				return -1;
		}
		if (!failed) {
			if (chunk.p[0] != s.p[0])
				failed = true;
			advance(&s, 1);
		}
		advance(&chunk, 1);
	}
	if (failed)
		return 0;
	*rest = s;
	return 1;
}

int cnb__lifecycle_export_glob_match(const char *pattern_text, const char *name_text)
{
	span pattern = { pattern_text, strlen(pattern_text) }, name = { name_text, strlen(name_text) };
	while (pattern.len) {
		span chunk, rest;
		bool star = scan_chunk(&pattern, &chunk);
		if (star && !chunk.len)
			return memchr(name.p, '/', name.len) == NULL;
		int r = match_chunk(chunk, name, &rest);
		if (r == 1 && (!rest.len || pattern.len)) {
			name = rest;
			continue;
		}
		if (r < 0)
			return -1;
		bool found = false;
		if (star) {
			for (size_t i = 0; i < name.len && name.p[i] != '/'; i++) {
				span tail = { name.p + i + 1, name.len - i - 1 };
				r = match_chunk(chunk, tail, &rest);
				if (r == 1) {
					if (!pattern.len && rest.len)
						continue;
					name = rest;
					found = true;
					break;
				}
				if (r < 0)
					return -1;
			}
		}
		if (found)
			continue;
		while (pattern.len) {
			scan_chunk(&pattern, &chunk);
			if (match_chunk(chunk, (span){ "", 0 }, &rest) < 0)
				return -1;
		}
		return 0;
	}
	return name.len == 0;
}

char *cnb__lifecycle_export_path_clean(const char *path)
{
	size_t cap = 1;
	for (const char *p = path; *p; p++)
		cap += *p == '/';
	_cleanup_free_ span *elems = calloc(cap, sizeof(span));
	if (!elems)
		return NULL;
	bool rooted = path[0] == '/';
	size_t n = 0;
	for (const char *p = path; *p;) {
		const char *end = strchrnul(p, '/');
		span e = { p, (size_t)(end - p) };
		p = *end ? end + 1 : end;
		if (e.len == 0 || (e.len == 1 && e.p[0] == '.'))
			continue;
		bool dotdot = e.len == 2 && e.p[0] == '.' && e.p[1] == '.';
		if (dotdot && n && !(elems[n - 1].len == 2 && !memcmp(elems[n - 1].p, "..", 2)))
			n--;
		else if (!dotdot || !rooted)
			elems[n++] = e; /* a leading ".." of a relative path stays; "/.." is "/" */
	}
	_cleanup_buf_ cnb__buf out = CNB_BUF_INIT;
	if (rooted && cnb__buf_puts(&out, "/") < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((i && cnb__buf_puts(&out, "/") < 0) || cnb__buf_append(&out, elems[i].p, elems[i].len) < 0)
			return NULL;
	if (!out.len && cnb__buf_puts(&out, ".") < 0)
		return NULL;
	return cnb__buf_steal(&out);
}
