/*
 * `cnb-lifecycle restore` (platform.md "restorer"; buildpack.md "Reusing Layers"; platform.md "Layer Restoration"; docs/cache-protocol.md): puts the previous
 * image's layer metadata and the cached layers back under <layers> so buildpacks can skip work.
 * Runs after detect (it reads group.toml) and before build, as the CNB user: the reference
 * restorer may start as root and drop privileges after chowning <layers>; we never start as root,
 * so there is nothing to drop and no file under <layers> the builder could not rewrite.
 */
#ifndef CNB_LC_RESTORE_H
#define CNB_LC_RESTORE_H

#include <cnb/error.h>
#include "lib/lifecycle/phases/phase.h"
#include "lib/toml/toml.h"

#define CNB_LC_EXIT_RESTORE 42 /* lifecycle platform/exit.go RestoreError */

/*
 * Reads group.toml (in->group_path), analyzed.toml [metadata] (in->analyzed_path; missing = no
 * previous image) and <in->cache_dir>/cache.json (missing = no cache) and writes, per group
 * buildpack, store.toml and the <layer>.toml / <layer>/ the restore matrix allows. A bad cache is
 * a warning, never a failure; a bad group.toml or analyzed.toml fails with exit code 42.
 */
int cnb__lifecycle_restore_phase(const cnb__lifecycle_phase_inputs *in, int *exit_code, cnb_error **err);

/* ---- restore-cache.c ---- */

/*
 * cache.json as TOML (its "data" tables stay named "data"), or NULL in *out when the cache is
 * missing or unusable (then a warning was logged). Fails only on OOM.
 */
int cnb__lifecycle_restore_cache_read(const cnb__lifecycle_phase_inputs *in, cnb_toml **out, cnb_error **err);

/*
 * Replaces <bp_dirfd>/<layer>/ with the entries of <cache_dir>/<hex of sha>.tar that are under
 * <layers>/<escaped_id>/<layer>/ (as the exporter wrote them). On error the layer directory is
 * removed again and err says why (the caller warns).
 */
int cnb__lifecycle_restore_cache_extract(const cnb__lifecycle_phase_inputs *in, int bp_dirfd, const char *escaped_id,
			       const char *layer, const char *sha, cnb_error **err);

/* ---- restore-sbom.c ---- */

/*
 * Unpacks the SBOM layers into a fresh <layers>/sbom/: the cache's (cache.json "sbom" sha) then the
 * previous image's (<cache_dir>/sbom-launch.tar, staged by the host). A missing or bad tar is a warning.
 */
int cnb__lifecycle_restore_sbom_unpack(const cnb__lifecycle_phase_inputs *in, const cnb_toml *cache, cnb_error **err);

/* Copies the unpacked SBOMs of one buildpack's layers to <bp>/<layer>.sbom.<ext>.json. */
int cnb__lifecycle_restore_sbom_copy(const cnb__lifecycle_phase_inputs *in, const char *escaped_id, int bp_dirfd, cnb_error **err);

/* Removes <layers>/sbom/ again: the build writes its own. */
int cnb__lifecycle_restore_sbom_cleanup(const cnb__lifecycle_phase_inputs *in, cnb_error **err);

#endif
