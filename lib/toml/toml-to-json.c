/*
 * TOML → JSON for the image labels: layer [metadata] becomes `data`, store.toml `store.metadata`,
 * project-metadata.toml the project label (platform.md "io.buildpacks.lifecycle.metadata (JSON)": strings stay exact; datetimes become
 * their RFC 3339 text, as Go's JSON encoding of time.Time does).
 */
#include "toml-json.h"

#include <math.h>
#include <stdio.h>

static json_t *scalar_to_json(const cnb_toml *v)
{
	switch (cnb__toml_type(v)) {
	case CNB_TOML_STRING: {
		size_t len;
		const char *s = cnb__toml_string_n(v, &len);
		return json_stringn(s, len);
	}
	case CNB_TOML_INTEGER: {
		int64_t i = 0;
		cnb__toml_int(v, &i);
		return json_integer((json_int_t)i);
	}
	case CNB_TOML_FLOAT: {
		double d = 0;
		cnb__toml_float(v, &d);
		if (isfinite(d))
			return json_real(d);
		/* JSON has no inf/nan: keep the TOML spelling rather than lose the value. */
		return json_string(isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
	}
	case CNB_TOML_BOOL: {
		bool b = false;
		cnb__toml_bool(v, &b);
		return json_boolean(b);
	}
	default:
		return json_string(cnb__toml_datetime(v));
	}
}

json_t *cnb__toml_to_json(const cnb_toml *v)
{
	cnb_toml_type type = cnb__toml_type(v);
	if (type != CNB_TOML_TABLE && type != CNB_TOML_ARRAY)
		return scalar_to_json(v);
	json_t *out = type == CNB_TOML_TABLE ? json_object() : json_array();
	for (size_t i = 0; out && i < cnb__toml_len(v); i++) {
		json_t *child = cnb__toml_to_json(cnb__toml_at(v, i));
		int r;
		if (type == CNB_TOML_TABLE) {
			size_t klen;
			const char *key = cnb__toml_key_at_n(v, i, &klen);
			r = json_object_setn_new(out, key, klen, child);
		} else {
			r = json_array_append_new(out, child);
		}
		if (!child || r < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}
