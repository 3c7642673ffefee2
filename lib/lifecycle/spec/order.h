/*
 * Order resolution (buildpack.md "Order Resolution", platform.md "detector"): the first
 * group that passes wins; composite buildpacks expand lazily and depth-first carrying the rest of
 * their group; an optional composite may vanish; duplicate IDs are skipped; detection is memoized
 * per id@version. Buildpack lookup and bin/detect are supplied by the caller.
 */
#ifndef CNB_LC_ORDER_H
#define CNB_LC_ORDER_H

#include <cnb/error.h>
#include "lib/common/buf.h"
#include "lib/common/format.h"
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "lib/lifecycle/spec/plan.h"

typedef struct cnb__lifecycle_order_ops {
	/* Loads a buildpack's descriptor, or an image extension's (the resolver owns and caches it). */
	int (*load)(void *ud, const char *id, const char *version, bool extension, cnb__lifecycle_bp_descriptor **out,
		    cnb_error **err);
	/* Runs a non-composite buildpack's detection into `run`. A non-zero return aborts resolution. */
	int (*detect)(void *ud, const cnb__lifecycle_bp_descriptor *bp, cnb__lifecycle_detect_run *run, cnb_error **err);
	/*
	 * One line of a group's outcome, in the reference's order (lifecycle phase/detector.go Resolve): the
	 * buildpacks' output, "======== Results ========", "pass: a@1"... `debug` marks what the reference
	 * logs at debug level (all but errors). May be NULL.
	 */
	void (*log)(void *ud, bool debug, const char *line);
	void *ud;
	/*
	 * Optional: detects several buildpacks at once (runs[i] for bps[i]), same contract as
	 * `detect`. The resolver hands it the buildpacks of a group up to its first composite.
	 */
	int (*detect_many)(void *ud, const cnb__lifecycle_bp_descriptor *const *bps, cnb__lifecycle_detect_run *const *runs, size_t n,
			   cnb_error **err);
} cnb__lifecycle_order_ops;

typedef struct cnb__lifecycle_order_resolver {
	cnb__lifecycle_order_ops ops;
	const cnb__lifecycle_target *run_target; /* Platform >= 0.12: target checks against it; NULL = none */
	/*
	 * [[order-extensions]], or NULL: prepended to every top-level group as one optional nested order
	 * (lifecycle phase/detector.go PrependExtensions): the first of its groups that lets the rest of
	 * the group pass wins, and without any extension the group is tried as it is.
	 */
	const cnb__lifecycle_order *extensions;
	const char *exec_env;          /* Platform >= 0.15: skip buildpacks not for it; NULL = none */
	/* private: everything below is owned and freed by cnb__lifecycle_order_resolver_free */
	struct cnb__lifecycle_order_memo *memo;
	size_t n_memo;
	cnb__lifecycle_group_elem **elems;
	size_t n_elems;
	cnb__lifecycle_detect_run **extra_runs;
	size_t n_extra_runs;
} cnb__lifecycle_order_resolver;

/*
 * Resolves `order`. On CNB_OK, *status is PASSED (out = the group and plan, pointing into the
 * resolver: valid until cnb__lifecycle_order_resolver_free), FAILED (exit 20) or ERRORED (exit 21).
 * Errors from ops (e.g. a nested buildpack that does not exist: exit 22) are returned as is.
 */
int cnb__lifecycle_order_resolve(cnb__lifecycle_order_resolver *r, const cnb__lifecycle_order *order, cnb__lifecycle_group_status *status,
		       cnb__lifecycle_plan_result *out, cnb_error **err);

void cnb__lifecycle_order_resolver_free(cnb__lifecycle_order_resolver *r);

#endif
