/*
 * TOML 1.0 parser: text to a cnb_toml tree. Input is untrusted (buildpacks write it), so it is
 * bounded in size, nesting depth and number of values, and errors say "<name>:<line>:<col>: <what>".
 * Recursion only follows value nesting (arrays, inline tables) and is cut at CNB_TOML_MAX_DEPTH.
 */
#include "lib/toml/toml-internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

struct parser {
	const char *start, *p, *end;
	const char *name;
	size_t values;
	cnb_error **err;
};

struct key_part {
	char *s;
	size_t len;
	const char *at; /* where the part starts in the input, for errors */
};

/* A possibly dotted key: a.b."c.d" */
struct key_path {
	struct key_part *parts;
	size_t n;
};

static void key_path_clear(struct key_path *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->parts[i].s);
	free(k->parts);
}

static int fail_atv(struct parser *ps, const char *at, int code, const char *fmt, va_list ap)
{
	size_t line = 1, col = 1;
	for (const char *c = ps->start; c < at && c < ps->end; c++) {
		if (*c == '\n')
			line++, col = 1;
		else if (((unsigned char)*c & 0xc0) != 0x80) /* columns count characters, not bytes */
			col++;
	}
	_cleanup_buf_ cnb__buf what = CNB_BUF_INIT;
	int r = cnb__buf_vprintf(&what, fmt, ap);
	return cnb__error_set(ps->err, code, "%s:%zu:%zu: %s", ps->name, line, col, r < 0 ? "out of memory" : what.data);
}

static int fail_at(struct parser *ps, const char *at, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(struct parser *ps, const char *at, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = fail_atv(ps, at, code, fmt, ap);
	va_end(ap);
	return r;
}

/* A syntax error at the current position. */
static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = fail_atv(ps, ps->p, CNB_EPARSE, fmt, ap);
	va_end(ap);
	return r;
}

/* The character at ps->p for a message: printable ASCII as is, never half of a UTF-8 sequence. */
static const char *found(const struct parser *ps, char text[8])
{
	if (ps->p >= ps->end)
		return "the end of input";
	unsigned char c = (unsigned char)*ps->p;
	if (c >= 0x80)
		return "a non-ASCII character";
	snprintf(text, 8, c > 0x20 && c < 0x7f ? "'%c'" : "U+%04X", c);
	return text;
}

static int oom(struct parser *ps) { return cnb__error_set(ps->err, CNB_ENOMEM, "%s: out of memory", ps->name); }

/*
 * Every new value goes through here, so a document of tiny values cannot exhaust memory.
 * *out = v, or NULL with v freed on failure.
 */
static int count_value(struct parser *ps, cnb_toml **out, cnb_toml *v, const char *at)
{
	*out = NULL;
	if (!v)
		return oom(ps);
	if (++ps->values > CNB_TOML_MAX_VALUES) {
		cnb__toml_free(v);
		return fail_at(ps, at, CNB_EUNSAFE, "more than %u values", CNB_TOML_MAX_VALUES);
	}
	*out = v;
	return 0;
}

static int check_depth(struct parser *ps, size_t depth, const char *at)
{
	if (depth > CNB_TOML_MAX_DEPTH)
		return fail_at(ps, at, CNB_EUNSAFE, "tables and arrays nested deeper than %d", CNB_TOML_MAX_DEPTH);
	return 0;
}

/* At the '[' or '{' opening an inline array or table that will sit at `depth`. */
static int open_container(struct parser *ps, size_t depth, cnb_toml **out, cnb_toml *fresh)
{
	const char *open = ps->p;
	int r = check_depth(ps, depth, open);
	if (r < 0) {
		cnb__toml_free(fresh);
		return r;
	}
	if ((r = count_value(ps, out, fresh, open)) < 0)
		return r;
	ps->p++;
	return 0;
}

static int peek(const struct parser *ps) { return ps->p < ps->end ? (unsigned char)*ps->p : -1; }

