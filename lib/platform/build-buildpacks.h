/*
 * Buildpacks a build brings that its builder does not have (pack's --buildpack forms and
 * project.toml's uri and script entries): fetched into a buildpack set whose layers go into the
 * build's root filesystem on top of the builder's (/cnb/buildpacks/<id>/<version>), cached by
 * chain id like the builder's own. The builder image itself is never changed.
 */
#ifndef CNB_PLATFORM_BUILD_BUILDPACKS_H
#define CNB_PLATFORM_BUILD_BUILDPACKS_H

#include <stdbool.h>
#include <cnb/ctx.h>
#include "lib/builder/buildpack-set.h"
#include "lib/lifecycle/spec/project-descriptor.h"

/* Which form a --buildpack value has (pack: buildpack.GetLocatorType). */
typedef enum cnb__platform_bp_locator {
	CNB_BP_FROM_BUILDER,   /* "from=builder": the builder's order */
	CNB_BP_IN_BUILDER,     /* ID[@VERSION] or urn:cnb:builder:ID[@VERSION]; *out_rest: ID[@VERSION] */
	CNB_BP_DIR,            /* a directory */
	CNB_BP_FILE,           /* a .cnb buildpackage, or a tar/.tgz of a buildpack directory */
	CNB_BP_IMAGE,          /* docker://REF or a plain REF: a buildpackage image */
} cnb__platform_bp_locator;

/*
 * Classifies `ref`. `in_builder` says whether the builder has a buildpack of that ID (a bare ID
 * the builder lacks, with a '/' or ':', is an image reference). CNB_EUNSUPPORTED for
 * urn:cnb:registry: (no registry index); CNB_EINVAL for a path that does not exist.
 */
int cnb__platform_bp_locate(const char *ref, bool (*in_builder)(const char *id, void *), void *userdata,
		   cnb__platform_bp_locator *out, const char **out_rest, cnb_error **err);

/*
 * Fetches a DIR, FILE or IMAGE ref into `set`; *out_index: the module of its (top) buildpack.
 * The buildpack must support one of the build's targets (`os`/`arch` of the builder image).
 */
int cnb__platform_bp_fetch(cnb__builder_bp_set *set, cnb_ctx *ctx, const char *ref, cnb__platform_bp_locator kind, const char *platform,
		  const char *os, const char *arch, size_t *out_index, cnb_error **err);

/*
 * Writes the inline buildpack of a project.toml entry (id, version or 0.0.0, script) as a
 * directory below the set's temp dir: bin/detect passes, bin/build runs the script with its
 * shell (default /bin/sh). *out_dir: caller frees.
 */
int cnb__platform_bp_script_dir(const cnb__builder_bp_set *set, const cnb__lifecycle_project_buildpack *bp, size_t n, char **out_dir,
		       cnb_error **err);

#endif
