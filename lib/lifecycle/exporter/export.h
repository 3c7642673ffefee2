/*
 * `cnb-lifecycle export`: the guest half of the exporter (docs/export-protocol.md). It writes the
 * new layers as uncompressed reproducible tars plus out/export.json; the host hashes, compresses
 * and assembles the image. Its command line is parsed in vmshim/lifecycle/export-flags.c.
 */
#ifndef CNB_LC_EXPORT_H
#define CNB_LC_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <cnb/error.h>

/* What the exporter works on: absolute paths, resolved from flags, CNB_* variables and defaults. */
typedef struct cnb__lifecycle_export_opts {
	char *layers_dir, *app_dir, *group_path, *analyzed_path, *launcher_path, *out_dir;
	char *project_metadata_path;
	const char *process_type; /* NULL when not given */
	const char *platform_api;
	const char *exec_env;
	bool platform_at_least_0_15;
	uint32_t uid, gid;
	bool cache;
} cnb__lifecycle_export_opts;

/*
 * Reads <layers>, writes out/layers/NNN.tar, out/cache/NNN.tar and out/export.json (last).
 * Returns 0, or a negative CNB_E* code with err saying why (the command exits 62 then).
 */
int cnb__lifecycle_export_run(const cnb__lifecycle_export_opts *opts, cnb_error **err);

#endif
