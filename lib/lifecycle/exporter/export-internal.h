/*
 * Shared state of the guest exporter's files: inputs read from <layers>, the output directory and
 * the JSON document (export.json) being assembled. See docs/export-protocol.md.
 */
#ifndef CNB_LC_EXPORT_INTERNAL_H
#define CNB_LC_EXPORT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cnb/error.h>
#include "lib/common/tar-writer.h"
#include "lib/lifecycle/exporter/export.h"
#include "lib/lifecycle/spec/layers-inputs.h"
#include "lib/toml/toml.h"
#include "lib/toml/toml-json.h"

/* One <layers>/<bp>/<name>.toml: [types] and [metadata] (buildpack.md "Layer Types"). */
typedef struct cnb__lifecycle_export_layer_md {
	char *name;
	bool launch, build, cache;
	cnb_toml *metadata; /* the [metadata] table, NULL when absent */
} cnb__lifecycle_export_layer_md;

/* A group.toml element with what the exporter found for it under <layers>. */
typedef struct cnb__lifecycle_export_bp {
	char *id, *version, *api, *homepage;
	char *escaped_id;             /* `/` → `_`: its directory name under <layers> */
	cnb__lifecycle_export_layer_md *layers; /* sorted by name */
	size_t n_layers;
	cnb_toml *store;              /* store.toml [metadata], NULL when absent */
} cnb__lifecycle_export_bp;

typedef struct cnb__lifecycle_export {
	const cnb__lifecycle_export_opts *opts;
	cnb__lifecycle_export_bp *bps; /* group order */
	size_t n_bps;
	cnb_toml *previous;  /* analyzed.toml [metadata] (previous image's lifecycle metadata), or NULL */
	cnb_toml *config;    /* <layers>/config/metadata.toml */
	unsigned n_layer_files, n_cache_files;
	json_t *layers;      /* export.json "layers" */
	json_t *lifecycle;   /* export.json "lifecycle_metadata" */
	json_t *cache;       /* export.json "cache" */
} cnb__lifecycle_export;

/* ---- export-inputs.c: group.toml, <layer>.toml, store.toml, analyzed.toml, metadata.toml ---- */
int cnb__lifecycle_export_inputs_load(cnb__lifecycle_export *ex, cnb_error **err);
void cnb__lifecycle_export_inputs_free(cnb__lifecycle_export *ex);

/* ---- export-glob.c: Go path/filepath.Match ---- */
/* 1 = match, 0 = no match, -1 = malformed pattern (Go's ErrBadPattern). */
int cnb__lifecycle_export_glob_match(const char *pattern, const char *name);
/* Go filepath.Clean of a relative slice path; NULL on OOM. */
char *cnb__lifecycle_export_path_clean(const char *path);

/* ---- export-layers.c: the tar files ---- */
typedef struct cnb__lifecycle_export_tar {
	cnb__tar *tar;
	int fd;
	char *file; /* "layers/NNN.tar" or "cache/NNN.tar": the name export.json uses */
} cnb__lifecycle_export_tar;

/* Creates out/<kind>/NNN.tar ("layers" or "cache") and starts writing it. */
int cnb__lifecycle_export_tar_begin(cnb__lifecycle_export *ex, cnb__lifecycle_export_tar *t, bool cache, cnb_error **err);
/* Finishes and syncs it. On failure (or when `ok` is false) just releases everything. */
int cnb__lifecycle_export_tar_end(cnb__lifecycle_export_tar *t, cnb_error **err);
void cnb__lifecycle_export_tar_abort(cnb__lifecycle_export_tar *t);
/* Adds the directories above `path` (absolute), each with its on-disk mode and owner. */
int cnb__lifecycle_export_tar_add_ancestors(cnb__lifecycle_export_tar *t, const char *path, cnb_error **err);
/*
 * A directory layer: the ancestors of `path`, then the tree at dirfd/name recorded as `path`,
 * owned by uid:gid. The tree is walked without following symlinks.
 */
int cnb__lifecycle_export_tar_add_dir_layer(cnb__lifecycle_export_tar *t, int dirfd, const char *name, const char *path,
				  uint32_t uid, uint32_t gid, cnb_error **err);
/* Appends {"file"|"reuse", "created_by", "id"} to export.json "layers". */
int cnb__lifecycle_export_record_layer(cnb__lifecycle_export *ex, const char *file, const char *reuse, const char *created_by,
			     const char *id, cnb_error **err);
/* "file:<file>": the placeholder the host replaces with the diffID; sha_ref wraps it as {"sha": …}. */
json_t *cnb__lifecycle_export_file_ref(const char *file);
json_t *cnb__lifecycle_export_sha_ref(const char *file);

/* ---- export-plan.c: buildpack launch layers (group order, then by name), SBOM layer, cache layers ---- */
int cnb__lifecycle_export_buildpack_layers(cnb__lifecycle_export *ex, cnb_error **err);
int cnb__lifecycle_export_sbom_layer(cnb__lifecycle_export *ex, cnb_error **err);
int cnb__lifecycle_export_cache_layers(cnb__lifecycle_export *ex, cnb_error **err);
/* The launcher, config and process-types layers. */
int cnb__lifecycle_export_launcher_layer(cnb__lifecycle_export *ex, cnb_error **err);
int cnb__lifecycle_export_config_layer(cnb__lifecycle_export *ex, cnb_error **err);
int cnb__lifecycle_export_process_types_layer(cnb__lifecycle_export *ex, cnb_error **err);

/* ---- export-slices.c ---- */
int cnb__lifecycle_export_app_layers(cnb__lifecycle_export *ex, cnb_error **err);

/* ---- export-metadata.c: image config, labels, export.json ---- */
/* Checks -process-type and the process type names before anything is written. */
int cnb__lifecycle_export_check_processes(cnb__lifecycle_export *ex, cnb_error **err);
int cnb__lifecycle_export_write_json(cnb__lifecycle_export *ex, cnb_error **err);

#endif
