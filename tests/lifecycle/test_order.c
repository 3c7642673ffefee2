/* Unit tests of order resolution (lib/lifecycle/spec/order.c; platform.md "detector"). */
#include "lib/lifecycle/spec/order.h"
#include "lib/common/error-internal.h"
#include "tests/lib/tap.h"

/*
 * A tiny in-memory builder: each buildpack is "id:code" (a leaf whose bin/detect exits with
 * `code` and provides/requires nothing), "id:code/p1,p2/r1,r2" (one that provides p1, p2 and
 * requires r1, r2) or "id=g1|g2" (a composite; groups are space-separated ids, a `?` suffix marks
 * optional). An image extension is written "~id:code/provides/".
 */
typedef struct world {
	const char *bps; /* "a:0;b:100;meta=a b|c" */
	int detect_calls;
	char trace[256];
} world;

/* Extensions as cnb__lifecycle_order_load leaves them: always optional. */
static void parse_group(cnb__lifecycle_order_group *g, const char *text, bool extension)
{
	char *copy = strdup(text), *save = NULL;
	g->elems = calloc(16, sizeof(*g->elems));
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		size_t len = strlen(t);
		bool opt = t[len - 1] == '?';
		g->elems[g->n++] = (cnb__lifecycle_order_elem){ strndup(t, len - opt), strdup("1"), opt || extension, extension };
	}
	free(copy);
}

static void parse_order_kind(cnb__lifecycle_order *o, const char *text, bool extension)
{
	char *copy = strdup(text), *save = NULL;
	o->groups = calloc(16, sizeof(*o->groups));
	for (char *t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save))
		parse_group(&o->groups[o->n++], t, extension);
	free(copy);
}

static void parse_order(cnb__lifecycle_order *o, const char *text)
{
	parse_order_kind(o, text, false);
}

/* The definition of `id` (malloc'd, up to the next ';'), *sep = ':' or '='; extensions are "~id". */
static char *find_bp_kind(world *w, const char *id, bool extension, char *sep)
{
	size_t len = strlen(id);
	for (const char *b = w->bps; b && *b; b = strchr(b, ';') ? strchr(b, ';') + 1 : NULL) {
		if ((*b == '~') != extension)
			continue;
		b += extension;
		if (!strncmp(b, id, len) && (b[len] == ':' || b[len] == '=')) {
			*sep = b[len];
			return strndup(b + len + 1, strcspn(b + len + 1, ";"));
		}
	}
	return NULL;
}

static int load(void *ud, const char *id, const char *version, bool extension, cnb__lifecycle_bp_descriptor **out,
		cnb_error **err)
{
	char sep;
	char *rest = find_bp_kind(ud, id, extension, &sep);
	if (!rest)
		return cnb__error_set(err, CNB_ENOTFOUND, "buildpack %s@%s not found", id, version);
	cnb__lifecycle_bp_descriptor *d = calloc(1, sizeof(*d));
	d->id = strdup(id);
	d->version = strdup(version);
	d->api_text = strdup("0.10");
	d->api = (cnb__lifecycle_api){ 0, 10 };
	d->homepage = strdup("");
	d->any_target = true;
	d->extension = extension;
	if (sep == '=')
		parse_order(&d->order, rest);
	free(rest);
	*out = d;
	return 0;
}

/* "a,b" into a heap array of names. */
static char **names(const char *list, size_t len, size_t *n)
{
	char **v = calloc(8, sizeof(*v));
	*n = 0;
	for (const char *p = list; p < list + len;) {
		size_t k = strcspn(p, ",/");
		if (k > (size_t)(list + len - p))
			k = (size_t)(list + len - p);
		if (k)
			v[(*n)++] = strndup(p, k);
		p += k + 1;
	}
	return v;
}

static int detect(void *ud, const cnb__lifecycle_bp_descriptor *bp, cnb__lifecycle_detect_run *run, cnb_error **err)
{
	world *w = ud;
	char sep;
	char *def = find_bp_kind(w, bp->id, bp->extension, &sep);
	run->code = atoi(def);
	const char *prov = strchr(def, '/');
	if (prov) {
		const char *req = strchr(prov + 1, '/');
		run->options = calloc(1, sizeof(*run->options));
		run->n_options = 1;
		cnb__lifecycle_plan_option *o = &run->options[0];
		o->provides = names(prov + 1, req ? (size_t)(req - prov - 1) : strlen(prov + 1), &o->n_provides);
		size_t nr = 0;
		char **r = req ? names(req + 1, strlen(req + 1), &nr) : calloc(1, sizeof(char *));
		o->requires = calloc(nr + 1, sizeof(*o->requires));
		for (size_t i = 0; i < nr; i++)
			o->requires[o->n_requires++].name = r[i];
		free(r);
	}
	free(def);
	w->detect_calls++;
	snprintf(w->trace + strlen(w->trace), sizeof(w->trace) - strlen(w->trace), "%s%s ", bp->extension ? "~" : "",
		 bp->id);
	return 0;
}

