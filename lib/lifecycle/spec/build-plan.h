/*
 * The build plan a buildpack's bin/detect writes to CNB_BUILD_PLAN_PATH (buildpack.md "Build Plan (TOML)"):
 * top-level [[provides]]/[[requires]] and [[or]] alternatives, as plan resolution options.
 */
#ifndef CNB_LC_BUILD_PLAN_H
#define CNB_LC_BUILD_PLAN_H

#include <cnb/error.h>
#include "lib/lifecycle/spec/plan.h"
#include "lib/toml/toml.h"

/*
 * Fills run->options: [0] = the top level, then one per [[or]]. A requires without `name`, or
 * with a top-level `version` (buildpack.md "Deprecations" › "requires.version"), is an error naming `who`.
 * On error run->options may be partly filled (cnb__lifecycle_detect_run_free frees it).
 */
int cnb__lifecycle_build_plan_parse(cnb__lifecycle_detect_run *run, const cnb_toml *doc, const char *who, cnb_error **err);

/* Same from a file (bounded, no symlink as the last component). */
int cnb__lifecycle_build_plan_load(cnb__lifecycle_detect_run *run, const char *path, const char *who, cnb_error **err);

#endif
