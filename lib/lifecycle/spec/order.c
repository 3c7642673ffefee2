/* Order resolution (platform.md "detector"; lifecycle phase/detector.go detectOrder, detectGroup). */
#include "order.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cnb__lifecycle_order_memo {
	char *key; /* id@version */
	cnb__lifecycle_bp_descriptor *desc;
	cnb__lifecycle_detect_run *run; /* NULL until detected */
} cnb__lifecycle_order_memo;

void cnb__lifecycle_order_resolver_free(cnb__lifecycle_order_resolver *r)
{
	for (size_t i = 0; i < r->n_memo; i++) {
		free(r->memo[i].key);
		cnb__lifecycle_bp_descriptor_free(r->memo[i].desc);
		if (r->memo[i].run)
			cnb__lifecycle_detect_run_free(r->memo[i].run);
		free(r->memo[i].run);
	}
	free(r->memo);
	for (size_t i = 0; i < r->n_elems; i++) {
		cnb__lifecycle_group_elem_free(r->elems[i]);
		free(r->elems[i]);
	}
	free(r->elems);
	for (size_t i = 0; i < r->n_extra_runs; i++) {
		cnb__lifecycle_detect_run_free(r->extra_runs[i]);
		free(r->extra_runs[i]);
	}
	free(r->extra_runs);
	r->memo = NULL;
	r->elems = NULL;
	r->extra_runs = NULL;
	r->n_memo = r->n_elems = r->n_extra_runs = 0;
}

static void __attribute__((format(printf, 3, 4))) logf_(cnb__lifecycle_order_resolver *r, bool debug, const char *fmt, ...)
{
	if (!r->ops.log)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *line = cnb__vformat(fmt, ap);
	va_end(ap);
	if (line)
		r->ops.log(r->ops.ud, debug, line);
	free(line);
}

/* "======== <what>: id@version ========" and `text` line by line. */
static void log_block(cnb__lifecycle_order_resolver *r, bool debug, const char *what, const cnb__lifecycle_group_elem *e,
		      const char *text)
{
	logf_(r, debug, "======== %s: %s@%s ========", what, e->id, e->version);
	for (const char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		logf_(r, debug, "%.*s", nl ? (int)(nl - line) : (int)strlen(line), line);
	}
}

static int grow(void *arrayp, size_t n, size_t size)
{
	void **array = arrayp;
	void *grown = realloc(*array, (n + 1) * size);
	if (!grown)
		return -1;
	*array = grown;
	return 0;
}

/* Where the order-extensions go in a top-level group: only its address matters. */
static const cnb__lifecycle_order_elem extensions_marker;

static int lookup(cnb__lifecycle_order_resolver *r, const cnb__lifecycle_order_elem *el, cnb__lifecycle_order_memo **out, cnb_error **err)
{
	/* Memoized per kind and id@version (lifecycle phase/detector.go keyFor). */
	_cleanup_free_ char *key = NULL;
	if (asprintf(&key, "%s %s@%s", el->extension ? "extension" : "buildpack", el->id, el->version) < 0)
		key = NULL;
	if (!key)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->n_memo; i++)
		if (!strcmp(r->memo[i].key, key)) {
			*out = &r->memo[i];
			return 0;
		}
	cnb__lifecycle_bp_descriptor *desc = NULL;
	int rc = r->ops.load(r->ops.ud, el->id, el->version, el->extension, &desc, err);
	if (rc)
		return rc;
	if (grow(&r->memo, r->n_memo, sizeof(*r->memo)) < 0) {
		cnb__lifecycle_bp_descriptor_free(desc);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	*out = &r->memo[r->n_memo++];
	**out = (cnb__lifecycle_order_memo){ TAKE_PTR(key), desc, NULL };
	return 0;
}

/* A per-occurrence group element (optional differs between occurrences). */
static cnb__lifecycle_group_elem *new_elem(cnb__lifecycle_order_resolver *r, const cnb__lifecycle_bp_descriptor *d, bool optional)
{
	cnb__lifecycle_group_elem *e = calloc(1, sizeof(*e));
	if (!e || grow(&r->elems, r->n_elems, sizeof(*r->elems)) < 0) {
		free(e);
		return NULL;
	}
	r->elems[r->n_elems++] = e;
	e->id = strdup(d->id);
	e->version = strdup(d->version);
	e->api = strdup(d->api_text);
	e->homepage = strdup(d->homepage);
	e->optional = optional;
	e->extension = d->extension;
	return e->id && e->version && e->api && e->homepage ? e : NULL;
}

/* The result of a buildpack the lifecycle itself rejected without running it. */
static cnb__lifecycle_detect_run *new_error_run(cnb__lifecycle_order_resolver *r, const char *why)
{
	cnb__lifecycle_detect_run *run = calloc(1, sizeof(*run));
	if (!run || grow(&r->extra_runs, r->n_extra_runs, sizeof(*r->extra_runs)) < 0) {
		free(run);
		return NULL;
	}
	r->extra_runs[r->n_extra_runs++] = run;
	run->code = CNB_DETECT_ERROR;
	run->error = strdup(why);
	return run->error ? run : NULL;
}