/* Records each batch as "(a b ) " in the trace, then detects its members. */
static int detect_many(void *ud, const cnb__lifecycle_bp_descriptor *const *bps, cnb__lifecycle_detect_run *const *runs, size_t n,
		       cnb_error **err)
{
	world *w = ud;
	strcat(w->trace, "(");
	for (size_t i = 0; i < n; i++)
		detect(ud, bps[i], runs[i], err);
	strcat(w->trace, ") ");
	return 0;
}

static bool use_many;

/*
 * Returns "ids of the group" (extensions as "~id") / "failed" / "errored" / "error: <code>", then
 * " [name<-provider,...]" for each plan entry. `ext_text` (or NULL): the order-extensions.
 */
static char *run_order_ext(world *w, const char *order_text, const char *ext_text)
{
	cnb__lifecycle_order order = { 0 }, extensions = { 0 };
	parse_order(&order, order_text);
	if (ext_text)
		parse_order_kind(&extensions, ext_text, true);
	cnb__lifecycle_order_resolver r = { .ops = { load, detect, NULL, w, use_many ? detect_many : NULL },
				  .extensions = &extensions };
	cnb__lifecycle_group_status st;
	cnb__lifecycle_plan_result res;
	cnb_error *err = NULL;
	char buf[256] = "";
	int rc = cnb__lifecycle_order_resolve(&r, &order, &st, &res, &err);
	if (rc)
		snprintf(buf, sizeof(buf), "error: %s", cnb_error_code_name(rc));
	else if (st != CNB_GROUP_PASSED)
		snprintf(buf, sizeof(buf), "%s", st == CNB_GROUP_FAILED ? "failed" : "errored");
	else
		for (size_t i = 0; i < res.n_group; i++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s%s", i ? " " : "",
				 res.group[i]->extension ? "~" : "", res.group[i]->id);
	for (size_t i = 0; !rc && st == CNB_GROUP_PASSED && ext_text && i < res.n_entries; i++) {
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " [%s<-", res.entries[i].name);
		for (size_t p = 0; p < res.entries[i].n_providers; p++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s%s", p ? "," : "",
				 res.entries[i].providers[p]->extension ? "~" : "", res.entries[i].providers[p]->id);
		strcat(buf, "]");
	}
	if (!rc)
		cnb__lifecycle_plan_result_free(&res);
	cnb_error_free(err);
	cnb__lifecycle_order_resolver_free(&r);
	cnb__lifecycle_order_free(&order);
	cnb__lifecycle_order_free(&extensions);
	return strdup(buf);
}

static char *run_order(world *w, const char *order_text)
{
	return run_order_ext(w, order_text, NULL);
}

static world w;

static void check(const char *bps, const char *order, const char *want, const char *what)
{
	w = (world){ bps, 0, "" };
	char *got = run_order(&w, order);
	is_str(got, want, "%s", what);
	free(got);
}

static void check_ext(const char *bps, const char *order, const char *ext, const char *want, const char *what)
{
	w = (world){ bps, 0, "" };
	char *got = run_order_ext(&w, order, ext);
	is_str(got, want, "%s", what);
	free(got);
}

static void test_lifecycle_order__extension_provides_meet_requires(void)
{
	check_ext("~e:0/node/;b:0//node", "b", "e", "~e b [node<-~e]",
		  "an extension's provide meets a buildpack's require: both in the group, the extension the provider");
	is_str(w.trace, "~e b ", "the extensions are detected first");
}

static void test_lifecycle_order__extensions_selected_by_none(void)
{
	check_ext("~e:100/node/;b:0", "b", "e", "b", "an app no extension detects: the buildpacks alone (not exit 3)");
	check_ext("~e:7;b:0", "b", "e", "b", "an erroring extension is optional too");
	check_ext("~e:0/curl/;b:0", "b", "e", "b", "an extension whose provide nobody requires is dropped");
	check_ext("~e:0;b:0", "b", "e", "~e b", "an extension that provides nothing stays (generate runs)");
	check_ext("~e:0/node/;b:0//node", "b", NULL, "failed",
		  "without the order-extensions nothing provides node: the require is unmet");
}

