/*
 * Build plan resolution (platform.md "detector"; lifecycle phase/detector.go resolve,
 * runTrials, runTrial, depMap). Trials are the Cartesian product of each passed buildpack's
 * options, depth-first, left to right; the first trial that resolves wins.
 */
#include "plan.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void cnb__lifecycle_plan_option_free(cnb__lifecycle_plan_option *o)
{
	for (size_t i = 0; i < o->n_provides; i++)
		free(o->provides[i]);
	free(o->provides);
	for (size_t i = 0; i < o->n_requires; i++) {
		free(o->requires[i].name);
		cnb__toml_free(o->requires[i].metadata);
	}
	free(o->requires);
	memset(o, 0, sizeof(*o));
}

void cnb__lifecycle_detect_run_free(cnb__lifecycle_detect_run *r)
{
	for (size_t i = 0; i < r->n_options; i++)
		cnb__lifecycle_plan_option_free(&r->options[i]);
	free(r->options);
	free(r->output);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

void cnb__lifecycle_group_elem_free(cnb__lifecycle_group_elem *e)
{
	free(e->id);
	free(e->version);
	free(e->api);
	free(e->homepage);
	memset(e, 0, sizeof(*e));
}

void cnb__lifecycle_plan_result_free(cnb__lifecycle_plan_result *r)
{
	for (size_t i = 0; i < r->n_entries; i++) {
		free(r->entries[i].providers);
		free(r->entries[i].requires);
	}
	free(r->entries);
	free(r->group);
	memset(r, 0, sizeof(*r));
}

/* Appends to a heap array of pointer-sized items; 0 or -1. */
static int push(void *arrayp, size_t *n, const void *item)
{
	const void ***array = arrayp;
	const void **grown = realloc(*array, (*n + 1) * sizeof(void *));
	if (!grown)
		return -1;
	grown[(*n)++] = item;
	*array = grown;
	return 0;
}

static const cnb__lifecycle_plan_option empty_option;

/* One chosen option of one passed element. */
typedef struct trial_elem {
	const cnb__lifecycle_group_elem *elem;
	const cnb__lifecycle_plan_option *opt;
	bool optional; /* optional only in its last option (lifecycle phase/detector.go options(): el.Optional && i == len(or)) */
	bool removed;
} trial_elem;

typedef struct dep {
	const char *name;
	const trial_elem **providers, **extra, **early;
	size_t n_providers, n_extra, n_early;
	const cnb__lifecycle_plan_require **requires;
	size_t n_requires;
} dep;

typedef struct dep_map {
	dep *deps;
	size_t n;
} dep_map;

static void dep_map_free(dep_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->deps[i].providers);
		free(m->deps[i].extra);
		free(m->deps[i].early);
		free(m->deps[i].requires);
	}
	free(m->deps);
	m->deps = NULL;
	m->n = 0;
}

