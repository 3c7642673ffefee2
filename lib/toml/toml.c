/* The TOML document tree: constructors, accessors, lookup, copy and comparison. */
#include "lib/toml/toml-internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common/array.h"
#include "lib/common/cleanup.h"

/* Below this many keys a linear scan beats hashing; above it lookups stay O(1) for hostile tables. */
#define INDEX_FROM 8

static cnb_toml *new_value(cnb_toml_type type)
{
	cnb_toml *v = calloc(1, sizeof(*v));
	if (v)
		v->type = type;
	return v;
}

cnb_toml *cnb__toml_new_table(void) { return new_value(CNB_TOML_TABLE); }
cnb_toml *cnb__toml_new_array(void) { return new_value(CNB_TOML_ARRAY); }

cnb_toml *cnb__toml_new_string_n(const char *s, size_t len)
{
	_cleanup_free_ cnb_toml *v = new_value(CNB_TOML_STRING);
	if (!v || !(v->u.str.s = malloc(len + 1)))
		return NULL;
	memcpy(v->u.str.s, s, len);
	v->u.str.s[len] = '\0';
	v->u.str.len = len;
	return TAKE_PTR(v);
}

cnb_toml *cnb__toml_new_string(const char *s) { return cnb__toml_new_string_n(s, strlen(s)); }

cnb_toml *cnb__toml_new_int(int64_t i)
{
	cnb_toml *v = new_value(CNB_TOML_INTEGER);
	if (v)
		v->u.i = i;
	return v;
}

cnb_toml *cnb__toml_new_float(double d)
{
	cnb_toml *v = new_value(CNB_TOML_FLOAT);
	if (v)
		v->u.d = d;
	return v;
}

cnb_toml *cnb__toml_new_bool(bool b)
{
	cnb_toml *v = new_value(CNB_TOML_BOOL);
	if (v)
		v->u.b = b;
	return v;
}

static bool is_datetime_type(cnb_toml_type type)
{
	return type == CNB_TOML_DATETIME || type == CNB_TOML_DATETIME_LOCAL || type == CNB_TOML_DATE_LOCAL ||
	       type == CNB_TOML_TIME_LOCAL;
}

cnb_toml *cnb__toml_new_datetime(cnb_toml_type type, const char *text)
{
	/* Validated here so that the writer never emits a date/time the parser would refuse. */
	size_t len = strlen(text), used;
	cnb_toml_type scanned;
	const char *why;
	if (!is_datetime_type(type) || cnb__toml_datetime_scan(text, len, &scanned, &used, &why) != 0 ||
	    used != len || scanned != type)
		return NULL;
	cnb_toml *v = cnb__toml_new_string_n(text, len);
	if (!v)
		return NULL;
	v->type = type;
	for (char *c = v->u.str.s; *c; c++) {
		if (*c == 't' || *c == ' ')
			*c = 'T';
		else if (*c == 'z')
			*c = 'Z';
	}
	return v;
}

void cnb__toml_free(cnb_toml *v)
{
	if (!v)
		return;
	switch (v->type) {
	case CNB_TOML_TABLE:
		for (size_t i = 0; i < v->u.table.len; i++) {
			free(v->u.table.entries[i].key);
			cnb__toml_free(v->u.table.entries[i].value);
		}
		free(v->u.table.entries);
		free(v->u.table.index);
		break;
	case CNB_TOML_ARRAY:
		for (size_t i = 0; i < v->u.array.len; i++)
			cnb__toml_free(v->u.array.items[i]);
		free(v->u.array.items);
		break;
	case CNB_TOML_INTEGER:
	case CNB_TOML_FLOAT:
	case CNB_TOML_BOOL:
		break;
	default:
		free(v->u.str.s);
	}
	free(v);
}

cnb_toml_type cnb__toml_type(const cnb_toml *v) { return v->type; }

/* FNV-1a: keys are short and the table size is a power of two. */
static uint32_t hash_key(const char *key, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h;
}

static void index_put(cnb_toml *t, size_t pos)
{
	const struct cnb__toml_entry *e = &t->u.table.entries[pos];
	size_t mask = t->u.table.index_cap - 1;
	size_t slot = hash_key(e->key, e->key_len) & mask;
	while (t->u.table.index[slot])
		slot = (slot + 1) & mask;
	t->u.table.index[slot] = (uint32_t)(pos + 1);
}

static int index_rebuild(cnb_toml *t, size_t cap)
{
	uint32_t *index = calloc(cap, sizeof(*index));
	if (!index)
		return -1;
	free(t->u.table.index);
	t->u.table.index = index;
	t->u.table.index_cap = cap;
	for (size_t i = 0; i < t->u.table.len; i++)
		index_put(t, i);
	return 0;
}