static void test_lifecycle_order__extensions_alone_fail(void)
{
	check_ext("~e:0/node/;b:100", "b", "e", "failed", "passing extensions alone make no group (exit 20)");
	check_ext("~e:0;b:100;c:0", "b|c", "e", "~e c", "the extensions are prepended to every group of the order");
}

static void test_lifecycle_order__extension_order_groups(void)
{
	check_ext("~e1:100/node/;~e2:0/node/;b:0//node", "b", "e1|e2", "~e2 b [node<-~e2]",
		  "the order-extensions' groups are tried in turn, like a composite's");
	check_ext("~x:0/node/;x:0//node", "x", "x", "~x x [node<-~x]",
		  "an extension and a buildpack with one ID are different modules");
}

static void test_lifecycle_order__first_passing_group_wins(void)
{
	check("a:100;b:0;c:0", "a|b c|c", "b c", "the first group that passes is chosen");
	is_str(w.trace, "a b c ", "later groups are not detected once one passes");
}

/* Outcomes alone: buildpacks ("id:exit code", "meta=group|group"), order, the result, why. */
static void test_lifecycle_order__outcomes(void)
{
	static const char *const cases[][4] = {
		{ "a:100;b:100", "a|b", "failed", "no group passes: failed (exit 20)" },
		{ "a:1;b:100", "a|b", "errored", "an erroring buildpack makes the result errored (exit 21)" },
		{ "a:0;b:100", "a b?", "a", "an optional element that fails is left out" },
		{ "a:0;b:0", "a b?", "a b", "an optional element that passes stays" },
		{ "m=n|z;n=x|y;x:100;y:0;z:0", "m", "y", "composites nest" },
		{ "m=x;x:100;t:0", "m? t", "t", "an optional composite whose groups all fail vanishes" },
		{ "m=x;x:100;t:0", "m t", "failed", "a required composite whose groups all fail fails the group" },
		{ "m=ghost", "m", "error: CNB_ENOTFOUND", "a missing nested buildpack aborts (exit 22)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(cases[i][0], cases[i][1], cases[i][2], cases[i][3]);
}

static void test_lifecycle_order__meta_expands_depth_first(void)
{
	check("m=x y|z;x:100;y:0;z:0;t:0", "m t", "z t", "a composite's groups are tried with the rest of the group");
	is_str(w.trace, "x y t z ", "expanded lazily, depth first, the tail detected once (memoized)");
}

static void test_lifecycle_order__duplicates_skipped(void)
{
	check("m=a b;a:0;b:0", "a m", "a b", "an ID already in the group is skipped");
	is_int(w.detect_calls, 2, "and detected only once");
}

static void test_lifecycle_order__detect_memoized(void)
{
	check("a:0;b:100;c:0", "a b|a c", "a c", "the second group reuses a's result");
	is_int(w.detect_calls, 3, "each buildpack detected once");
}

static void test_lifecycle_order__group_detected_in_batches(void)
{
	use_many = true;
	check("a:0;b:0;m=x y|z;x:100;y:0;z:0;c:0", "a b m c", "a b z c", "with batches, the same group passes");
	is_str(w.trace, "(a b ) (x y c ) (z ) ", "a group's buildpacks up to its first composite run as one batch; "
					      "memoized results are not rerun");
	check("a:0;b:0", "a a b", "a b", "a duplicate ID in the batch is skipped");
	is_int(w.detect_calls, 2, "and detected once");
	check("a:0;ghost2:0", "a ghost", "error: CNB_ENOTFOUND", "a missing buildpack is still reported in order");
	use_many = false;
}

int main(void)
{
	test_lifecycle_order__first_passing_group_wins();
	test_lifecycle_order__outcomes();
	test_lifecycle_order__meta_expands_depth_first();
	test_lifecycle_order__duplicates_skipped();
	test_lifecycle_order__detect_memoized();
	test_lifecycle_order__group_detected_in_batches();
	test_lifecycle_order__extension_provides_meet_requires();
	test_lifecycle_order__extensions_selected_by_none();
	test_lifecycle_order__extensions_alone_fail();
	test_lifecycle_order__extension_order_groups();
	return tap_done();
}
