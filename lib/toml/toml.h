/*
 * TOML 1.0: a parser into a small document tree, and a writer back to text.
 * Untrusted input (buildpack.toml, launch.toml, layer metadata written by buildpacks) goes
 * through here: parsing is bounded (input size, nesting depth, number of values) and errors
 * name the document, line and column.
 */
#ifndef CNB_TOML_H
#define CNB_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cnb/error.h>
#include "lib/common/buf.h"

typedef enum cnb_toml_type {
	CNB_TOML_TABLE,
	CNB_TOML_ARRAY,
	CNB_TOML_STRING,
	CNB_TOML_INTEGER,
	CNB_TOML_FLOAT,
	CNB_TOML_BOOL,
	CNB_TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
	CNB_TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
	CNB_TOML_DATE_LOCAL,     /* 1979-05-27 */
	CNB_TOML_TIME_LOCAL,     /* 07:32:00 */
} cnb_toml_type;

typedef struct cnb_toml cnb_toml;

/* Limits applied by cnb__toml_parse (a document over any of them is refused with CNB_EUNSAFE). */
#define CNB_TOML_MAX_INPUT (16u * 1024 * 1024)
#define CNB_TOML_MAX_DEPTH 128   /* tables and arrays nested in each other, the root not counted */
#define CNB_TOML_MAX_VALUES (1u << 20) /* values in one document: bounds memory to O(input) with a small factor */

/*
 * Parses `len` bytes of TOML. `name` (e.g. "/cnb/buildpacks/x/1.0/buildpack.toml") is used in
 * errors: "<name>:<line>:<col>: <what>". On success *out is the root table (caller frees).
 */
int cnb__toml_parse(cnb_toml **out, const char *data, size_t len, const char *name, cnb_error **err);

/* Reads and parses a file (size-bounded, no symlink as the last component). */
int cnb__toml_parse_file(cnb_toml **out, const char *path, cnb_error **err);

void cnb__toml_free(cnb_toml *v);
static inline void cnb__toml_freep(cnb_toml **v) { cnb__toml_free(*v); }
#define _cleanup_toml_ __attribute__((cleanup(cnb__toml_freep)))

cnb_toml_type cnb__toml_type(const cnb_toml *v); /* v must not be NULL */

/* Table lookup: the value under `key`, or NULL when absent or `table` is not a table. */
const cnb_toml *cnb__toml_get(const cnb_toml *table, const char *key);
/* Same for a key of `len` bytes (TOML keys may hold NUL: "\u0000" = 1). */
const cnb_toml *cnb__toml_get_n(const cnb_toml *table, const char *key, size_t len);

/* Number of entries of a table or elements of an array (0 for scalars and NULL). */
size_t cnb__toml_len(const cnb_toml *v);

/* The i-th element of an array or value of a table (tables keep insertion order). */
const cnb_toml *cnb__toml_at(const cnb_toml *v, size_t i);

/* The i-th key of a table (NULL past the end). A key holding NUL reads shorter here: see _n. */
const char *cnb__toml_key_at(const cnb_toml *table, size_t i);
const char *cnb__toml_key_at_n(const cnb_toml *table, size_t i, size_t *len);

/* Scalar accessors. NULL/false when `v` is NULL or of another type. */
/* UTF-8, NUL-terminated; also NULL for a string holding NUL ("\u0000"), which C code would misread. */
const char *cnb__toml_string(const cnb_toml *v);
/* Any string, NUL included: *len gets its length in bytes (len may be NULL). */
const char *cnb__toml_string_n(const cnb_toml *v, size_t *len);
bool cnb__toml_int(const cnb_toml *v, int64_t *out);
bool cnb__toml_float(const cnb_toml *v, double *out);
bool cnb__toml_bool(const cnb_toml *v, bool *out);
const char *cnb__toml_datetime(const cnb_toml *v);            /* the four date/time types, as RFC 3339 text */

/* Convenience for descriptors: the string at `key` of `table`, or NULL. */
const char *cnb__toml_get_string(const cnb_toml *table, const char *key);

/* --- Building documents (for the writer). Constructors return NULL on OOM. --- */
cnb_toml *cnb__toml_new_table(void);
cnb_toml *cnb__toml_new_array(void);
cnb_toml *cnb__toml_new_string(const char *s);
cnb_toml *cnb__toml_new_string_n(const char *s, size_t len);
cnb_toml *cnb__toml_new_int(int64_t i);
cnb_toml *cnb__toml_new_float(double d);
cnb_toml *cnb__toml_new_bool(bool b);
/* `text` must be a valid TOML value of `type` ("1979-05-27T07:32:00Z" for CNB_TOML_DATETIME): NULL otherwise. */
cnb_toml *cnb__toml_new_datetime(cnb_toml_type type, const char *text);

/* Sets table[key] = value (replacing an old value), taking ownership of value even on failure. 0 or -1. */
int cnb__toml_set(cnb_toml *table, const char *key, cnb_toml *value);
int cnb__toml_set_n(cnb_toml *table, const char *key, size_t len, cnb_toml *value);
/* Appends to an array, taking ownership of value even on failure. 0 or -1. */
int cnb__toml_push(cnb_toml *array, cnb_toml *value);
/* Deep copy; NULL on OOM. */
cnb_toml *cnb__toml_clone(const cnb_toml *v);
/* Same document content: tables compare as key sets (order ignored), any NaN equals any NaN. */
bool cnb__toml_equal(const cnb_toml *a, const cnb_toml *b);

/*
 * Writes a document as TOML text that cnb__toml_parse reads back to an equal tree:
 * scalars first, then sub-tables as [headers], arrays of tables as [[headers]]. Fails with
 * CNB_EINVAL for a tree the parser would refuse (deeper than CNB_TOML_MAX_DEPTH, invalid UTF-8).
 */
int cnb__toml_write(const cnb_toml *root, cnb__buf *out, cnb_error **err);

#endif
