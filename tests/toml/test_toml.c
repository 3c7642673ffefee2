/* Unit tests of the TOML parser and writer: accessors, error positions, limits, round trips. */
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/toml/toml.h"
#include "tests/lib/tap.h"

#include <math.h>

static cnb_toml *parse_ok(const char *text)
{
	cnb_toml *doc = NULL;
	cnb_error *err = NULL;
	if (cnb__toml_parse(&doc, text, strlen(text), "t.toml", &err) < 0) {
		printf("# unexpected error: %s\n", cnb_error_message(err));
		cnb_error_free(err);
	}
	return doc;
}

/* Parses `text` expecting failure; returns the error (caller frees). */
static cnb_error *parse_err(const char *text, size_t len)
{
	cnb_toml *doc = NULL;
	cnb_error *err = NULL;
	if (cnb__toml_parse(&doc, text, len, "t.toml", &err) == 0)
		cnb__toml_free(doc);
	return err;
}

static void test_toml_accessors__read_values(void)
{
	_cleanup_toml_ cnb_toml *doc = parse_ok("title = \"libcnb\"\n"
						"n = 0xff\n"
						"pi = 3.14\n"
						"ok = true\n"
						"when = 1979-05-27 07:32:00z\n"
						"nul = \"a\\u0000b\"\n"
						"[buildpack]\n"
						"id = \"example/node\"\n"
						"[[order]]\n"
						"group = [{ id = \"a\" }, { id = \"b\", optional = true }]\n");
	ok(doc != NULL, "parses");
	is_int(cnb__toml_type(doc), CNB_TOML_TABLE, "root is a table");
	is_int(cnb__toml_len(doc), 8, "8 top-level keys");
	is_str(cnb__toml_key_at(doc, 0), "title", "keys keep insertion order");
	is_str(cnb__toml_get_string(doc, "title"), "libcnb", "string");
	int64_t i = 0;
	ok(cnb__toml_int(cnb__toml_get(doc, "n"), &i) && i == 255, "hex integer");
	double d = 0;
	ok(cnb__toml_float(cnb__toml_get(doc, "pi"), &d) && d == 3.14, "float");
	bool b = false;
	ok(cnb__toml_bool(cnb__toml_get(doc, "ok"), &b) && b, "bool");
	ok(!cnb__toml_int(cnb__toml_get(doc, "pi"), &i), "int accessor refuses a float");
	is_str(cnb__toml_datetime(cnb__toml_get(doc, "when")), "1979-05-27T07:32:00Z", "date/time normalized to RFC 3339");
	is_int(cnb__toml_type(cnb__toml_get(doc, "when")), CNB_TOML_DATETIME, "offset date-time");
	ok(cnb__toml_string(cnb__toml_get(doc, "nul")) == NULL, "a string holding NUL is not handed to C code");
	size_t len = 0;
	const char *nul = cnb__toml_string_n(cnb__toml_get(doc, "nul"), &len);
	ok(nul && len == 3 && !memcmp(nul, "a\0b", 3), "but readable with its length");
	is_str(cnb__toml_get_string(cnb__toml_get(doc, "buildpack"), "id"), "example/node", "sub-table");
	const cnb_toml *order = cnb__toml_get(doc, "order");
	is_int(cnb__toml_type(order), CNB_TOML_ARRAY, "array of tables");
	const cnb_toml *group = cnb__toml_get(cnb__toml_at(order, 0), "group");
	is_int(cnb__toml_len(group), 2, "inline array of inline tables");
	ok(cnb__toml_bool(cnb__toml_get(cnb__toml_at(group, 1), "optional"), &b) && b, "nested value");
	ok(cnb__toml_get(doc, "missing") == NULL && cnb__toml_get(group, "x") == NULL, "absent key, non-table");
	ok(cnb__toml_at(group, 2) == NULL && cnb__toml_key_at(doc, 8) == NULL, "past the end is NULL");
	ok(cnb__toml_len(NULL) == 0 && cnb__toml_string(NULL) == NULL, "NULL-tolerant");
}

