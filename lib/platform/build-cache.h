/*
 * The build cache on the host (docs/cache-protocol.md): cache=true layers of the last successful
 * build of an image, as uncompressed tars named by diffID plus cache.json, under
 * <cache dir>/committed/. A build gets a copy (reflinks or bytes, each checked against its digest)
 * in its job dir, never a link the build could write through; only a successful
 * build replaces the committed cache, atomically (staging → committed by rename).
 */
#ifndef CNB_PLATFORM_BUILD_CACHE_H
#define CNB_PLATFORM_BUILD_CACHE_H

#include <cnb/ctx.h>
#include <jansson.h>
#include "job-files.h"

typedef struct cnb__platform_cache_stats {
	size_t restored;  /* layers handed to the build */
	size_t committed; /* layers in the new cache */
	size_t kept;      /* of those, unchanged since the last build */
} cnb__platform_cache_stats;

/* One cache layer of a finished build: its tar in the job's out dir and its diffID. */
typedef struct cnb__platform_cache_layer {
	char *path;
	char *id; /* "<bp>:<layer>", for messages */
	char sha[72];
} cnb__platform_cache_layer;

/* What a build leaves for the cache: its layers and the cache metadata JSON
 * ({"buildpacks":[{"key","version","layers":{name:{sha,data,build,launch,cache}}}]}). */
typedef struct cnb__platform_cache_plan {
	cnb__platform_cache_layer *layers;
	size_t n;
	json_t *metadata;
} cnb__platform_cache_plan;

/* Reads the "cache" list of <out_dir>/export.json and hashes its tars. */
int cnb__platform_cache_plan_read(const char *out_dir, cnb__platform_cache_plan *plan, cnb_error **err);
void cnb__platform_cache_plan_free(cnb__platform_cache_plan *plan);

/* The cache dir of an image: `explicit_dir`, else <ctx cache>/build-cache/<sha256 of the image name>;
 * with `platform_key` ("linux-arm64"): <explicit_dir>/<key>, or the default with "-<key>" appended. */
char *cnb__platform_build_cache_dir(const cnb_ctx *ctx, const char *explicit_dir, const char *image, const char *platform_key);

/*
 * Fills <job_cache> (an existing, owned directory) from the committed cache, readable by the build user.
 * A cache tar whose content does not hash to its name is left out with a warning ("Skipping restore for
 * layer …"): the build rebuilds that layer and its commit rewrites it.
 */
int cnb__platform_build_cache_stage_in(cnb_ctx *ctx, const char *cache_dir, const char *job_cache, cnb__platform_cache_stats *stats,
			      cnb_error **err);

/*
 * Commits the cache list of <out_dir>/export.json ("cache": [...]) as the new cache: "Reusing cache
 * layer" for an unchanged one, "Adding cache layer" else, "Skipping reuse for layer …" when the
 * committed copy of an unchanged layer is corrupt (the build's copy replaces it).
 */
int cnb__platform_build_cache_commit(cnb_ctx *ctx, const char *cache_dir, const char *out_dir, cnb__platform_cache_stats *stats,
			    cnb_error **err);

#endif
