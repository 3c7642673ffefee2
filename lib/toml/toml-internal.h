/* Private side of the TOML tree: shared by the tree code, the parser and the writer. */
#ifndef CNB_TOML_INTERNAL_H
#define CNB_TOML_INTERNAL_H

#include "lib/toml/toml.h"

/*
 * How a table or array came to exist decides whether a later [header], [[header]] or dotted
 * key may extend it (TOML 1.0, "Table" and "Array of Tables"). Only the parser sets these.
 */
enum {
	CNB__TOML_IMPLICIT = 1u << 0, /* parent created by a [x.y] header: one [x] may still define it */
	CNB__TOML_DEFINED = 1u << 1,  /* defined by a [header] or [[header]] */
	CNB__TOML_DOTTED = 1u << 2,   /* created (or claimed) by a dotted key */
	CNB__TOML_FROZEN = 1u << 3,   /* an inline table or inside one: immutable once closed */
	CNB__TOML_AOT = 1u << 4,      /* array created by [[header]]: further [[header]]s append */
};

struct cnb__toml_entry {
	char *key; /* NUL-terminated, but may hold NUL itself ("\u0000" is a valid key) */
	size_t key_len;
	cnb_toml *value;
};

struct cnb_toml {
	cnb_toml_type type;
	unsigned int flags;
	union {
		struct {
			struct cnb__toml_entry *entries; /* insertion order */
			size_t len, cap;
			uint32_t *index; /* open addressing over entries (slot = position + 1), from a few keys on */
			size_t index_cap;
		} table;
		struct {
			cnb_toml **items;
			size_t len, cap;
		} array;
		struct {
			char *s; /* strings and the RFC 3339 text of date/times */
			size_t len;
		} str;
		int64_t i;
		double d;
		bool b;
	} u;
};

/* The value under key[0..len) in a table, or NULL. */
cnb_toml *cnb__toml_table_find(const cnb_toml *table, const char *key, size_t len);

/* Appends key -> value without a duplicate check; takes ownership of both even on failure. 0 or -1. */
int cnb__toml_table_append(cnb_toml *table, char *key, size_t len, cnb_toml *value);

/* Length of the UTF-8 sequence at s (1..4), or 0 when it is not valid UTF-8 (overlong, surrogate, > U+10FFFF). */
size_t cnb__toml_utf8_decode(const char *s, size_t avail, uint32_t *cp);
/* Encodes a Unicode scalar value into out (4 bytes of room); returns the length. */
size_t cnb__toml_utf8_encode(uint32_t cp, char *out);

/*
 * Matches a TOML date/time at the start of s[0..avail): sets *type and *len (bytes used).
 * Returns 0, 1 when the text does not look like a date/time at all, or -1 when it does but
 * is invalid (*why says how: "day 30 out of range for 1997-02").
 */
int cnb__toml_datetime_scan(const char *s, size_t avail, cnb_toml_type *type, size_t *len, const char **why);

#endif