static void test_toml_errors__name_line_and_column(void)
{
	static const struct {
		const char *text, *message;
		int code;
	} cases[] = {
		{ "a = 1\na = 2\n", "t.toml:2:1: duplicate key \"a\"", CNB_EPARSE },
		{ "[a]\nx = 1\n\n[a]\n", "t.toml:4:2: \"a\" is already defined", CNB_EPARSE },
		{ "s = \"unterminated\n", "t.toml:1:18: newline in a single-line string", CNB_EPARSE },
		{ "é = 1\n", "t.toml:1:1: expected a key, found a non-ASCII character", CNB_EPARSE },
		{ "k = \"é\" x\n", "t.toml:1:9: expected a newline, found 'x'", CNB_EPARSE },
		{ "n = 9223372036854775808\n", "t.toml:1:5: integer does not fit in 64 bits", CNB_EPARSE },
		{ "d = 2023-02-29\n", "t.toml:1:5: invalid date/time: day out of range for the month", CNB_EPARSE },
		{ "a = { b = 1 }\na.c = 2\n", "t.toml:2:1: cannot add keys to \"a\" with a dotted key: already defined",
		  CNB_EPARSE },
		{ "x = 1\r\ny = \"\\q\"\r\n", "t.toml:2:6: invalid escape sequence", CNB_EPARSE },
		{ "a = 1\n\x01", "t.toml:2:1: control character U+0001 is not allowed", CNB_EPARSE },
		{ "a = \"\xff\"", "t.toml:1:6: invalid UTF-8", CNB_EPARSE },
	};
	for (size_t i = 0; i < CNB_ARRAY_SIZE(cases); i++) {
		cnb_error *err = parse_err(cases[i].text, strlen(cases[i].text));
		is_str(cnb_error_message(err), cases[i].message, "error %zu names the place", i);
		is_int(cnb_error_code_of(err), cases[i].code, "error %zu code", i);
		cnb_error_free(err);
	}
}

static char *repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	_cleanup_buf_ cnb__buf b = CNB_BUF_INIT;
	cnb__buf_puts(&b, prefix);
	for (size_t i = 0; i < n; i++)
		cnb__buf_puts(&b, unit);
	cnb__buf_puts(&b, suffix);
	return cnb__buf_steal(&b);
}

static void expect_limit(const char *what, const char *text, size_t len)
{
	cnb_error *err = parse_err(text, len);
	is_int(cnb_error_code_of(err), CNB_EUNSAFE, "%s refused as unsafe", what);
	if (err)
		printf("# %s\n", cnb_error_message(err));
	cnb_error_free(err);
}

static void test_toml_limits__hostile_input_refused(void)
{
	_cleanup_free_ char *at_limit = repeat("a = ", "[", CNB_TOML_MAX_DEPTH, "");
	_cleanup_free_ char *closed = repeat(at_limit, "]", CNB_TOML_MAX_DEPTH, "\n");
	_cleanup_toml_ cnb_toml *doc = parse_ok(closed);
	ok(doc != NULL, "arrays nested %d deep are fine", CNB_TOML_MAX_DEPTH);

	_cleanup_free_ char *arrays = repeat("a = ", "[", 100000, "");
	expect_limit("100000 nested arrays", arrays, strlen(arrays));
	_cleanup_free_ char *tables = repeat("a = ", "{b=", 100000, "");
	expect_limit("100000 nested inline tables", tables, strlen(tables));
	_cleanup_free_ char *dotted = repeat("a", ".a", CNB_TOML_MAX_DEPTH + 1, " = 1\n");
	expect_limit("a dotted key too deep", dotted, strlen(dotted));
	_cleanup_free_ char *header = repeat("[a", ".a", CNB_TOML_MAX_DEPTH, "]\n");
	expect_limit("a [header] too deep", header, strlen(header));
	_cleanup_free_ char *values = repeat("a = [", "0,", CNB_TOML_MAX_VALUES, "]\n");
	expect_limit("too many values", values, strlen(values));

	size_t huge = CNB_TOML_MAX_INPUT + 1;
	_cleanup_free_ char *big = malloc(huge);
	memset(big, '\n', huge);
	expect_limit("input over the size limit", big, huge);
}

static void test_toml_table__many_keys(void)
{
	_cleanup_buf_ cnb__buf text = CNB_BUF_INIT;
	for (int i = 0; i < 5000; i++)
		cnb__buf_printf(&text, "key%d = %d\n", i, i);
	_cleanup_toml_ cnb_toml *doc = parse_ok(text.data);
	is_int(cnb__toml_len(doc), 5000, "5000 keys");
	int found = 0;
	for (int i = 0; i < 5000; i++) {
		char key[16];
		int64_t v = -1;
		snprintf(key, sizeof(key), "key%d", i);
		found += cnb__toml_int(cnb__toml_get(doc, key), &v) && v == i;
	}
	is_int(found, 5000, "every key found through the index");
	ok(cnb__toml_set(doc, "key42", cnb__toml_new_string("new")) == 0, "set replaces");
	is_str(cnb__toml_get_string(doc, "key42"), "new", "replaced value");
	is_int(cnb__toml_len(doc), 5000, "no new key");
}

