/*
 * The legacy Bill of Materials: [[bom]] tables in launch.toml and build.toml (buildpack.md "launch.toml",
 * buildpack.md "build.toml"; deprecated by SBOM files in Buildpack API 0.7 but still written by real
 * buildpacks). Platform >= 0.9 gets them as <layers>/sbom/{launch,build}/sbom.legacy.json.
 */
#ifndef CNB_LC_LEGACY_BOM_H
#define CNB_LC_LEGACY_BOM_H

#include <jansson.h>
#include <cnb/error.h>
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "lib/toml/toml.h"

/*
 * Appends {"name", "metadata", "buildpack": {"id", "version"}} for each [[bom]] of `doc` (may be
 * NULL) to the JSON array `entries`. A top-level `version` is an error naming the buildpack.
 */
int cnb__lifecycle_legacy_bom_add(json_t *entries, const cnb_toml *doc, const cnb__lifecycle_bp_descriptor *bp, const char *path,
			cnb_error **err);

/* Writes `entries` as compact JSON (`null` when empty, as the reference lifecycle does). */
int cnb__lifecycle_legacy_bom_write(const json_t *entries, const char *path, cnb_error **err);

#endif