static bool at_newline(const struct parser *ps)
{
	return ps->p < ps->end && (*ps->p == '\n' || (*ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n'));
}

static void skip_newline(struct parser *ps) { ps->p += *ps->p == '\r' ? 2 : 1; }

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

/* check_text has made sure a comment holds no control character, so it ends at the newline. */
static void skip_comment(struct parser *ps)
{
	if (peek(ps) != '#')
		return;
	while (ps->p < ps->end && *ps->p != '\n' && *ps->p != '\r')
		ps->p++;
}

/* Whitespace, comments and newlines: what may sit between array elements. */
static void skip_blank(struct parser *ps)
{
	for (;;) {
		skip_ws(ps);
		skip_comment(ps);
		if (!at_newline(ps))
			return;
		skip_newline(ps);
	}
}

static int expect_line_end(struct parser *ps)
{
	skip_ws(ps);
	skip_comment(ps);
	if (ps->p == ps->end)
		return 0;
	if (!at_newline(ps))
		return fail(ps, "expected a newline, found %s", found(ps, (char[8]){ 0 }));
	skip_newline(ps);
	return 0;
}

/*
 * TOML forbids invalid UTF-8 everywhere and control characters everywhere except tab (and
 * newlines between tokens), including in strings and comments: checking once up front keeps
 * the rest of the parser free of these checks.
 */
static int check_text(struct parser *ps)
{
	for (const char *c = ps->start; c < ps->end;) {
		unsigned char b = (unsigned char)*c;
		if (b >= 0x80) {
			uint32_t cp;
			size_t n = cnb__toml_utf8_decode(c, (size_t)(ps->end - c), &cp);
			if (!n)
				return fail_at(ps, c, CNB_EPARSE, "invalid UTF-8");
			c += n;
		} else if (b == '\r' && c + 1 < ps->end && c[1] == '\n') {
			c += 2;
		} else if ((b < 0x20 && b != '\t' && b != '\n') || b == 0x7f) {
			return fail_at(ps, c, CNB_EPARSE, "control character U+%04X is not allowed", b);
		} else {
			c++;
		}
	}
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* After a backslash in a multi-line basic string: whitespace up to a newline, then all blank space is trimmed. */
static bool skip_line_ending_backslash(struct parser *ps)
{
	const char *save = ps->p;
	skip_ws(ps);
	if (!at_newline(ps)) {
		ps->p = save;
		return false;
	}
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || at_newline(ps)))
		ps->p += at_newline(ps) && *ps->p == '\r' ? 2 : 1;
	return true;
}

/* At the character after a backslash in a basic string. */
static int parse_escape(struct parser *ps, bool multiline, cnb__buf *b)
{
	const char *backslash = ps->p - 1;
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	int c = peek(ps);
	const char *simple = c > 0 ? strchr(from, c) : NULL;
	if (simple) {
		ps->p++;
		return cnb__buf_append(b, &to[simple - from], 1) < 0 ? oom(ps) : 0;
	}
	if (c == 'u' || c == 'U') {
		size_t n = c == 'u' ? 4 : 8;
		uint32_t cp = 0;
		ps->p++;
		for (size_t i = 0; i < n; i++, ps->p++) {
			int h = ps->p < ps->end ? hex_value(*ps->p) : -1;
			if (h < 0)
				return fail_at(ps, backslash, CNB_EPARSE, "\\%c needs %zu hex digits", c, n);
			cp = cp << 4 | (uint32_t)h;
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return fail_at(ps, backslash, CNB_EPARSE, "\\%c%0*X is not a Unicode scalar value", c, (int)n, cp);
		char utf8[4];
		return cnb__buf_append(b, utf8, cnb__toml_utf8_encode(cp, utf8)) < 0 ? oom(ps) : 0;
	}
	if (multiline && skip_line_ending_backslash(ps))
		return 0;
	return fail_at(ps, backslash, CNB_EPARSE, "invalid escape sequence");
}

/* Any of the four string forms at ps->p; keys allow only the single-line ones. */
static int parse_string(struct parser *ps, bool allow_multiline, char **out, size_t *out_len)
{
	_cleanup_buf_ cnb__buf b = CNB_BUF_INIT;
	const char *open = ps->p;
	char quote = *ps->p;
	bool literal = quote == '\'';
	bool multiline = allow_multiline && ps->end - ps->p >= 3 && ps->p[1] == quote && ps->p[2] == quote;
	int r;

	ps->p += multiline ? 3 : 1;
	if (multiline && at_newline(ps)) /* a newline right after the opening delimiter is trimmed */
		skip_newline(ps);
	for (;;) {
		if (ps->p >= ps->end)
			return fail_at(ps, open, CNB_EPARSE, "unterminated string");
		char c = *ps->p;
		if (c == quote) {
			size_t run = 1;
			if (!multiline) {
				ps->p++;
				break;
			}
			while (ps->p + run < ps->end && ps->p[run] == quote)
				run++;
			/* Up to two quotes may sit right before the closing delimiter: """a""""" is a"". */
			if (run > 5)
				return fail(ps, "too many quotes in a row in a multi-line string");
			size_t keep = run >= 3 ? run - 3 : run;
			if (cnb__buf_append(&b, ps->p, keep) < 0)
				return oom(ps);
			ps->p += run;
			if (run >= 3)
				break;
			continue;
		}
		if (c == '\n' || c == '\r') {
			if (!multiline)
				return fail(ps, "newline in a single-line string");
			/* Newlines are normalized to LF (the spec lets parsers pick the platform's). */
			skip_newline(ps);
			if (cnb__buf_append(&b, "\n", 1) < 0)
				return oom(ps);
			continue;
		}
		if (c == '\\' && !literal) {
			ps->p++;
			if ((r = parse_escape(ps, multiline, &b)) < 0)
				return r;
			continue;
		}
		const char *run_start = ps->p;
		while (ps->p < ps->end && *ps->p != quote && *ps->p != '\n' && *ps->p != '\r' &&
		       (literal || *ps->p != '\\'))
			ps->p++;
		if (cnb__buf_append(&b, run_start, (size_t)(ps->p - run_start)) < 0)
			return oom(ps);
	}
	*out_len = b.len;
	*out = cnb__buf_steal(&b);
	return *out ? 0 : oom(ps);
}

static bool is_bare_key_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int parse_key(struct parser *ps, struct key_path *k)
{
	for (;;) {
		/* Deeper keys could not be stored anyway: refuse before allocating for them. */
		if (k->n == CNB_TOML_MAX_DEPTH + 1)
			return fail_at(ps, ps->p, CNB_EUNSAFE, "key with more than %d parts", CNB_TOML_MAX_DEPTH + 1);
		if (!(k->n & (k->n - 1))) { /* grow at powers of two */
			struct key_part *parts = reallocarray(k->parts, k->n ? k->n * 2 : 1, sizeof(*parts));
			if (!parts)
				return oom(ps);
			k->parts = parts;
		}
		struct key_part *part = &k->parts[k->n];
		*part = (struct key_part){ .at = ps->p };
		int c = peek(ps);
		if (c == '"' || c == '\'') {
			int r = parse_string(ps, false, &part->s, &part->len);
			if (r < 0)
				return r;
		} else {
			while (is_bare_key_char(peek(ps)))
				ps->p++;
			part->len = (size_t)(ps->p - part->at);
			if (part->len == 0)
				return fail(ps, "expected a key, found %s", found(ps, (char[8]){ 0 }));
			if (!(part->s = strndup(part->at, part->len)))
				return oom(ps);
		}
		k->n++;
		skip_ws(ps);
		if (peek(ps) != '.')
			return 0;
		ps->p++;
		skip_ws(ps);
	}
}

static int parse_value(struct parser *ps, size_t depth, cnb_toml **out);

/*
 * table[key] = value for a possibly dotted key. Dotted keys create tables, or extend ones that
 * dotted keys created; never tables defined by a [header] (toml-lang/toml#846) nor inline tables.
 */
static int assign(struct parser *ps, cnb_toml *table, size_t depth, struct key_path *k, cnb_toml *value)
{
	_cleanup_toml_ cnb_toml *v = value;
	for (size_t i = 0; i + 1 < k->n; i++) {
		struct key_part *part = &k->parts[i];
		cnb_toml *child = cnb__toml_table_find(table, part->s, part->len);
		int r;
		if (!child) {
			if ((r = check_depth(ps, depth + i + 1, part->at)) < 0)
				return r;
			if ((r = count_value(ps, &child, cnb__toml_new_table(), part->at)) < 0)
				return r;
			if (cnb__toml_table_append(table, TAKE_PTR(part->s), part->len, child) < 0)
				return oom(ps);
		} else if (child->type != CNB_TOML_TABLE || (child->flags & (CNB__TOML_DEFINED | CNB__TOML_FROZEN))) {
			return fail_at(ps, part->at, CNB_EPARSE, "cannot add keys to \"%.*s\" with a dotted key: already defined",
				       (int)(part->len > 64 ? 64 : part->len), part->s);
		}
		child->flags = (child->flags & ~CNB__TOML_IMPLICIT) | CNB__TOML_DOTTED;
		table = child;
	}
	struct key_part *last = &k->parts[k->n - 1];
	if (cnb__toml_table_find(table, last->s, last->len))
		return fail_at(ps, last->at, CNB_EPARSE, "duplicate key \"%.*s\"",
			       (int)(last->len > 64 ? 64 : last->len), last->s);
	if (cnb__toml_table_append(table, TAKE_PTR(last->s), last->len, TAKE_PTR(v)) < 0)
		return oom(ps);
	return 0;
}

/* key = value, into `table` which sits at `depth`. */
static int parse_keyval(struct parser *ps, cnb_toml *table, size_t depth)
{
	_cleanup_(key_path_clear) struct key_path k = { 0 };
	cnb_toml *value;
	int r;
	if ((r = parse_key(ps, &k)) < 0)
		return r;
	if (peek(ps) != '=')
		return fail(ps, "expected '=' after a key");
	ps->p++;
	skip_ws(ps);
	if ((r = parse_value(ps, depth + k.n, &value)) < 0)
		return r;
	return assign(ps, table, depth, &k, value);
}

static void freeze(cnb_toml *t)
{
	t->flags |= CNB__TOML_FROZEN;
	for (size_t i = 0; i < t->u.table.len; i++) {
		cnb_toml *v = t->u.table.entries[i].value;
		if (v->type == CNB_TOML_TABLE && !(v->flags & CNB__TOML_FROZEN))
			freeze(v);
	}
}

/* What follows an element of an inline table or an array: 1 at ',' (another element), 0 at `close`
 * (the end; both are consumed), else a parse error naming `what`. */
static int after_element(struct parser *ps, char close, const char *what)
{
	int c = peek(ps);
	if (c != ',' && c != close)
		return fail(ps, "expected ',' or '%c' in %s", close, what);
	ps->p++;
	return c == ',';
}

/* { k = v, ... }: one line, no trailing comma (TOML 1.0), immutable once closed. */
static int parse_inline_table(struct parser *ps, size_t depth, cnb_toml **out)
{
	_cleanup_toml_ cnb_toml *t = NULL;
	int r = open_container(ps, depth, &t, cnb__toml_new_table());
	if (r < 0)
		return r;
	skip_ws(ps);
	if (peek(ps) == '}') {
		ps->p++;
	} else {
		do {
			skip_ws(ps);
			if ((r = parse_keyval(ps, t, depth)) < 0)
				return r;
			skip_ws(ps);
		} while ((r = after_element(ps, '}', "an inline table")) > 0);
		if (r < 0)
			return r;
	}
	freeze(t);
	*out = TAKE_PTR(t);
	return 0;
}

static int parse_array(struct parser *ps, size_t depth, cnb_toml **out)
{
	_cleanup_toml_ cnb_toml *a = NULL;
	int r = open_container(ps, depth, &a, cnb__toml_new_array());
	if (r < 0)
		return r;
	for (;;) {
		skip_blank(ps);
		if (peek(ps) == ']') {
			ps->p++;
			break;
		}
		cnb_toml *v;
		if ((r = parse_value(ps, depth + 1, &v)) < 0)
			return r;
		if (cnb__toml_push(a, v) < 0)
			return oom(ps);
		skip_blank(ps);
		if ((r = after_element(ps, ']', "an array")) < 0)
			return r;
		if (r == 0)
			break;
	}
	*out = TAKE_PTR(a);
	return 0;
}

static int digit_value(char c, int base)
{
	int v = hex_value(c);
	return v >= 0 && v < base ? v : -1;
}

/* Digits of `base` with single underscores between them: the length, or 0 when malformed. */
static size_t digit_run(const char *s, size_t n, int base)
{
	size_t i = 0;
	bool prev_digit = false;
	for (; i < n; i++) {
		if (s[i] == '_') {
			if (!prev_digit || i + 1 >= n || digit_value(s[i + 1], base) < 0)
				return 0;
			prev_digit = false;
			continue;
		}
		if (digit_value(s[i], base) < 0)
			break;
		prev_digit = true;
	}
	return prev_digit ? i : 0;
}

static int parse_integer(struct parser *ps, const char *s, size_t n, cnb_toml **out)
{
	size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
	bool negative = s[0] == '-';
	int base = 10;
	if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
		if (i)
			return fail(ps, "a sign is not allowed on hexadecimal, octal or binary integers");
		base = s[i + 1] == 'x' ? 16 : s[i + 1] == 'o' ? 8 : 2;
		i += 2;
	}
	size_t run = digit_run(s + i, n - i, base);
	if (!run || i + run != n)
		return fail(ps, "invalid integer");
	if (base == 10 && s[i] == '0' && run > 1)
		return fail(ps, "leading zeros are not allowed");
	uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, mag = 0;
	for (; i < n; i++) {
		if (s[i] == '_')
			continue;
		uint64_t d = (uint64_t)digit_value(s[i], base);
		if (mag > (limit - d) / (uint64_t)base)
			return fail(ps, "integer does not fit in 64 bits");
		mag = mag * (uint64_t)base + d;
	}
	int64_t value = negative ? (int64_t)(0 - mag) : (int64_t)mag;
	return count_value(ps, out, cnb__toml_new_int(value), s);
}

static int parse_float(struct parser *ps, const char *s, size_t n, cnb_toml **out)
{
	size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
	double value;
	if (n - i == 3 && (!memcmp(s + i, "inf", 3) || !memcmp(s + i, "nan", 3))) {
		value = s[i] == 'i' ? __builtin_inf() : __builtin_nan("");
		if (s[0] == '-')
			value = -value;
	} else {
		size_t run = digit_run(s + i, n - i, 10);
		if (!run)
			return fail(ps, "invalid float");
		if (s[i] == '0' && run > 1)
			return fail(ps, "leading zeros are not allowed");
		i += run;
		if (i < n && s[i] == '.') {
			if (!(run = digit_run(s + i + 1, n - i - 1, 10)))
				return fail(ps, "a decimal point must be followed by digits");
			i += 1 + run;
		}
		if (i < n && (s[i] == 'e' || s[i] == 'E')) {
			i++;
			if (i < n && (s[i] == '+' || s[i] == '-'))
				i++;
			if (!(run = digit_run(s + i, n - i, 10)))
				return fail(ps, "an exponent must have digits");
			i += run;
		}
		if (i != n)
			return fail(ps, "invalid float");
		_cleanup_free_ char *digits = malloc(n + 1);
		if (!digits)
			return oom(ps);
		size_t len = 0;
		for (size_t j = 0; j < n; j++)
			if (s[j] != '_')
				digits[len++] = s[j];
		digits[len] = '\0';
		value = strtod(digits, NULL);
	}
	return count_value(ps, out, cnb__toml_new_float(value), s);
}

static bool is_number_char(int c)
{
	return is_bare_key_char(c) || c == '+' || c == '.';
}

/* Integers, floats and date/times all start like numbers; the shape of the token decides. */
static int parse_number_or_datetime(struct parser *ps, cnb_toml **out)
{
	const char *s = ps->p;
	cnb_toml_type type;
	size_t len;
	const char *why;
	int r = cnb__toml_datetime_scan(s, (size_t)(ps->end - s), &type, &len, &why);
	if (r < 0)
		return fail(ps, "invalid date/time: %s", why);
	if (r == 0) {
		_cleanup_free_ char *text = strndup(s, len);
		if (!text)
			return oom(ps);
		ps->p += len;
		return count_value(ps, out, cnb__toml_new_datetime(type, text), s);
	}
	while (is_number_char(peek(ps)))
		ps->p++;
	size_t n = (size_t)(ps->p - s);
	ps->p = s; /* errors point at the start of the token */
	if (n == 0)
		return peek(ps) < 0 ? fail(ps, "expected a value, found the end of input") : fail(ps, "expected a value");
	size_t sign = (s[0] == '+' || s[0] == '-') ? 1 : 0;
	bool radix = n - sign >= 2 && s[sign] == '0' && (s[sign + 1] == 'x' || s[sign + 1] == 'o' || s[sign + 1] == 'b');
	bool is_float = !radix && (memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n) ||
				   (n - sign == 3 && (!memcmp(s + sign, "inf", 3) || !memcmp(s + sign, "nan", 3))));
	r = is_float ? parse_float(ps, s, n, out) : parse_integer(ps, s, n, out);
	if (r == 0)
		ps->p = s + n;
	return r;
}

