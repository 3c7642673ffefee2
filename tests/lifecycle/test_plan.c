/* Unit tests of build plan resolution (lib/lifecycle/spec/plan.c; platform.md "detector"). */
#include "lib/common/cleanup.h"
#include "lib/lifecycle/spec/plan.h"
#include "tests/lib/tap.h"

#include <stdarg.h>

/* Test fixtures: options written as "provides a,b|requires c" strings, one per option. */
typedef struct fixture {
	cnb__group_elem elem;
	cnb__detect_run run;
} fixture;

static char **split(const char *list, size_t *n)
{
	*n = 0;
	char **v = calloc(8, sizeof(*v));
	if (!list || !*list)
		return v;
	char *copy = strdup(list), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		v[(*n)++] = strdup(t);
	free(copy);
	return v;
}

/* opts: pairs of (provides, requires) comma lists, terminated by NULL. */
static void fx_init(fixture *f, const char *id, bool optional, int code, ...)
{
	memset(f, 0, sizeof(*f));
	f->elem.id = strdup(id);
	f->elem.version = strdup("1.0");
	f->elem.optional = optional;
	f->run.code = code;
	f->run.options = calloc(8, sizeof(cnb__plan_option));
	va_list ap;
	va_start(ap, code);
	for (const char *prov; (prov = va_arg(ap, const char *));) {
		const char *req = va_arg(ap, const char *);
		cnb__plan_option *o = &f->run.options[f->run.n_options++];
		o->provides = split(prov, &o->n_provides);
		size_t n = 0;
		char **names = split(req, &n);
		o->requires = calloc(8, sizeof(*o->requires));
		for (size_t i = 0; i < n; i++)
			o->requires[o->n_requires++].name = names[i];
		free(names);
	}
	va_end(ap);
}

static void fx_free(fixture *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cnb__group_elem_free(&f[i].elem);
		cnb__detect_run_free(&f[i].run);
	}
}

/* Resolves and renders "group=a,b plan=name:p1+p2<r" for compact assertions. */
static char *resolve(fixture *f, size_t n, cnb__group_status *status)
{
	cnb__plan_input in[16];
	for (size_t i = 0; i < n; i++)
		in[i] = (cnb__plan_input){ &f[i].elem, &f[i].run };
	cnb__plan_result res;
	cnb_error *err = NULL;
	cnb__buf out = CNB_BUF_INIT;
	if (cnb__plan_resolve(in, n, status, &res, NULL, &err)) {
		cnb_error_free(err);
		return strdup("error");
	}
	if (*status != CNB_GROUP_PASSED)
		return strdup(*status == CNB_GROUP_FAILED ? "failed" : "errored");
	cnb__buf_puts(&out, "group=");
	for (size_t i = 0; i < res.n_group; i++)
		cnb__buf_printf(&out, "%s%s", i ? "," : "", res.group[i]->id);
	cnb__buf_puts(&out, " plan=");
	for (size_t i = 0; i < res.n_entries; i++) {
		cnb__buf_printf(&out, "%s%s:", i ? ";" : "", res.entries[i].name);
		for (size_t p = 0; p < res.entries[i].n_providers; p++)
			cnb__buf_printf(&out, "%s%s", p ? "+" : "", res.entries[i].providers[p]->id);
		cnb__buf_printf(&out, "<%zu", res.entries[i].n_requires);
	}
	cnb__plan_result_free(&res);
	return cnb__buf_steal(&out);
}

#define CHECK(f, n, want, ...)                                    \
	do {                                                      \
		cnb__group_status st_;                            \
		char *got_ = resolve(f, n, &st_);                 \
		is_str(got_, want, __VA_ARGS__);                  \
		free(got_);                                       \
		fx_free(f, n);                                    \
	} while (0)

static void test_lifecycle_plan__provide_then_require(void)
{
	fixture f[2];
	fx_init(&f[0], "node", false, 0, "node", "", NULL);
	fx_init(&f[1], "npm", false, 0, "", "node", NULL);
	CHECK(f, 2, "group=node,npm plan=node:node<1", "a later buildpack's require meets an earlier provide");
}

static void test_lifecycle_plan__self_provide_require(void)
{
	fixture f[1];
	fx_init(&f[0], "go", false, 0, "go", "go", NULL);
	CHECK(f, 1, "group=go plan=go:go<1", "a buildpack may require what it provides itself");
}

static void test_lifecycle_plan__require_before_provide_fails(void)
{
	fixture f[2];
	fx_init(&f[0], "npm", false, 0, "", "node", NULL);
	fx_init(&f[1], "node", false, 0, "node", "", NULL);
	CHECK(f, 2, "failed", "a require with no earlier provider is unmet");
}

static void test_lifecycle_plan__unused_provide_fails(void)
{
	fixture f[1];
	fx_init(&f[0], "node", false, 0, "node", "", NULL);
	CHECK(f, 1, "failed", "a provide nobody requires fails a required buildpack");
}

static void test_lifecycle_plan__optional_unmet_is_dropped(void)
{
	fixture f[2];
	fx_init(&f[0], "a", false, 0, "", "", NULL);
	fx_init(&f[1], "b", true, 0, "", "missing", NULL);
	CHECK(f, 2, "group=a plan=", "an optional buildpack with an unmet require leaves the group");
}