static dep *dep_get(dep_map *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->deps[i].name, name))
			return &m->deps[i];
	dep *grown = realloc(m->deps, (m->n + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	m->deps = grown;
	memset(&m->deps[m->n], 0, sizeof(dep));
	m->deps[m->n].name = name;
	return &m->deps[m->n++];
}

/* Provides go in first, then requires; a require takes every pending provider (lc depMap). */
static int dep_map_build(dep_map *m, trial_elem *trial, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (trial[i].removed)
			continue;
		const cnb__lifecycle_plan_option *o = trial[i].opt;
		for (size_t p = 0; p < o->n_provides; p++) {
			dep *d = dep_get(m, o->provides[p]);
			if (!d || push(&d->extra, &d->n_extra, &trial[i]) < 0)
				return -1;
		}
		for (size_t r = 0; r < o->n_requires; r++) {
			dep *d = dep_get(m, o->requires[r].name);
			if (!d)
				return -1;
			for (size_t e = 0; e < d->n_extra; e++)
				if (push(&d->providers, &d->n_providers, d->extra[e]) < 0)
					return -1;
			d->n_extra = 0;
			int rc = d->n_providers ? push(&d->requires, &d->n_requires, &o->requires[r])
						: push(&d->early, &d->n_early, &trial[i]);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

/* An unmet require or unused provide: drops an optional element, fails a required one. */
static bool drop_or_fail(trial_elem *t, const char *what, const char *name, cnb__buf *why)
{
	if (why)
		cnb__buf_printf(why, "%s: %s@%s %s \"%s\", which %s\n", t->optional ? "skip" : "fail", t->elem->id,
				t->elem->version, what, name,
				strcmp(what, "requires") ? "no later buildpack requires" : "no earlier buildpack provides");
	if (!t->optional)
		return false;
	/* Each element is one trial_elem; removing it drops all of its provides and requires. */
	((trial_elem *)t)->removed = true;
	return true;
}

/* 1 = resolved (m holds the final map), 0 = trial failed, -1 = OOM. */
static int run_trial(trial_elem *trial, size_t n, dep_map *m, cnb__buf *why)
{
	for (bool retry = true; retry;) {
		retry = false;
		dep_map_free(m);
		if (dep_map_build(m, trial, n) < 0)
			return -1;
		for (size_t i = 0; i < m->n; i++)
			for (size_t e = 0; e < m->deps[i].n_early; e++) {
				retry = true;
				if (!drop_or_fail((trial_elem *)m->deps[i].early[e], "requires", m->deps[i].name, why))
					return 0;
			}
		for (size_t i = 0; i < m->n; i++)
			for (size_t e = 0; e < m->deps[i].n_extra; e++) {
				retry = true;
				if (!drop_or_fail((trial_elem *)m->deps[i].extra[e], "provides", m->deps[i].name,
						  why))
					return 0;
			}
	}
	for (size_t i = 0; i < n; i++)
		if (!trial[i].removed)
			return 1;
	if (why)
		cnb__buf_puts(why, "fail: no buildpack left in the group\n");
	return 0;
}

typedef struct trials {
	const cnb__lifecycle_plan_input **passed;
	size_t n;
	trial_elem *chosen; /* the prefix under construction */
	trial_elem *work;   /* a scratch copy a trial may mark removed */
	dep_map map;
	cnb__buf *why;
} trials;

static int run_trials_from(trials *t, size_t depth)
{
	if (depth == t->n) {
		memcpy(t->work, t->chosen, t->n * sizeof(*t->work));
		return run_trial(t->work, t->n, &t->map, t->why);
	}
	const cnb__lifecycle_plan_input *in = t->passed[depth];
	size_t n_opts = in->run->n_options ? in->run->n_options : 1;
	for (size_t i = 0; i < n_opts; i++) {
		t->chosen[depth] = (trial_elem){
			.elem = in->elem,
			.opt = in->run->n_options ? &in->run->options[i] : &empty_option,
			.optional = in->elem->optional && i == n_opts - 1,
		};
		int rc = run_trials_from(t, depth + 1);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int fill_result(const trials *t, cnb__lifecycle_plan_result *out)
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->work[i].removed && push(&out->group, &out->n_group, t->work[i].elem) < 0)
			return -1;
	if (t->map.n && !(out->entries = calloc(t->map.n, sizeof(*out->entries))))
		return -1;
	for (size_t i = 0; i < t->map.n; i++) {
		const dep *d = &t->map.deps[i];
		cnb__lifecycle_plan_entry *e = &out->entries[out->n_entries++];
		e->name = d->name;
		for (size_t p = 0; p < d->n_providers; p++)
			if (push(&e->providers, &e->n_providers, d->providers[p]->elem) < 0)
				return -1;
		for (size_t r = 0; r < d->n_requires; r++)
			if (push(&e->requires, &e->n_requires, d->requires[r]) < 0)
				return -1;
	}
	return 0;
}

int cnb__lifecycle_plan_resolve(const cnb__lifecycle_plan_input *inputs, size_t n, cnb__lifecycle_group_status *status, cnb__lifecycle_plan_result *out,
		      cnb__buf *why, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	bool errored = false, required_missing = false;
	_cleanup_free_ const cnb__lifecycle_plan_input **passed = calloc(n ? n : 1, sizeof(*passed));
	_cleanup_free_ trial_elem *chosen = calloc(n ? n : 1, sizeof(*chosen));
	_cleanup_free_ trial_elem *work = calloc(n ? n : 1, sizeof(*work));
	if (!passed || !chosen || !work)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	size_t n_passed = 0;
	bool buildpack_passed = false;
	for (size_t i = 0; i < n; i++) {
		int code = inputs[i].run->code;
		if (code == CNB_DETECT_PASS) {
			passed[n_passed++] = &inputs[i];
			buildpack_passed |= !inputs[i].elem->extension;
			continue;
		}
		if (code != CNB_DETECT_FAIL)
			errored = true;
		if (!inputs[i].elem->optional)
			required_missing = true;
	}
	if (required_missing) {
		*status = errored ? CNB_GROUP_ERRORED : CNB_GROUP_FAILED;
		return 0;
	}
	/* Passing extensions alone make no group (lifecycle phase/detector.go: "no viable buildpacks in group"). */
	if (!buildpack_passed) {
		if (why)
			cnb__buf_puts(why, "fail: no buildpack of the group passed detection\n");
		*status = CNB_GROUP_FAILED;
		return 0;
	}
	trials t = { passed, n_passed, chosen, work, { NULL, 0 }, why };
	int rc = run_trials_from(&t, 0);
	if (rc == 1 && fill_result(&t, out) < 0)
		rc = -1;
	dep_map_free(&t.map);
	if (rc < 0) {
		cnb__lifecycle_plan_result_free(out);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	*status = rc == 1 ? CNB_GROUP_PASSED : CNB_GROUP_FAILED;
	out->n_tried = n;
	return 0;
}