static bool skip_word(struct parser *ps, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) || is_bare_key_char(n < (size_t)(ps->end - ps->p) ? ps->p[n] : 0))
		return false;
	ps->p += n;
	return true;
}

/* A value at ps->p; `depth` is where it sits in the tree (containers deeper than the limit are refused). */
static int parse_value(struct parser *ps, size_t depth, cnb_toml **out)
{
	const char *at = ps->p;
	int c = peek(ps);
	*out = NULL;
	if (c == '"' || c == '\'') {
		_cleanup_free_ char *s = NULL;
		size_t len;
		int r = parse_string(ps, true, &s, &len);
		if (r < 0)
			return r;
		return count_value(ps, out, cnb__toml_new_string_n(s, len), at);
	}
	if (c == '[')
		return parse_array(ps, depth, out);
	if (c == '{')
		return parse_inline_table(ps, depth, out);
	if (c == 't' || c == 'f') {
		if (!skip_word(ps, c == 't' ? "true" : "false"))
			return fail(ps, "invalid value (booleans are lowercase true and false)");
		return count_value(ps, out, cnb__toml_new_bool(c == 't'), at);
	}
	return parse_number_or_datetime(ps, out);
}

/* A table named by `part` that a header needs and `t` lacks, added `depth` deep with `flags`; an
 * array (of tables) when `flags` has CNB__TOML_AOT. */
