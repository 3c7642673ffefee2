/* <layers>/<bp>/<layer>.toml after a buildpack's build (buildpack.md "Layer Types", platform.md "builder"). */
#ifndef CNB_LC_LAYER_METADATA_H
#define CNB_LC_LAYER_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>

typedef struct cnb__lifecycle_layer {
	char *name;
	char *path; /* <layers>/<bp>/<name> (may not exist: a launch layer reused from the previous image) */
	bool launch, build, cache;
} cnb__lifecycle_layer;

typedef struct cnb__lifecycle_layer_list {
	cnb__lifecycle_layer *v;
	size_t n;
} cnb__lifecycle_layer_list;

/*
 * Reads every <name>.toml of `bp_layers_dir` (alphabetically; launch.toml, build.toml and
 * store.toml are not layers). `launch`, `build` or `cache` outside [types] is an error naming the
 * buildpack and file. A layer with all three false is renamed to <name>.ignore (buildpack.md "Ignored Layers")
 * and left out of the list.
 */
int cnb__lifecycle_layer_metadata_process(cnb__lifecycle_layer_list *out, const char *bp_layers_dir, const char *bp_ref,
				cnb_error **err);

void cnb__lifecycle_layer_list_free(cnb__lifecycle_layer_list *l);

#endif