typedef struct elem_list {
	const cnb__lifecycle_order_elem **v;
	size_t n;
} elem_list;

typedef struct done_list {
	cnb__lifecycle_plan_input *v;
	size_t n;
} done_list;

static int detect_order(cnb__lifecycle_order_resolver *r, const cnb__lifecycle_order *order, const done_list *done, elem_list next,
			bool optional, const cnb__lifecycle_order_elem *head, cnb__lifecycle_group_status *status, cnb__lifecycle_plan_result *out,
			cnb_error **err);

/* The group's detect output, then its results: passes and fails at debug level, errors at info. */
static void log_results(cnb__lifecycle_order_resolver *r, const done_list *done)
{
	for (size_t i = 0; i < done->n; i++) {
		const cnb__lifecycle_detect_run *run = done->v[i].run;
		bool debug = run->code == CNB_DETECT_PASS || run->code == CNB_DETECT_FAIL;
		if (run->output && *run->output)
			log_block(r, debug, "Output", done->v[i].elem, run->output);
		if (run->code == CNB_DETECT_ERROR)
			log_block(r, debug, "Error", done->v[i].elem, run->error ? run->error : "bin/detect failed");
	}
	logf_(r, true, "======== Results ========");
	for (size_t i = 0; i < done->n; i++) {
		const cnb__lifecycle_group_elem *e = done->v[i].elem;
		const cnb__lifecycle_detect_run *run = done->v[i].run;
		if (run->code == CNB_DETECT_PASS)
			logf_(r, true, "pass: %s@%s", e->id, e->version);
		else if (run->code == CNB_DETECT_FAIL)
			logf_(r, true, "%s: %s@%s", e->optional ? "skip" : "fail", e->id, e->version);
		else if (run->code == CNB_DETECT_ERROR)
			logf_(r, false, "err:  %s@%s", e->id, e->version);
		else
			logf_(r, false, "err:  %s@%s (%d)", e->id, e->version, run->code);
	}
}

static int resolve_group(cnb__lifecycle_order_resolver *r, const done_list *done, cnb__lifecycle_group_status *status,
			 cnb__lifecycle_plan_result *out, cnb_error **err)
{
	_cleanup_buf_ cnb__buf why = CNB_BUF_INIT;
	log_results(r, done);
	int rc = cnb__lifecycle_plan_resolve(done->v, done->n, status, out, &why, err);
	if (rc)
		return rc;
	for (char *line = why.data, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		logf_(r, true, "%s", line);
	}
	return 0;
}

/* De-duplication is by kind and ID, not version (lifecycle phase/detector.go hasIDForKind). */
static bool done_has(const done_list *done, const cnb__lifecycle_order_elem *el)
{
	for (size_t i = 0; i < done->n; i++)
		if (done->v[i].elem->extension == el->extension && !strcmp(done->v[i].elem->id, el->id))
			return true;
	return false;
}

/* Whether the sequential walk would run `m`'s detection for `el` (platform.md "detector" detectGroup). */
static bool would_detect(const cnb__lifecycle_order_resolver *r, const cnb__lifecycle_order_elem *el, const cnb__lifecycle_bp_descriptor *desc)
{
	if (r->run_target && !cnb__lifecycle_bp_target_matches(desc, r->run_target) && !el->optional)
		return false;
	return !(r->exec_env && cnb__lifecycle_api_at_least(desc->api, 0, 12) && !cnb__lifecycle_bp_exec_env_allows(desc, r->exec_env));
}

/*
 * Starts the detection of the group's buildpacks up to its first composite all at once (the
 * reference runs a group's detects in parallel). Only fills the memo: the sequential walk below
 * then finds every result. A lookup error stops the prefetch; the walk reports it in order.
 */
static int prefetch(cnb__lifecycle_order_resolver *r, elem_list group, const done_list *done, cnb_error **err)
{
	if (!r->ops.detect_many || group.n < 2)
		return 0;
	_cleanup_free_ const cnb__lifecycle_bp_descriptor **bps = calloc(group.n, sizeof(*bps));
	_cleanup_free_ cnb__lifecycle_detect_run **runs = calloc(group.n, sizeof(*runs));
	if (!bps || !runs)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < group.n; i++) {
		const cnb__lifecycle_order_elem *el = group.v[i];
		if (el == &extensions_marker)
			break;
		bool seen = done_has(done, el);
		for (size_t j = 0; j < i && !seen; j++)
			seen = group.v[j]->extension == el->extension && !strcmp(group.v[j]->id, el->id);
		if (seen)
			continue;
		cnb__lifecycle_order_memo *m = NULL;
		cnb_error *lookup_err = NULL;
		if (lookup(r, el, &m, &lookup_err)) {
			cnb_error_free(lookup_err);
			break;
		}
		if (m->desc->order.n)
			break;
		if (m->run || !would_detect(r, el, m->desc))
			continue;
		/* Heap pointers only: `m` itself moves when the memo grows. */
		if (!(m->run = calloc(1, sizeof(*m->run))))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		bps[n] = m->desc;
		runs[n++] = m->run;
	}
	return n ? r->ops.detect_many(r->ops.ud, bps, runs, n, err) : 0;
}