static int add_header_part(struct parser *ps, cnb_toml *t, struct key_part *part, size_t depth, unsigned int flags,
			   cnb_toml **out)
{
	bool aot = flags & CNB__TOML_AOT;
	int r = check_depth(ps, depth, part->at);
	if (r < 0 || (r = count_value(ps, out, aot ? cnb__toml_new_array() : cnb__toml_new_table(), part->at)) < 0)
		return r;
	(*out)->flags = flags;
	if (cnb__toml_table_append(t, TAKE_PTR(part->s), part->len, *out) < 0)
		return oom(ps);
	return 0;
}

static int header_name_error(struct parser *ps, const struct key_part *part, const char *what)
{
	return fail_at(ps, part->at, CNB_EPARSE, "\"%.*s\" %s", (int)(part->len > 64 ? 64 : part->len), part->s, what);
}

/*
 * [a.b] or [[a.b]]: finds or creates the table that the following key/values fill. Parents are
 * created implicitly; a table may be defined once, an array of tables appended to by [[ ]] only.
 */
static int parse_header(struct parser *ps, cnb_toml *root, cnb_toml **current, size_t *current_depth)
{
	_cleanup_(key_path_clear) struct key_path k = { 0 };
	bool aot = ps->p + 1 < ps->end && ps->p[1] == '[';
	int r;
	ps->p += aot ? 2 : 1;
	skip_ws(ps);
	if ((r = parse_key(ps, &k)) < 0)
		return r;
	if (peek(ps) != ']' || (aot && (ps->p + 1 >= ps->end || ps->p[1] != ']')))
		return fail(ps, aot ? "expected ']]' to close the array of tables header" : "expected ']' to close the table header");
	ps->p += aot ? 2 : 1;

	cnb_toml *t = root;
	size_t depth = 0;
	for (size_t i = 0; i + 1 < k.n; i++) {
		struct key_part *part = &k.parts[i];
		cnb_toml *child = cnb__toml_table_find(t, part->s, part->len);
		if (!child) {
			if ((r = add_header_part(ps, t, part, depth + 1, CNB__TOML_IMPLICIT, &child)) < 0)
				return r;
			depth++;
		} else if (child->type == CNB_TOML_TABLE && !(child->flags & CNB__TOML_FROZEN)) {
			depth++;
		} else if (child->type == CNB_TOML_ARRAY && (child->flags & CNB__TOML_AOT)) {
			child = child->u.array.items[child->u.array.len - 1]; /* [a.b] after [[a]]: the last a */
			depth += 2;
		} else {
			return header_name_error(ps, part, "is not a table");
		}
		t = child;
	}

	struct key_part *last = &k.parts[k.n - 1];
	cnb_toml *child = cnb__toml_table_find(t, last->s, last->len);
	if (!aot) {
		if (!child) {
			if ((r = add_header_part(ps, t, last, depth + 1, 0, &child)) < 0)
				return r;
		} else if (child->type != CNB_TOML_TABLE ||
			   (child->flags & (CNB__TOML_DEFINED | CNB__TOML_DOTTED | CNB__TOML_FROZEN))) {
			return header_name_error(ps, last, "is already defined");
		}
		child->flags = CNB__TOML_DEFINED;
		*current = child;
		*current_depth = depth + 1;
		return expect_line_end(ps);
	}

	if (!child) {
		if ((r = add_header_part(ps, t, last, depth + 2, CNB__TOML_AOT, &child)) < 0)
			return r;
	} else if (child->type != CNB_TOML_ARRAY || !(child->flags & CNB__TOML_AOT)) {
		return header_name_error(ps, last, "is already defined and not an array of tables");
	}
	cnb_toml *element;
	if ((r = count_value(ps, &element, cnb__toml_new_table(), last->at)) < 0)
		return r;
	element->flags = CNB__TOML_DEFINED;
	if (cnb__toml_push(child, element) < 0)
		return oom(ps);
	*current = element;
	*current_depth = depth + 2;
	return expect_line_end(ps);
}

