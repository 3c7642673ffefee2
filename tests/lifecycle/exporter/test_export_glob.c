/* Unit tests of the exporter's slice globs: Go path/filepath.Match semantics and filepath.Clean. */
#include "lib/common/cleanup.h"
#include "lib/lifecycle/exporter/export-internal.h"
#include "tests/lib/tap.h"

typedef struct glob_case {
	const char *pattern, *name;
	int want; /* 1 match, 0 no match, -1 bad pattern */
} glob_case;

static void check_cases(const glob_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		is_int(cnb__lifecycle_export_glob_match(cases[i].pattern, cases[i].name), cases[i].want, "Match(%s, %s)",
		       cases[i].pattern, cases[i].name);
}

static void test_export_glob__star_stays_in_one_component(void)
{
	static const glob_case cases[] = {
		{ "*", "abc", 1 },          { "*", "a/b", 0 },          { "public/*", "public/x.css", 1 },
		{ "public/*", "public/a/b", 0 }, { "*/*.js", "src/app.js", 1 }, { "*.js", "src/app.js", 0 },
		{ "a*b", "axxb", 1 },       { "a*b", "a/b", 0 },        { "a*/b", "abc/b", 1 },
		{ "a*b*c*d*e*/f", "axbxcxdxe/f", 1 }, { "a*b*c*d*e*/f", "axbxcxdxexxx/f", 1 },
		{ "a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0 }, { "a*b?c*x", "abxbbxdbxebxczzx", 1 },
		{ "a*b?c*x", "abxbbxdbxebxczzy", 0 }, { "*x", "xxx", 1 },  { "", "", 1 }, { "", "a", 0 },
		{ "*", "", 1 },             { "**", "a/b", 0 },
	};
	check_cases(cases, CNB_ARRAY_SIZE(cases));
}

static void test_export_glob__question_and_classes(void)
{
	static const glob_case cases[] = {
		{ "a?c", "abc", 1 },       { "a?c", "a/c", 0 },       { "?", "é", 1 },
		{ "[abc]", "b", 1 },       { "[^abc]", "b", 0 },      { "[^abc]", "d", 1 },
		{ "[a-c]x", "bx", 1 },     { "[a-c]x", "dx", 0 },     { "a[!b]c", "a!c", 1 },
		{ "[\\-]", "-", 1 },       { "[x\\-]", "z", 0 },      { "[\\]a]", "]", 1 },
		{ "[α-ω]", "λ", 1 },       { "[^a-c]", "/", 1 },
	};
	check_cases(cases, CNB_ARRAY_SIZE(cases));
}

static void test_export_glob__escapes(void)
{
	static const glob_case cases[] = {
		{ "a\\*b", "a*b", 1 }, { "a\\*b", "axb", 0 }, { "\\?", "?", 1 }, { "\\?", "x", 0 },
		{ "a\\[b", "a[b", 1 },
	};
	check_cases(cases, CNB_ARRAY_SIZE(cases));
}

static void test_export_glob__bad_patterns(void)
{
	static const glob_case cases[] = {
		{ "[", "a", -1 },   { "[^", "a", -1 },  { "[]a]", "]", -1 }, { "[-]", "-", -1 },
		{ "[x-]", "x", -1 }, { "[a-b-c]", "a", -1 }, { "a\\", "a", -1 }, { "[", "", -1 },
		/* the rest of a pattern is checked even when the start already failed (Go does) */
		{ "x*[", "y", -1 },  { "*x", "", 0 },
	};
	check_cases(cases, CNB_ARRAY_SIZE(cases));
}

static void test_export_glob__clean(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "public/", "public" },   { "./public/*", "public/*" }, { "a//b", "a/b" },
		{ "a/../b", "b" },         { "../x", "../x" },           { "a/../../x", "../x" },
		{ "", "." },               { ".", "." },                 { "/a/../..", "/" },
		{ "../../a/..", "../.." }, { "a/./b/", "a/b" },
	};
	for (size_t i = 0; i < CNB_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = cnb__lifecycle_export_path_clean(cases[i].in);
		is_str(got, cases[i].want, "Clean(%s)", cases[i].in);
	}
}

int main(void)
{
	test_export_glob__star_stays_in_one_component();
	test_export_glob__question_and_classes();
	test_export_glob__escapes();
	test_export_glob__bad_patterns();
	test_export_glob__clean();
	return tap_done();
}
