/*
 * The build cache as a registry image (`--cache-image`, Platform spec "image cache"): one layer per
 * cached layer tar, the cache metadata in the label io.buildpacks.lifecycle.cache.metadata. Any
 * machine that can pull it picks up where another build left off (CI runners, a fleet of pods).
 */
#ifndef CNB_PLATFORM_BUILD_CACHE_IMAGE_H
#define CNB_PLATFORM_BUILD_CACHE_IMAGE_H

#include "build-cache.h"
#include "oci/image.h"

#define CNB_CACHE_IMAGE_LABEL "io.buildpacks.lifecycle.cache.metadata"

/* Pulls `ref`'s image of `platform` (absent, or of another platform: nothing to do) and fills
 * <job_cache> like the directory cache. */
int cnb__platform_build_cache_image_stage_in(cnb_ctx *ctx, const char *ref, const char *platform, const char *job_cache,
				    cnb__platform_cache_stats *stats, cnb_error **err);

/* The cache of a finished build (<out_dir>/export.json "cache") as an image of `platform`
 * ("os/arch[/variant]"); a multi-platform build pushes one per platform under an index. */
int cnb__platform_build_cache_image_make(cnb_ctx *ctx, const char *out_dir, const char *platform, cnb__platform_cache_stats *stats,
				cnb__oci_image **out, cnb_error **err);

/* Makes the cache image of `platform` and pushes it as `ref`. */
int cnb__platform_build_cache_image_commit(cnb_ctx *ctx, const char *ref, const char *out_dir, const char *platform,
				  cnb__platform_cache_stats *stats, cnb_error **err);

#endif
