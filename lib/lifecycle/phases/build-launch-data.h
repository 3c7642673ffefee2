/*
 * launch.toml written by bin/build (buildpack.md "launch.toml (TOML)", platform.md "builder") and
 * the merge of all buildpacks' launch data into <layers>/config/metadata.toml
 * (platform.md "metadata.toml"): what the exporter and the launcher read.
 */
#ifndef CNB_LC_LAUNCH_TOML_H
#define CNB_LC_LAUNCH_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>
#include "lib/common/format.h"
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "lib/lifecycle/spec/plan.h"

typedef struct cnb__lifecycle_bp_process {
	char *type;
	char **command; /* NULL-terminated; always an array here (Platform >= 0.10) */
	char **args;
	bool direct;
	bool is_default;
	char *working_dir;  /* NULL = the app dir */
	char **exec_env;    /* NULL = every environment */
	char *buildpack_id;
} cnb__lifecycle_bp_process;

typedef struct cnb__lifecycle_bp_label {
	char *key;
	char *value;
} cnb__lifecycle_bp_label;

/* One buildpack's launch.toml, or the merged metadata of the whole build. */
typedef struct cnb__lifecycle_launch_data {
	cnb__lifecycle_bp_process *processes;
	size_t n_processes;
	cnb__lifecycle_bp_label *labels;
	size_t n_labels;
	char ***slices; /* each a NULL-terminated list of globs */
	size_t n_slices;
	char *default_type; /* merged only: buildpack-default-process-type, or NULL */
} cnb__lifecycle_launch_data;

/* A process's log line ("warning: ..."), e.g. working-dir ignored below API 0.8. */
typedef cnb__line_fn cnb__lifecycle_launch_toml_warn_fn;

/*
 * Reads <layers>/<bp>/launch.toml (missing = empty) with `bp`'s API rules: below 0.9 `command`
 * is a string and `direct` a bool; from 0.9 `command` is an array and `direct` is an error.
 */
int cnb__lifecycle_launch_toml_read(cnb__lifecycle_launch_data *out, const char *path, const cnb__lifecycle_bp_descriptor *bp,
			  cnb__lifecycle_launch_toml_warn_fn warn, void *ud, cnb_error **err);

/* The same from a parsed document (`path` names it in errors); on error *out is partly filled. */
int cnb__lifecycle_launch_toml_parse(cnb__lifecycle_launch_data *out, const cnb_toml *doc, const cnb__lifecycle_bp_descriptor *bp, const char *path,
			   cnb__lifecycle_launch_toml_warn_fn warn, void *ud, cnb_error **err);

/*
 * Adds one buildpack's launch data to the merged metadata: a later process replaces the same
 * type; the last default=true wins, and redefining the default type without default clears it
 * (with a warning). Labels and slices are appended. Takes the contents of `bp` (left empty).
 */
int cnb__lifecycle_launch_toml_merge(cnb__lifecycle_launch_data *merged, cnb__lifecycle_launch_data *bp, cnb__lifecycle_launch_toml_warn_fn warn, void *ud,
			   cnb_error **err);

/*
 * Writes metadata.toml: [[buildpacks]] (id, version, api, homepage) of the group, processes
 * sorted by type, labels, slices, buildpack-default-process-type.
 */
int cnb__lifecycle_launch_toml_write_metadata(const char *path, const cnb__lifecycle_launch_data *merged, const cnb__lifecycle_group_elem *group,
			       size_t n_group, cnb_error **err);

void cnb__lifecycle_launch_toml_free(cnb__lifecycle_launch_data *l);

#endif
