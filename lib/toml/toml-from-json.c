#include "toml-json.h"

static cnb_toml *convert(const json_t *v, int depth)
{
	if (depth > CNB_TOML_MAX_DEPTH)
		return NULL;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		cnb_toml *t = cnb__toml_new_table();
		const char *key;
		json_t *child;
		json_object_foreach((json_t *)v, key, child) {
			if (json_is_null(child))
				continue;
			if (!t || cnb__toml_set(t, key, convert(child, depth + 1)) < 0) {
				cnb__toml_free(t);
				return NULL;
			}
		}
		return t;
	}
	case JSON_ARRAY: {
		cnb_toml *a = cnb__toml_new_array();
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) {
			if (json_is_null(child))
				continue;
			if (!a || cnb__toml_push(a, convert(child, depth + 1)) < 0) {
				cnb__toml_free(a);
				return NULL;
			}
		}
		return a;
	}
	case JSON_STRING:
		return cnb__toml_new_string_n(json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return cnb__toml_new_int((int64_t)json_integer_value(v));
	case JSON_REAL:
		return cnb__toml_new_float(json_real_value(v));
	case JSON_TRUE:
		return cnb__toml_new_bool(true);
	case JSON_FALSE:
		return cnb__toml_new_bool(false);
	default:
		return NULL;
	}
}

cnb_toml *cnb__toml_from_json(const json_t *v)
{
	return v ? convert(v, 0) : NULL;
}