static cnb_toml *write_and_reparse(const cnb_toml *doc, char **text)
{
	_cleanup_buf_ cnb__buf out = CNB_BUF_INIT;
	cnb_error *err = NULL;
	cnb_toml *back = NULL;
	if (cnb__toml_write(doc, &out, &err) < 0 ||
	    cnb__toml_parse(&back, out.data ? out.data : "", out.len, "written", &err) < 0) {
		printf("# %s\n# output:\n%s\n", cnb_error_message(err), out.data ? out.data : "");
		cnb_error_free(err);
	}
	if (text)
		*text = cnb__buf_steal(&out);
	return back;
}

static void test_toml_write__constructed_tree_round_trips(void)
{
	_cleanup_toml_ cnb_toml *doc = cnb__toml_new_table();
	cnb__toml_set(doc, "name", cnb__toml_new_string("quote \" backslash \\ tab \t nl \n del \x7f é"));
	cnb__toml_set(doc, "needs quoting", cnb__toml_new_int(INT64_MIN));
	cnb__toml_set_n(doc, "nul\0key", 7, cnb__toml_new_string_n("a\0b", 3));
	cnb__toml_set(doc, "", cnb__toml_new_bool(false));
	cnb_toml *floats = cnb__toml_new_array();
	const double values[] = { 0.1, -0.0, 1e300, 5e-324, 100, INFINITY, -INFINITY, NAN };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(values); i++)
		cnb__toml_push(floats, cnb__toml_new_float(values[i]));
	cnb__toml_set(doc, "floats", floats);
	cnb__toml_set(doc, "when", cnb__toml_new_datetime(CNB_TOML_DATETIME, "1979-05-27T00:32:00.999999-07:00"));
	cnb__toml_set(doc, "day", cnb__toml_new_datetime(CNB_TOML_DATE_LOCAL, "2000-02-29"));
	cnb_toml *sub = cnb__toml_new_table();
	cnb__toml_set(sub, "a.b", cnb__toml_new_table());
	cnb__toml_set(doc, "sub", sub);
	cnb_toml *procs = cnb__toml_new_array();
	for (int i = 0; i < 2; i++) {
		cnb_toml *p = cnb__toml_new_table();
		cnb__toml_set(p, "type", cnb__toml_new_string(i ? "worker" : "web"));
		cnb_toml *args = cnb__toml_new_array();
		cnb__toml_push(args, cnb__toml_new_table()); /* a table inside a plain array: written inline */
		cnb__toml_push(args, cnb__toml_new_int(i));
		cnb__toml_set(p, "args", args);
		cnb__toml_push(procs, p);
	}
	cnb__toml_set(doc, "processes", procs);
	cnb__toml_set(doc, "empty", cnb__toml_new_array());
	cnb__toml_set(doc, "late", cnb__toml_new_int(7)); /* after tables: must still land in the root */

	_cleanup_free_ char *text = NULL;
	_cleanup_toml_ cnb_toml *back = write_and_reparse(doc, &text);
	ok(back && cnb__toml_equal(doc, back), "written tree parses back equal");
	_cleanup_toml_ cnb_toml *copy = cnb__toml_clone(doc);
	ok(cnb__toml_equal(doc, copy), "clone is equal");
	cnb__toml_set(copy, "late", cnb__toml_new_int(8));
	ok(!cnb__toml_equal(doc, copy), "a changed value is not equal");
	_cleanup_free_ char *again = NULL;
	_cleanup_toml_ cnb_toml *back2 = write_and_reparse(back, &again);
	ok(back2 != NULL, "written twice, still parses");
	is_str(again, text, "output is deterministic");
}