static void test_lifecycle_plan__or_alternative_fallback(void)
{
	fixture f[2];
	/* Top level needs "x" (nobody provides it); the [[or]] alternative provides "y" that b requires. */
	fx_init(&f[0], "a", false, 0, "", "x", "y", "", NULL);
	fx_init(&f[1], "b", false, 0, "", "y", NULL);
	CHECK(f, 2, "group=a,b plan=y:a<1", "the first resolving trial, from an [[or]] alternative, wins");
}

static void test_lifecycle_plan__or_first_option_preferred(void)
{
	fixture f[2];
	fx_init(&f[0], "a", false, 0, "y", "", "z", "", NULL);
	fx_init(&f[1], "b", false, 0, "", "y", "", "z", NULL);
	CHECK(f, 2, "group=a,b plan=y:a<1", "trials go depth-first, left to right: top levels first");
}

static void test_lifecycle_plan__optional_only_in_last_option(void)
{
	fixture f[2];
	/* b is optional: its top level (unmet) must not drop it; the [[or]] option resolves. */
	fx_init(&f[0], "a", false, 0, "q", "", NULL);
	fx_init(&f[1], "b", true, 0, "", "nothing", "", "q", NULL);
	CHECK(f, 2, "group=a,b plan=q:a<1", "an optional element is only removable in its last option");
}

static void test_lifecycle_plan__required_failure_fails_group(void)
{
	fixture f[2];
	fx_init(&f[0], "a", false, 0, "", "", NULL);
	fx_init(&f[1], "b", false, 100, "", "", NULL);
	CHECK(f, 2, "failed", "a required buildpack that fails detection fails the group");
}

static void test_lifecycle_plan__required_error_errors_group(void)
{
	fixture f[2];
	fx_init(&f[0], "a", false, 0, "", "", NULL);
	fx_init(&f[1], "b", false, 3, "", "", NULL);
	CHECK(f, 2, "errored", "a required buildpack that errors makes the group errored (exit 21)");
}

static void test_lifecycle_plan__optional_failure_is_skipped(void)
{
	fixture f[3];
	fx_init(&f[0], "a", false, 0, "", "", NULL);
	fx_init(&f[1], "b", true, 100, "", "", NULL);
	fx_init(&f[2], "c", true, 7, "", "", NULL);
	CHECK(f, 3, "group=a plan=", "failing or erroring optional buildpacks are left out");
}

static void test_lifecycle_plan__no_passing_buildpack_fails(void)
{
	fixture f[1];
	fx_init(&f[0], "a", true, 100, "", "", NULL);
	CHECK(f, 1, "failed", "a group needs at least one passing buildpack");
}

static void test_lifecycle_plan__providers_collected(void)
{
	fixture f[3];
	fx_init(&f[0], "a", false, 0, "n", "", NULL);
	fx_init(&f[1], "b", false, 0, "n", "", NULL);
	fx_init(&f[2], "c", false, 0, "", "n", NULL);
	CHECK(f, 3, "group=a,b,c plan=n:a+b<1", "every provider before the require is in providers");
}

static void test_lifecycle_plan__multiple_requires_one_entry(void)
{
	fixture f[3];
	fx_init(&f[0], "a", false, 0, "n", "n", NULL);
	fx_init(&f[1], "b", false, 0, "", "n", NULL);
	fx_init(&f[2], "c", false, 0, "", "", NULL);
	CHECK(f, 3, "group=a,b,c plan=n:a<2", "all requires of a name share one entry");
}

static void test_lifecycle_plan__why_names_the_requirement(void)
{
	fixture f[2];
	fx_init(&f[0], "npm", false, 0, "", "node", NULL);
	fx_init(&f[1], "tool", false, 0, "t", "", NULL);
	cnb__plan_input in[2] = { { &f[0].elem, &f[0].run }, { &f[1].elem, &f[1].run } };
	cnb__plan_result res;
	cnb__group_status st;
	_cleanup_buf_ cnb__buf why = CNB_BUF_INIT;
	cnb__plan_resolve(in, 2, &st, &res, &why, NULL);
	ok(why.data && strstr(why.data, "fail: npm@1.0 requires \"node\", which no earlier buildpack provides"),
	   "the reason names the buildpack and the unmet requirement");
	fx_free(f, 2);
}

int main(void)
{
	test_lifecycle_plan__provide_then_require();
	test_lifecycle_plan__self_provide_require();
	test_lifecycle_plan__require_before_provide_fails();
	test_lifecycle_plan__unused_provide_fails();
	test_lifecycle_plan__optional_unmet_is_dropped();
	test_lifecycle_plan__or_alternative_fallback();
	test_lifecycle_plan__or_first_option_preferred();
	test_lifecycle_plan__optional_only_in_last_option();
	test_lifecycle_plan__required_failure_fails_group();
	test_lifecycle_plan__required_error_errors_group();
	test_lifecycle_plan__optional_failure_is_skipped();
	test_lifecycle_plan__no_passing_buildpack_fails();
	test_lifecycle_plan__providers_collected();
	test_lifecycle_plan__multiple_requires_one_entry();
	test_lifecycle_plan__why_names_the_requirement();
	return tap_done();
}