static int parse_document(struct parser *ps, cnb_toml *root)
{
	cnb_toml *current = root;
	size_t depth = 0;
	int r;
	for (;;) {
		skip_ws(ps);
		skip_comment(ps);
		if (ps->p == ps->end)
			return 0;
		if (at_newline(ps)) {
			skip_newline(ps);
			continue;
		}
		if (peek(ps) == '[')
			r = parse_header(ps, root, &current, &depth);
		else if ((r = parse_keyval(ps, current, depth)) == 0)
			r = expect_line_end(ps);
		if (r < 0)
			return r;
	}
}

int cnb__toml_parse(cnb_toml **out, const char *data, size_t len, const char *name, cnb_error **err)
{
	*out = NULL;
	if (!name)
		name = "<toml>";
	if (len > CNB_TOML_MAX_INPUT)
		return cnb__error_set(err, CNB_EUNSAFE, "%s:1:1: document of %zu bytes is over the limit of %u", name, len,
				      CNB_TOML_MAX_INPUT);
	struct parser ps = { .start = data, .p = data, .end = data + len, .name = name, .err = err };
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) /* a UTF-8 byte order mark is allowed and ignored */
		ps.start = ps.p = data + 3;
	int r = check_text(&ps);
	if (r < 0)
		return r;
	_cleanup_toml_ cnb_toml *root = NULL;
	if ((r = count_value(&ps, &root, cnb__toml_new_table(), ps.p)) < 0)
		return r;
	if ((r = parse_document(&ps, root)) < 0)
		return r;
	*out = TAKE_PTR(root);
	return 0;
}

int cnb__toml_parse_file(cnb_toml **out, const char *path, cnb_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	*out = NULL;
	int r = cnb__read_file_at(AT_FDCWD, path, CNB_TOML_MAX_INPUT, &data, &len, err);
	if (r < 0)
		return r;
	return cnb__toml_parse(out, data, len, path, err);
}