static struct cnb__toml_entry *find_entry(const cnb_toml *t, const char *key, size_t len)
{
	if (!t || t->type != CNB_TOML_TABLE)
		return NULL;
	struct cnb__toml_entry *entries = t->u.table.entries;
	if (!t->u.table.index) {
		for (size_t i = 0; i < t->u.table.len; i++)
			if (entries[i].key_len == len && !memcmp(entries[i].key, key, len))
				return &entries[i];
		return NULL;
	}
	size_t mask = t->u.table.index_cap - 1;
	for (size_t slot = hash_key(key, len) & mask; t->u.table.index[slot]; slot = (slot + 1) & mask) {
		struct cnb__toml_entry *e = &entries[t->u.table.index[slot] - 1];
		if (e->key_len == len && !memcmp(e->key, key, len))
			return e;
	}
	return NULL;
}

cnb_toml *cnb__toml_table_find(const cnb_toml *t, const char *key, size_t len)
{
	struct cnb__toml_entry *e = find_entry(t, key, len);
	return e ? e->value : NULL;
}

int cnb__toml_table_append(cnb_toml *t, char *key, size_t len, cnb_toml *value)
{
	_cleanup_free_ char *owned_key = key;
	if (t->u.table.len == UINT32_MAX - 1)
		goto fail;
	struct cnb__toml_entry *entries =
		cnb__array_reserve(t->u.table.entries, t->u.table.len, &t->u.table.cap, sizeof(*entries), 4);
	if (!entries)
		goto fail;
	t->u.table.entries = entries;
	size_t pos = t->u.table.len;
	t->u.table.entries[pos] = (struct cnb__toml_entry){ TAKE_PTR(owned_key), len, value };
	t->u.table.len++;
	/* Keep the index at most half full so probe runs stay short. */
	if (t->u.table.len >= INDEX_FROM && t->u.table.len * 2 > t->u.table.index_cap) {
		if (index_rebuild(t, t->u.table.index_cap ? t->u.table.index_cap * 2 : 4 * INDEX_FROM) < 0) {
			t->u.table.len--;
			owned_key = t->u.table.entries[pos].key;
			goto fail;
		}
	} else if (t->u.table.index) {
		index_put(t, pos);
	}
	return 0;
fail:
	cnb__toml_free(value);
	return -1;
}

int cnb__toml_set_n(cnb_toml *t, const char *key, size_t len, cnb_toml *value)
{
	if (!t || t->type != CNB_TOML_TABLE || !value) {
		cnb__toml_free(value);
		return -1;
	}
	struct cnb__toml_entry *e = find_entry(t, key, len);
	if (e) {
		cnb__toml_free(e->value);
		e->value = value;
		return 0;
	}
	char *copy = malloc(len + 1);
	if (!copy) {
		cnb__toml_free(value);
		return -1;
	}
	memcpy(copy, key, len);
	copy[len] = '\0';
	return cnb__toml_table_append(t, copy, len, value);
}

int cnb__toml_set(cnb_toml *t, const char *key, cnb_toml *value)
{
	return cnb__toml_set_n(t, key, strlen(key), value);
}

int cnb__toml_push(cnb_toml *a, cnb_toml *value)
{
	if (!a || a->type != CNB_TOML_ARRAY || !value)
		goto fail;
	cnb_toml **items = cnb__array_reserve(a->u.array.items, a->u.array.len, &a->u.array.cap, sizeof(*items), 4);
	if (!items)
		goto fail;
	a->u.array.items = items;
	a->u.array.items[a->u.array.len++] = value;
	return 0;
fail:
	cnb__toml_free(value);
	return -1;
}

const cnb_toml *cnb__toml_get_n(const cnb_toml *table, const char *key, size_t len)
{
	return cnb__toml_table_find(table, key, len);
}

const cnb_toml *cnb__toml_get(const cnb_toml *table, const char *key)
{
	return cnb__toml_table_find(table, key, strlen(key));
}

size_t cnb__toml_len(const cnb_toml *v)
{
	if (!v)
		return 0;
	if (v->type == CNB_TOML_TABLE)
		return v->u.table.len;
	if (v->type == CNB_TOML_ARRAY)
		return v->u.array.len;
	return 0;
}

const cnb_toml *cnb__toml_at(const cnb_toml *v, size_t i)
{
	if (i >= cnb__toml_len(v))
		return NULL;
	return v->type == CNB_TOML_TABLE ? v->u.table.entries[i].value : v->u.array.items[i];
}

