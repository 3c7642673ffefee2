/*
 * TOML writer: a cnb_toml tree back to text that cnb__toml_parse reads to an equal tree.
 * Layout: a table's plain values first, then its sub-tables as [a.b] sections and its arrays
 * of tables as [[a.b]] sections, each in insertion order, so output is deterministic.
 */
#include "lib/toml/toml-internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

struct writer {
	cnb__buf *out;
	size_t start; /* out->len before the document: no blank line before a first table header */
	const struct cnb__toml_entry *path[CNB_TOML_MAX_DEPTH + 1]; /* keys of the section being written */
	cnb_error **err;
};

static int oom(struct writer *w) { return cnb__error_set(w->err, CNB_ENOMEM, "toml write: out of memory"); }

static int put(struct writer *w, const char *s, size_t len)
{
	return cnb__buf_append(w->out, s, len) < 0 ? oom(w) : 0;
}

static int puts_(struct writer *w, const char *s) { return put(w, s, strlen(s)); }

/* A basic string with everything the parser refuses raw (controls, DEL, quote, backslash) escaped. */
static int put_string(struct writer *w, const char *s, size_t len)
{
	int r = puts_(w, "\"");
	for (size_t i = 0; r == 0 && i < len;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t n = cnb__toml_utf8_decode(s + i, len - i, &cp);
		if (!n)
			return cnb__error_set(w->err, CNB_EINVAL, "toml write: string is not valid UTF-8");
		const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\t' ? "\\t" :
				  c == '\n' ? "\\n" : c == '\f' ? "\\f" : c == '\r' ? "\\r" : NULL;
		char hex[8];
		if (!esc && (c < 0x20 || c == 0x7f)) {
			snprintf(hex, sizeof(hex), "\\u%04X", c);
			esc = hex;
		}
		r = esc ? puts_(w, esc) : put(w, s + i, n);
		i += n;
	}
	return r ? r : puts_(w, "\"");
}

