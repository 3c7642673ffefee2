/* Unit tests of build plan resolution (lib/lifecycle/spec/plan.c; platform.md "detector"). */
#include "lib/common/cleanup.h"
#include "lib/lifecycle/spec/plan.h"
#include "tests/lib/tap.h"

#include <stdarg.h>

/* Test fixtures: options written as "provides a,b|requires c" strings, one per option. */
typedef struct fixture {
	cnb__lifecycle_group_elem elem;
	cnb__lifecycle_detect_run run;
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

static void fx_elem(fixture *f, const char *id, bool optional, int code)
{
	memset(f, 0, sizeof(*f));
	f->elem.id = strdup(id);
	f->elem.version = strdup("1.0");
	f->elem.optional = optional;
	f->run.code = code;
	f->run.options = calloc(8, sizeof(cnb__lifecycle_plan_option));
}

/* One more option ([[or]] alternative) of provides and requires, as comma lists. */
static void fx_option(fixture *f, const char *prov, const char *req)
{
	cnb__lifecycle_plan_option *o = &f->run.options[f->run.n_options++];
	o->provides = split(prov, &o->n_provides);
	size_t n = 0;
	char **names = split(req, &n);
	o->requires = calloc(8, sizeof(*o->requires));
	for (size_t i = 0; i < n; i++)
		o->requires[o->n_requires++].name = names[i];
	free(names);
}

/* opts: pairs of (provides, requires) comma lists, terminated by NULL. */
static void fx_init(fixture *f, const char *id, bool optional, int code, ...)
{
	fx_elem(f, id, optional, code);
	va_list ap;
	va_start(ap, code);
	for (const char *prov; (prov = va_arg(ap, const char *));)
		fx_option(f, prov, va_arg(ap, const char *));
	va_end(ap);
}

/* A group as text, elements separated by ';': "ID[?] CODE OPTION[|OPTION...]", where "?" marks an
 * optional element, CODE is its detect exit code and an OPTION is "PROVIDES>REQUIRES" (comma lists,
 * either may be empty). Returns the number of elements. */
static size_t fx_parse(fixture *f, size_t max, const char *group)
{
	char *copy = strdup(group), *save = NULL;
	size_t n = 0;
	for (char *e = strtok_r(copy, ";", &save); e && n < max; e = strtok_r(NULL, ";", &save), n++) {
		char id[32], options[128];
		int code;
		if (sscanf(e, " %31s %d %127s", id, &code, options) != 3)
			abort(); /* a typo in the table */
		size_t len = strlen(id);
		bool optional = id[len - 1] == '?';
		id[len - optional] = '\0';
		fx_elem(&f[n], id, optional, code);
		char *osave = NULL;
		for (char *o = strtok_r(options, "|", &osave); o; o = strtok_r(NULL, "|", &osave)) {
			char *req = strchr(o, '>');
			if (!req)
				abort();
			*req++ = '\0';
			fx_option(&f[n], o, req);
		}
	}
	free(copy);
	return n;
}

static void fx_free(fixture *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cnb__lifecycle_group_elem_free(&f[i].elem);
		cnb__lifecycle_detect_run_free(&f[i].run);
	}
}

/* Resolves and renders "group=a,b plan=name:p1+p2<r" for compact assertions. */
static char *resolve(fixture *f, size_t n, cnb__lifecycle_group_status *status)
{
	cnb__lifecycle_plan_input in[16];
	for (size_t i = 0; i < n; i++)
		in[i] = (cnb__lifecycle_plan_input){ &f[i].elem, &f[i].run };
	cnb__lifecycle_plan_result res;
	cnb_error *err = NULL;
	cnb__buf out = CNB_BUF_INIT;
	if (cnb__lifecycle_plan_resolve(in, n, status, &res, NULL, &err)) {
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
	cnb__lifecycle_plan_result_free(&res);
	return cnb__buf_steal(&out);
}

#define CHECK(f, n, want, ...)                                    \
	do {                                                      \
		cnb__lifecycle_group_status st_;                            \
		char *got_ = resolve(f, n, &st_);                 \
		is_str(got_, want, __VA_ARGS__);                  \
		free(got_);                                       \
		fx_free(f, n);                                    \
	} while (0)

static void test_lifecycle_plan__resolution(void)
{
	static const char *const cases[][3] = {
		{ "node 0 node>; npm 0 >node", "group=node,npm plan=node:node<1",
		  "a later buildpack's require meets an earlier provide" },
		{ "go 0 go>go", "group=go plan=go:go<1", "a buildpack may require what it provides itself" },
		{ "npm 0 >node; node 0 node>", "failed", "a require with no earlier provider is unmet" },
		{ "node 0 node>", "failed", "a provide nobody requires fails a required buildpack" },
		{ "a 0 >; b? 0 >missing", "group=a plan=",
		  "an optional buildpack with an unmet require leaves the group" },
		/* a's top level needs "x" (nobody provides it); its [[or]] alternative provides "y" that b requires */
		{ "a 0 >x|y>; b 0 >y", "group=a,b plan=y:a<1",
		  "the first resolving trial, from an [[or]] alternative, wins" },
		{ "a 0 y>|z>; b 0 >y|>z", "group=a,b plan=y:a<1",
		  "trials go depth-first, left to right: top levels first" },
		/* b is optional: its top level (unmet) must not drop it; the [[or]] option resolves */
		{ "a 0 q>; b? 0 >nothing|>q", "group=a,b plan=q:a<1",
		  "an optional element is only removable in its last option" },
		{ "a 0 >; b 100 >", "failed", "a required buildpack that fails detection fails the group" },
		{ "a 0 >; b 3 >", "errored", "a required buildpack that errors makes the group errored (exit 21)" },
		{ "a 0 >; b? 100 >; c? 7 >", "group=a plan=", "failing or erroring optional buildpacks are left out" },
		{ "a? 100 >", "failed", "a group needs at least one passing buildpack" },
		{ "a 0 n>; b 0 n>; c 0 >n", "group=a,b,c plan=n:a+b<1",
		  "every provider before the require is in providers" },
		{ "a 0 n>n; b 0 >n; c 0 >", "group=a,b,c plan=n:a<2", "all requires of a name share one entry" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fixture f[4];
		size_t n = fx_parse(f, 4, cases[i][0]);
		CHECK(f, n, cases[i][1], "%s", cases[i][2]);
	}
}

static void test_lifecycle_plan__why_names_the_requirement(void)
{
	fixture f[2];
	fx_init(&f[0], "npm", false, 0, "", "node", NULL);
	fx_init(&f[1], "tool", false, 0, "t", "", NULL);
	cnb__lifecycle_plan_input in[2] = { { &f[0].elem, &f[0].run }, { &f[1].elem, &f[1].run } };
	cnb__lifecycle_plan_result res;
	cnb__lifecycle_group_status st;
	_cleanup_buf_ cnb__buf why = CNB_BUF_INIT;
	cnb__lifecycle_plan_resolve(in, 2, &st, &res, &why, NULL);
	ok(why.data && strstr(why.data, "fail: npm@1.0 requires \"node\", which no earlier buildpack provides"),
	   "the reason names the buildpack and the unmet requirement");
	fx_free(f, 2);
}

int main(void)
{
	test_lifecycle_plan__resolution();
	test_lifecycle_plan__why_names_the_requirement();
	return tap_done();
}
