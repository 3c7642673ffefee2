/*
 * SBOM files a buildpack leaves in <layers>/<bp> (buildpack.md
 * "Software-Bill-of-Materials", platform.md "builder"): `launch.sbom.<ext>.json`, `build.sbom.<ext>.json`, `<layer>.sbom.<ext>.json`.
 */
#ifndef CNB_LC_SBOM_FILES_H
#define CNB_LC_SBOM_FILES_H

#include <cnb/error.h>
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "lib/lifecycle/spec/layer-metadata.h"

/*
 * Checks every *.sbom.*.json of `bp_layers_dir`: only cdx, spdx and syft, and the media type must
 * be in the buildpack's sbom-formats. Then copies them to
 * <layers>/sbom/{launch,build,cache}/<esc id>/[<layer>/]sbom.<ext>.json, where the exporter and
 * the platform look for them.
 */
int cnb__lifecycle_sbom_files_collect(const char *layers_dir, const char *bp_layers_dir, const cnb__lifecycle_bp_descriptor *bp,
			    const cnb__lifecycle_layer_list *layers, cnb_error **err);

#endif
