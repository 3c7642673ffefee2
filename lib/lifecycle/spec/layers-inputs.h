/*
 * Inputs under <layers> that the phases after detect share (the exporter, the restorer): TOML
 * files read size-bounded without following a final symlink, the [metadata] table of a document,
 * analyzed.toml's [metadata] (the previous image's io.buildpacks.lifecycle.metadata,
 * platform.md "analyzed.toml (TOML)", "io.buildpacks.lifecycle.metadata (JSON)") and the buildpack ids that may name a directory under <layers>.
 */
#ifndef CNB_LC_LAYERS_INPUTS_H
#define CNB_LC_LAYERS_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>
#include "lib/toml/toml.h"

/* Size bounds for files written by buildpacks (<layer>.toml, store.toml) or earlier phases. */
#define CNB_LAYERS_MAX_LAYER_TOML (4u * 1024 * 1024)
#define CNB_LAYERS_MAX_INPUT_TOML (16u * 1024 * 1024)

/* Parses a TOML file of at most `max` bytes relative to dirfd, refusing a symlink as the last component. */
int cnb__lifecycle_layers_toml_load_at(cnb_toml **out, int dirfd, const char *name, const char *what, size_t max,
			     cnb_error **err);

/* A copy of doc's [metadata] table in *out (caller frees); *out untouched when absent; `what` names doc. */
int cnb__lifecycle_layers_take_metadata(cnb_toml **out, const cnb_toml *doc, const char *what, cnb_error **err);

/* analyzed.toml's [metadata] in *out, left NULL when the file (no previous image) or the table is missing. */
int cnb__lifecycle_layers_analyzed_metadata_read(cnb_toml **out, const char *analyzed_path, cnb_error **err);

/* The [[buildpacks]] entry with key `bp_id` of such metadata (analyzed or cache), or NULL. */
const cnb_toml *cnb__lifecycle_layers_metadata_buildpack(const cnb_toml *metadata, const char *bp_id);

/* `sha256:<64 lowercase hex>`: a diffID as the host writes it. */
bool cnb__lifecycle_layers_diff_id_valid(const char *sha);

#endif
