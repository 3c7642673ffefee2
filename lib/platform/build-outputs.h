/* What a build writes beside its image, as pack and the reference lifecycle do: report.toml
 * (--report-output-dir) and the SBOM files (--sbom-output-dir). */
#ifndef CNB_PLATFORM_BUILD_OUTPUTS_H
#define CNB_PLATFORM_BUILD_OUTPUTS_H

#include <stddef.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

/* <dir>/report.toml in the shape of buildpacks/lifecycle's exporter (platform/files report.go):
 * [image] tags (the full names written), digest, manifest-size. */
int cnb__platform_build_write_report_toml(const char *dir, const char *const *names, const char *digest, size_t manifest_size,
				 cnb_error **err);

/* Copies <layers>/sbom (launch/, build/, cache/, by escaped buildpack id and layer) into `dir`, as
 * pack's --sbom-output-dir lays it out. Nothing to copy (no buildpack wrote an SBOM) is not an error. */
int cnb__platform_build_copy_sboms(const cnb_ctx *ctx, const char *layers_dir, const char *dir, cnb_error **err);

#endif