const char *cnb__toml_key_at_n(const cnb_toml *table, size_t i, size_t *len)
{
	if (!table || table->type != CNB_TOML_TABLE || i >= table->u.table.len)
		return NULL;
	if (len)
		*len = table->u.table.entries[i].key_len;
	return table->u.table.entries[i].key;
}

const char *cnb__toml_key_at(const cnb_toml *table, size_t i) { return cnb__toml_key_at_n(table, i, NULL); }

const char *cnb__toml_string_n(const cnb_toml *v, size_t *len)
{
	if (!v || v->type != CNB_TOML_STRING)
		return NULL;
	if (len)
		*len = v->u.str.len;
	return v->u.str.s;
}

const char *cnb__toml_string(const cnb_toml *v)
{
	size_t len;
	const char *s = cnb__toml_string_n(v, &len);
	/* A NUL inside would make C callers see a shorter string than the document holds. */
	if (s && strlen(s) != len)
		return NULL;
	return s;
}

bool cnb__toml_int(const cnb_toml *v, int64_t *out)
{
	if (!v || v->type != CNB_TOML_INTEGER)
		return false;
	*out = v->u.i;
	return true;
}

bool cnb__toml_float(const cnb_toml *v, double *out)
{
	if (!v || v->type != CNB_TOML_FLOAT)
		return false;
	*out = v->u.d;
	return true;
}

bool cnb__toml_bool(const cnb_toml *v, bool *out)
{
	if (!v || v->type != CNB_TOML_BOOL)
		return false;
	*out = v->u.b;
	return true;
}

const char *cnb__toml_datetime(const cnb_toml *v)
{
	if (!v || !is_datetime_type(v->type))
		return NULL;
	return v->u.str.s;
}

const char *cnb__toml_get_string(const cnb_toml *table, const char *key)
{
	return cnb__toml_string(cnb__toml_get(table, key));
}

cnb_toml *cnb__toml_clone(const cnb_toml *v)
{
	if (!v)
		return NULL;
	cnb_toml *copy = NULL;
	switch (v->type) {
	case CNB_TOML_TABLE:
		copy = cnb__toml_new_table();
		for (size_t i = 0; copy && i < v->u.table.len; i++) {
			const struct cnb__toml_entry *e = &v->u.table.entries[i];
			cnb_toml *value = cnb__toml_clone(e->value);
			if (!value || cnb__toml_set_n(copy, e->key, e->key_len, value) < 0) {
				cnb__toml_free(copy);
				return NULL;
			}
		}
		break;
	case CNB_TOML_ARRAY:
		copy = cnb__toml_new_array();
		for (size_t i = 0; copy && i < v->u.array.len; i++) {
			cnb_toml *value = cnb__toml_clone(v->u.array.items[i]);
			if (!value || cnb__toml_push(copy, value) < 0) {
				cnb__toml_free(copy);
				return NULL;
			}
		}
		break;
	case CNB_TOML_INTEGER:
	case CNB_TOML_FLOAT:
	case CNB_TOML_BOOL:
		copy = new_value(v->type);
		if (copy)
			copy->u = v->u;
		break;
	default:
		copy = cnb__toml_new_string_n(v->u.str.s, v->u.str.len);
		if (copy)
			copy->type = v->type;
	}
	if (copy)
		copy->flags = v->flags;
	return copy;
}

bool cnb__toml_equal(const cnb_toml *a, const cnb_toml *b)
{
	if (!a || !b)
		return a == b;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case CNB_TOML_TABLE:
		if (a->u.table.len != b->u.table.len)
			return false;
		for (size_t i = 0; i < a->u.table.len; i++) {
			const struct cnb__toml_entry *e = &a->u.table.entries[i];
			if (!cnb__toml_equal(e->value, cnb__toml_table_find(b, e->key, e->key_len)))
				return false;
		}
		return true;
	case CNB_TOML_ARRAY:
		if (a->u.array.len != b->u.array.len)
			return false;
		for (size_t i = 0; i < a->u.array.len; i++)
			if (!cnb__toml_equal(a->u.array.items[i], b->u.array.items[i]))
				return false;
		return true;
	case CNB_TOML_INTEGER:
		return a->u.i == b->u.i;
	case CNB_TOML_FLOAT:
		/* Equal as values a document can hold: any NaN matches any NaN, -0.0 keeps its sign. */
		if (isnan(a->u.d) || isnan(b->u.d))
			return isnan(a->u.d) && isnan(b->u.d);
		return a->u.d == b->u.d && signbit(a->u.d) == signbit(b->u.d);
	case CNB_TOML_BOOL:
		return a->u.b == b->u.b;
	default:
		return a->u.str.len == b->u.str.len && !memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
	}
}