static bool is_bare_key(const char *key, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = key[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int put_key(struct writer *w, const struct cnb__toml_entry *e)
{
	return is_bare_key(e->key, e->key_len) ? put(w, e->key, e->key_len) : put_string(w, e->key, e->key_len);
}

/* The shortest of %.15g..%.17g that reads back to the same double, always in float syntax. */
static int put_float(struct writer *w, double d)
{
	char text[40];
	if (isnan(d))
		return puts_(w, "nan");
	if (isinf(d))
		return puts_(w, d < 0 ? "-inf" : "inf");
	for (int precision = 15; precision <= 17; precision++) {
		snprintf(text, sizeof(text), "%.*g", precision, d);
		if (strtod(text, NULL) == d)
			break;
	}
	if (!strpbrk(text, ".e"))
		strcat(text, ".0");
	return puts_(w, text);
}

/* Non-empty arrays of tables only: they become [[name]] sections (an empty one stays "name = []"). */
static bool is_array_of_tables(const cnb_toml *v)
{
	if (v->type != CNB_TOML_ARRAY || v->u.array.len == 0)
		return false;
	for (size_t i = 0; i < v->u.array.len; i++)
		if (v->u.array.items[i]->type != CNB_TOML_TABLE)
			return false;
	return true;
}

static bool is_section(const cnb_toml *v) { return v->type == CNB_TOML_TABLE || is_array_of_tables(v); }

static int check_depth(struct writer *w, size_t depth)
{
	if (depth > CNB_TOML_MAX_DEPTH)
		return cnb__error_set(w->err, CNB_EINVAL, "toml write: tables and arrays nested deeper than %d",
				      CNB_TOML_MAX_DEPTH);
	return 0;
}

static int put_inline_value(struct writer *w, const cnb_toml *v, size_t depth);

static int put_inline_table(struct writer *w, const cnb_toml *t, size_t depth)
{
	int r = puts_(w, "{");
	for (size_t i = 0; r == 0 && i < t->u.table.len; i++) {
		const struct cnb__toml_entry *e = &t->u.table.entries[i];
		if ((r = puts_(w, i ? ", " : " ")) == 0 && (r = put_key(w, e)) == 0 && (r = puts_(w, " = ")) == 0)
			r = put_inline_value(w, e->value, depth + 1);
	}
	return r ? r : puts_(w, t->u.table.len ? " }" : "}");
}

static int put_inline_value(struct writer *w, const cnb_toml *v, size_t depth)
{
	char text[32];
	int r;
	switch (v->type) {
	case CNB_TOML_TABLE:
		if ((r = check_depth(w, depth)) < 0)
			return r;
		return put_inline_table(w, v, depth);
	case CNB_TOML_ARRAY:
		if ((r = check_depth(w, depth)) < 0 || (r = puts_(w, "[")) < 0)
			return r;
		for (size_t i = 0; i < v->u.array.len; i++)
			if ((i && (r = puts_(w, ", ")) < 0) || (r = put_inline_value(w, v->u.array.items[i], depth + 1)) < 0)
				return r;
		return puts_(w, "]");
	case CNB_TOML_STRING:
		return put_string(w, v->u.str.s, v->u.str.len);
	case CNB_TOML_INTEGER:
		snprintf(text, sizeof(text), "%" PRId64, v->u.i);
		return puts_(w, text);
	case CNB_TOML_FLOAT:
		return put_float(w, v->u.d);
	case CNB_TOML_BOOL:
		return puts_(w, v->u.b ? "true" : "false");
	default:
		return put(w, v->u.str.s, v->u.str.len);
	}
}

static int put_header(struct writer *w, size_t depth, bool aot)
{
	/* A blank line between sections, none at the top (as the reference's BurntSushi encoder writes). */
	bool first = w->out->len == w->start;
	int r = puts_(w, aot ? (first ? "[[" : "\n[[") : (first ? "[" : "\n["));
	for (size_t i = 0; r == 0 && i < depth; i++)
		if ((r = (i ? puts_(w, ".") : 0)) == 0)
			r = put_key(w, w->path[i]);
	return r ? r : puts_(w, aot ? "]]\n" : "]\n");
}

/* `t` is the table named by w->path[0..keys); `depth` counts tables and arrays down to it. */
static int put_table_body(struct writer *w, const cnb_toml *t, size_t keys, size_t depth)
{
	int r;
	for (size_t i = 0; i < t->u.table.len; i++) {
		const struct cnb__toml_entry *e = &t->u.table.entries[i];
		if (is_section(e->value))
			continue;
		if ((r = put_key(w, e)) < 0 || (r = puts_(w, " = ")) < 0 ||
		    (r = put_inline_value(w, e->value, depth + 1)) < 0 || (r = puts_(w, "\n")) < 0)
			return r;
	}
	for (size_t i = 0; i < t->u.table.len; i++) {
		const struct cnb__toml_entry *e = &t->u.table.entries[i];
		if (!is_section(e->value))
			continue;
		bool aot = e->value->type == CNB_TOML_ARRAY;
		/* An array of tables costs two levels: the array and its element tables. */
		if ((r = check_depth(w, depth + (aot ? 2 : 1))) < 0)
			return r;
		w->path[keys] = e;
		size_t n = aot ? e->value->u.array.len : 1;
		for (size_t j = 0; j < n; j++) {
			const cnb_toml *section = aot ? e->value->u.array.items[j] : e->value;
			if ((r = put_header(w, keys + 1, aot)) < 0 ||
			    (r = put_table_body(w, section, keys + 1, depth + (aot ? 2 : 1))) < 0)
				return r;
		}
	}
	return 0;
}

int cnb__toml_write(const cnb_toml *root, cnb__buf *out, cnb_error **err)
{
	if (!root || root->type != CNB_TOML_TABLE)
		return cnb__error_set(err, CNB_EINVAL, "toml write: the root must be a table");
	_cleanup_free_ struct writer *w = calloc(1, sizeof(*w));
	if (!w)
		return cnb__error_set(err, CNB_ENOMEM, "toml write: out of memory");
	w->out = out;
	w->start = out->len;
	w->err = err;
	return put_table_body(w, root, 0, 0);
}