static void test_toml_write__layout(void)
{
	_cleanup_toml_ cnb_toml *doc = parse_ok("[a]\nx = 1\n[[b]]\n[[b]]\ny = \"z\"\n");
	cnb__toml_set(doc, "top", cnb__toml_new_string("v"));
	_cleanup_buf_ cnb__buf out = CNB_BUF_INIT;
	ok(cnb__toml_write(doc, &out, NULL) == 0, "writes");
	is_str(out.data, "top = \"v\"\n\n[a]\nx = 1\n\n[[b]]\n\n[[b]]\ny = \"z\"\n", "values, then [tables], then [[arrays]]");
	_cleanup_toml_ cnb_toml *store = parse_ok("[metadata]\ncount = 2\n");
	_cleanup_buf_ cnb__buf store_out = CNB_BUF_INIT;
	ok(cnb__toml_write(store, &store_out, NULL) == 0, "writes a document that starts with a table");
	is_str(store_out.data, "[metadata]\ncount = 2\n", "no blank line before the first table header");
}

static void test_toml_write__refuses_what_cannot_parse_back(void)
{
	_cleanup_toml_ cnb_toml *doc = cnb__toml_new_table();
	cnb__toml_set(doc, "bad", cnb__toml_new_string("\xc0\x80"));
	_cleanup_buf_ cnb__buf out = CNB_BUF_INIT;
	cnb_error *err = NULL;
	is_int(cnb__toml_write(doc, &out, &err), CNB_EINVAL, "invalid UTF-8 refused");
	cnb__error_clear(&err);

	_cleanup_toml_ cnb_toml *deep = cnb__toml_new_table();
	cnb_toml *t = deep;
	for (int i = 0; i < CNB_TOML_MAX_DEPTH + 1; i++) {
		cnb_toml *child = cnb__toml_new_table();
		cnb__toml_set(t, "a", child);
		t = child;
	}
	cnb__buf_reset(&out);
	is_int(cnb__toml_write(deep, &out, &err), CNB_EINVAL, "a tree deeper than the parser accepts is refused");
	cnb__error_clear(&err);
	ok(cnb__toml_new_datetime(CNB_TOML_DATE_LOCAL, "2001-02-29") == NULL, "invalid date refused by the constructor");
	ok(cnb__toml_new_datetime(CNB_TOML_DATETIME, "2001-02-28") == NULL, "date/time of another type refused");
}

/* parse -> write -> parse must give the same tree for every valid document of toml-test. */
static void test_toml_write__round_trips_toml_test(void)
{
	const char *dir = getenv("TOML_TEST_DIR");
	_cleanup_free_ char *list_path = dir ? cnb__path_join(dir, "tests/files-toml-1.0.0") : NULL;
	_cleanup_free_ char *list = NULL;
	size_t len;
	cnb_error *err = NULL;
	if (!list_path || cnb__read_file(list_path, 1 << 20, &list, &len, &err) < 0) {
		ok(1, "# SKIP toml-test not found (TOML_TEST_DIR)");
		cnb__error_clear(&err);
		return;
	}
	int cases = 0, equal = 0;
	for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
		size_t n = strlen(line);
		if (strncmp(line, "valid/", 6) || n < 5 || strcmp(line + n - 5, ".toml"))
			continue;
		_cleanup_free_ char *rel = cnb__path_join("tests", line);
		_cleanup_free_ char *path = cnb__path_join(dir, rel);
		_cleanup_free_ char *text = NULL;
		size_t text_len;
		cnb_toml *doc = NULL;
		cases++;
		if (cnb__read_file(path, CNB_TOML_MAX_INPUT, &text, &text_len, &err) < 0 ||
		    cnb__toml_parse(&doc, text, text_len, line, &err) < 0) {
			printf("# %s: %s\n", line, cnb_error_message(err));
			cnb__error_clear(&err);
			continue;
		}
		cnb_toml *back = write_and_reparse(doc, NULL);
		if (back && cnb__toml_equal(doc, back))
			equal++;
		else
			printf("# %s: not equal after a round trip\n", line);
		cnb__toml_free(doc);
		cnb__toml_free(back);
	}
	ok(cases > 200, "%d valid cases found", cases);
	is_int(equal, cases, "every valid case round-trips");
}

int main(void)
{
	test_toml_accessors__read_values();
	test_toml_errors__name_line_and_column();
	test_toml_limits__hostile_input_refused();
	test_toml_table__many_keys();
	test_toml_write__constructed_tree_round_trips();
	test_toml_write__layout();
	test_toml_write__refuses_what_cannot_parse_back();
	test_toml_write__round_trips_toml_test();
	return tap_done();
}
