/*
 * <layers>/config/metadata.toml as the launcher reads it (platform.md "Data Format" › "metadata.toml",
 * platform.md "Data Format"; platform.md "launcher" › "Inputs"; lifecycle launch/launch.go). The builder writes it, the exporter puts it into
 * the image under <layers>/config, and the launcher reads it at every container start.
 */
#ifndef CNB_LC_LAUNCH_METADATA_H
#define CNB_LC_LAUNCH_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>
#include "lib/lifecycle/spec/api-version.h"
#include "lib/common/strv.h"
#include "lib/toml/toml.h"

typedef struct cnb__lifecycle_launch_buildpack {
	char *id;
	char *version; /* "" when absent: only used in messages */
	cnb__lifecycle_api api;
} cnb__lifecycle_launch_buildpack;

typedef struct cnb__lifecycle_launch_process {
	char *type;
	cnb__strv_list command; /* a string `command` (Buildpack API < 0.9 builders) gives one entry */
	cnb__strv_list args;
	bool direct;
	bool is_default;          /* `default`: read for completeness; the launcher selects by argv[0] */
	char *buildpack_id;       /* NULL when absent */
	char *working_dir;        /* NULL = <app> */
	cnb__strv_list exec_env; /* empty = every execution environment */
} cnb__lifecycle_launch_process;

typedef struct cnb__lifecycle_launch_label {
	char *key;
	char *value;
} cnb__lifecycle_launch_label;

typedef struct cnb__lifecycle_launch_metadata {
	char *default_process_type; /* buildpack-default-process-type; NULL when absent */
	cnb__lifecycle_launch_buildpack *buildpacks; /* group order: the order env layering follows */
	size_t n_buildpacks;
	cnb__lifecycle_launch_process *processes;
	size_t n_processes;
	cnb__lifecycle_launch_label *labels;
	size_t n_labels;
} cnb__lifecycle_launch_metadata;

/*
 * Reads a parsed metadata.toml; `name` is used in messages. Unknown keys are ignored; a known key
 * of the wrong type is CNB_EPARSE. Every buildpack `api` is checked: CNB_EUNSUPPORTED (exit 12).
 */
int cnb__lifecycle_launch_metadata_parse(cnb__lifecycle_launch_metadata **out, const cnb_toml *doc, const char *name, cnb_error **err);

/* Reads <layers_dir>/config/metadata.toml. */
int cnb__lifecycle_launch_metadata_load(cnb__lifecycle_launch_metadata **out, const char *layers_dir, cnb_error **err);

void cnb__lifecycle_launch_metadata_free(cnb__lifecycle_launch_metadata *md);
static inline void cnb__launch_metadata_freep(cnb__lifecycle_launch_metadata **md) { cnb__lifecycle_launch_metadata_free(*md); }
#define _cleanup_launch_metadata_ __attribute__((cleanup(cnb__launch_metadata_freep)))

/* The first process of `type` (NULL when none). */
const cnb__lifecycle_launch_process *cnb__lifecycle_launch_metadata_find_process(const cnb__lifecycle_launch_metadata *md, const char *type);
/* The buildpack with `id` (NULL when none). */
const cnb__lifecycle_launch_buildpack *cnb__lifecycle_launch_metadata_find_buildpack(const cnb__lifecycle_launch_metadata *md, const char *id);

#endif
