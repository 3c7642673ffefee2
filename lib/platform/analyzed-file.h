/* <layers>/analyzed.toml for the guest phases (docs/cache-protocol.md): the previous image and its
 * io.buildpacks.lifecycle.metadata label, and the run image. */
#ifndef CNB_PLATFORM_ANALYZED_FILE_H
#define CNB_PLATFORM_ANALYZED_FILE_H

#include <cnb/error.h>
#include "job-files.h"
#include "oci/image.h"

/* `previous` may be NULL (first build). Writes `path` owned by `owner`. */
int cnb__platform_write_analyzed(const char *path, const cnb__oci_image *previous, const cnb__oci_image *run,
			const char *run_name, const cnb__platform_owner *owner, cnb_error **err);

/*
 * The previous image's SBOM layer (its lifecycle metadata's "sbom" sha), uncompressed and checked
 * against its diffID, as <job_cache>/sbom-launch.tar for the restorer (lifecycle phase/analyzer.go
 * RestoreFromPrevious). Nothing to do without a previous image or an SBOM layer.
 */
int cnb__platform_stage_previous_sbom(cnb_ctx *ctx, cnb__oci_image *previous, const char *job_cache, cnb_error **err);

#endif