static int detect_group(cnb__lifecycle_order_resolver *r, elem_list group, const done_list *done_in,
			cnb__lifecycle_group_status *status, cnb__lifecycle_plan_result *out, cnb_error **err)
{
	/* `done` is a value in the reference: each alternative starts from the caller's list. */
	done_list done = { calloc(done_in->n + group.n + 1, sizeof(cnb__lifecycle_plan_input)), done_in->n };
	_cleanup_free_ cnb__lifecycle_plan_input *owned = done.v;
	if (!owned)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (done_in->n)
		memcpy(done.v, done_in->v, done_in->n * sizeof(*done.v));
	int rc = prefetch(r, group, &done, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < group.n; i++) {
		const cnb__lifecycle_order_elem *el = group.v[i];
		if (el == &extensions_marker) {
			elem_list next = { group.v + i + 1, group.n - i - 1 };
			return detect_order(r, r->extensions, &done, next, true, NULL, status, out, err);
		}
		if (done_has(&done, el))
			continue;
		cnb__lifecycle_order_memo *m = NULL;
		if ((rc = lookup(r, el, &m, err)))
			return rc;
		if (m->desc->order.n) {
			elem_list next = { group.v + i + 1, group.n - i - 1 };
			return detect_order(r, &m->desc->order, &done, next, el->optional, NULL, status, out, err);
		}
		cnb__lifecycle_group_elem *elem = new_elem(r, m->desc, el->optional);
		if (!elem)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		const cnb__lifecycle_detect_run *run = NULL;
		if (r->run_target && !cnb__lifecycle_bp_target_matches(m->desc, r->run_target) && !el->optional) {
			run = new_error_run(r, "no [[targets]] entry matches the run image");
			if (!run)
				return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		} else if (r->exec_env && cnb__lifecycle_api_at_least(m->desc->api, 0, 12) &&
			   !cnb__lifecycle_bp_exec_env_allows(m->desc, r->exec_env)) {
			logf_(r, true, "skip: %s@%s is not for exec-env %s", el->id, el->version, r->exec_env);
			continue;
		} else {
			if (!m->run) {
				if (!(m->run = calloc(1, sizeof(*m->run))))
					return cnb__error_set(err, CNB_ENOMEM, "out of memory");
				rc = r->ops.detect(r->ops.ud, m->desc, m->run, err);
				if (rc)
					return rc;
			}
			run = m->run;
		}
		done.v[done.n++] = (cnb__lifecycle_plan_input){ elem, run };
	}
	return resolve_group(r, &done, status, out, err);
}

/* `head` (or NULL) goes before each group's elements: the order-extensions marker at the top level. */
static int detect_order(cnb__lifecycle_order_resolver *r, const cnb__lifecycle_order *order, const done_list *done, elem_list next,
			bool optional, const cnb__lifecycle_order_elem *head, cnb__lifecycle_group_status *status, cnb__lifecycle_plan_result *out,
			cnb_error **err)
{
	bool errored = false;
	for (size_t g = 0; g < order->n; g++) {
		const cnb__lifecycle_order_group *og = &order->groups[g];
		size_t h = head ? 1 : 0;
		_cleanup_free_ const cnb__lifecycle_order_elem **v = calloc(h + og->n + next.n + 1, sizeof(*v));
		if (!v)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (head)
			v[0] = head;
		for (size_t i = 0; i < og->n; i++)
			v[h + i] = &og->elems[i];
		if (next.n)
			memcpy(v + h + og->n, next.v, next.n * sizeof(*v));
		elem_list group = { v, h + og->n + next.n };
		int rc = detect_group(r, group, done, status, out, err);
		if (rc || *status == CNB_GROUP_PASSED)
			return rc;
		errored |= *status == CNB_GROUP_ERRORED;
	}
	if (optional)
		return detect_group(r, next, done, status, out, err);
	*status = errored ? CNB_GROUP_ERRORED : CNB_GROUP_FAILED;
	return 0;
}

int cnb__lifecycle_order_resolve(cnb__lifecycle_order_resolver *r, const cnb__lifecycle_order *order, cnb__lifecycle_group_status *status,
		       cnb__lifecycle_plan_result *out, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	done_list none = { NULL, 0 };
	elem_list no_next = { NULL, 0 };
	bool extensions = r->extensions && r->extensions->n;
	return detect_order(r, order, &none, no_next, false, extensions ? &extensions_marker : NULL, status, out, err);
}
