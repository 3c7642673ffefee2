/*
 * Build plan resolution of one detected group (buildpack.md "Phase #1: Detection" › "Process", platform.md "detector"
 * "Group resolution"): options per passed buildpack (top level + each [[or]]), depth-first trials,
 * unmet requires and unused provides, the resulting group and plan entries.
 * Pure data in, data out: the detector feeds it what bin/detect runs produced.
 */
#ifndef CNB_LC_PLAN_H
#define CNB_LC_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>
#include "lib/common/buf.h"
#include "lib/toml/toml.h"

/* One [[requires]] of a buildpack's build plan. */
typedef struct cnb__lifecycle_plan_require {
	char *name;
	cnb_toml *metadata; /* the [requires.metadata] table, or NULL */
} cnb__lifecycle_plan_require;

/* One alternative of a build plan: the top level, or one [[or]] entry. */
typedef struct cnb__lifecycle_plan_option {
	char **provides;
	size_t n_provides;
	cnb__lifecycle_plan_require *requires;
	size_t n_requires;
} cnb__lifecycle_plan_option;

/* An element of an order group, as it ends up in group.toml. */
typedef struct cnb__lifecycle_group_elem {
	char *id;
	char *version;
	char *api;
	char *homepage;
	bool optional;
	bool extension; /* an image extension: only provides; goes to [[group-extensions]] */
} cnb__lifecycle_group_elem;

/* bin/detect outcome codes (lifecycle buildpack/detect.go). */
#define CNB_DETECT_PASS 0
#define CNB_DETECT_FAIL 100
#define CNB_DETECT_ERROR (-1) /* spawn failure, bad plan TOML, target mismatch... */

/* What one buildpack's detection produced. */
typedef struct cnb__lifecycle_detect_run {
	int code;             /* CNB_DETECT_PASS, CNB_DETECT_FAIL, CNB_DETECT_ERROR or the exit code */
	cnb__lifecycle_plan_option *options; /* [0] = top level, then [[or]] entries; only meaningful when passed */
	size_t n_options;
	char *output;         /* bin/detect's stdout+stderr (bounded), or NULL */
	char *error;          /* why it errored, when the lifecycle knows, or NULL */
} cnb__lifecycle_detect_run;

/* A detected element handed to resolution: borrowed pointers. */
typedef struct cnb__lifecycle_plan_input {
	const cnb__lifecycle_group_elem *elem;
	const cnb__lifecycle_detect_run *run;
} cnb__lifecycle_plan_input;

/* One entry of plan.toml: the providers of `name` and all its requires (borrowed pointers). */
typedef struct cnb__lifecycle_plan_entry {
	const char *name;
	const cnb__lifecycle_group_elem **providers;
	size_t n_providers;
	const cnb__lifecycle_plan_require **requires;
	size_t n_requires;
} cnb__lifecycle_plan_entry;

typedef struct cnb__lifecycle_plan_result {
	const cnb__lifecycle_group_elem **group; /* the passing group in order (borrowed) */
	size_t n_group;
	cnb__lifecycle_plan_entry *entries;
	size_t n_entries;
	size_t n_tried; /* the buildpacks of the group that were detected, passed or not */
} cnb__lifecycle_plan_result;

typedef enum cnb__lifecycle_group_status {
	CNB_GROUP_PASSED = 0,
	CNB_GROUP_FAILED,  /* → exit 20 when no group passes */
	CNB_GROUP_ERRORED, /* a required buildpack errored → exit 21 */
} cnb__lifecycle_group_status;

/*
 * Resolves one group. Returns CNB_OK (status tells the outcome) or CNB_ENOMEM. `why` (may be NULL)
 * collects one line per reason a trial failed ("fail: x@1 requires node").
 */
int cnb__lifecycle_plan_resolve(const cnb__lifecycle_plan_input *inputs, size_t n, cnb__lifecycle_group_status *status, cnb__lifecycle_plan_result *out,
		      cnb__buf *why, cnb_error **err);

void cnb__lifecycle_plan_result_free(cnb__lifecycle_plan_result *r);

void cnb__lifecycle_plan_option_free(cnb__lifecycle_plan_option *o);
void cnb__lifecycle_detect_run_free(cnb__lifecycle_detect_run *r);
void cnb__lifecycle_group_elem_free(cnb__lifecycle_group_elem *e);

#endif
