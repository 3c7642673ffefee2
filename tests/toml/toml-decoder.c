/*
 * toml-test decoder: TOML on stdin, "tagged JSON" on stdout, exit 1 on invalid TOML.
 * Lets the external toml-test suite (shared/toml-test/run.py) drive our parser.
 */
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/toml/toml.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void json_string(cnb__buf *out, const char *s, size_t len)
{
	cnb__buf_puts(out, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			cnb__buf_printf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			cnb__buf_printf(out, "\\u%04x", c);
		else
			cnb__buf_append(out, &s[i], 1);
	}
	cnb__buf_puts(out, "\"");
}

static void tagged(cnb__buf *out, const char *type, const char *value)
{
	cnb__buf_printf(out, "{\"type\":\"%s\",\"value\":", type);
	json_string(out, value, strlen(value));
	cnb__buf_puts(out, "}");
}

static void emit(cnb__buf *out, const cnb_toml *v)
{
	static const char *const datetime_tags[] = {
		[CNB_TOML_DATETIME] = "datetime",
		[CNB_TOML_DATETIME_LOCAL] = "datetime-local",
		[CNB_TOML_DATE_LOCAL] = "date-local",
		[CNB_TOML_TIME_LOCAL] = "time-local",
	};
	char text[64];
	size_t len;
	int64_t i;
	double d;
	bool b;
	switch (cnb__toml_type(v)) {
	case CNB_TOML_TABLE:
		cnb__buf_puts(out, "{");
		for (size_t k = 0; k < cnb__toml_len(v); k++) {
			const char *key = cnb__toml_key_at_n(v, k, &len);
			cnb__buf_puts(out, k ? "," : "");
			json_string(out, key, len);
			cnb__buf_puts(out, ":");
			emit(out, cnb__toml_at(v, k));
		}
		cnb__buf_puts(out, "}");
		break;
	case CNB_TOML_ARRAY:
		cnb__buf_puts(out, "[");
		for (size_t k = 0; k < cnb__toml_len(v); k++) {
			cnb__buf_puts(out, k ? "," : "");
			emit(out, cnb__toml_at(v, k));
		}
		cnb__buf_puts(out, "]");
		break;
	case CNB_TOML_STRING: {
		const char *s = cnb__toml_string_n(v, &len);
		cnb__buf_puts(out, "{\"type\":\"string\",\"value\":");
		json_string(out, s, len);
		cnb__buf_puts(out, "}");
		break;
	}
	case CNB_TOML_INTEGER:
		cnb__toml_int(v, &i);
		snprintf(text, sizeof(text), "%" PRId64, i);
		tagged(out, "integer", text);
		break;
	case CNB_TOML_FLOAT:
		cnb__toml_float(v, &d);
		if (isnan(d))
			snprintf(text, sizeof(text), "nan");
		else if (isinf(d))
			snprintf(text, sizeof(text), "%sinf", d < 0 ? "-" : "");
		else
			snprintf(text, sizeof(text), "%.17g", d);
		tagged(out, "float", text);
		break;
	case CNB_TOML_BOOL:
		cnb__toml_bool(v, &b);
		tagged(out, "bool", b ? "true" : "false");
		break;
	default:
		tagged(out, datetime_tags[cnb__toml_type(v)], cnb__toml_datetime(v));
	}
}

int main(void)
{
	_cleanup_buf_ cnb__buf in = CNB_BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (cnb__buf_append(&in, chunk, n) < 0)
			return 2;
	cnb_toml *doc = NULL;
	cnb_error *err = NULL;
	if (cnb__toml_parse(&doc, in.data ? in.data : "", in.len, "<stdin>", &err) < 0) {
		fprintf(stderr, "%s\n", cnb_error_message(err));
		cnb_error_free(err);
		return 1;
	}
	_cleanup_buf_ cnb__buf out = CNB_BUF_INIT;
	emit(&out, doc);
	cnb__toml_free(doc);
	fwrite(out.data, 1, out.len, stdout);
	putchar('\n');
	return 0;
}
