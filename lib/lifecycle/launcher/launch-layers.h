/*
 * The layer directories the launcher reads at container start (platform.md "launcher" › "Execution",
 * platform.md "Launch Environment"; lifecycle launch/launcher.go eachBuildpack/eachLayer). The exporter only puts
 * launch=true layers into the image, so every layer directory under <layers>/<bp>/ counts.
 */
#ifndef CNB_LC_LAUNCH_LAYERS_H
#define CNB_LC_LAUNCH_LAYERS_H

#include <stddef.h>
#include <cnb/error.h>
#include "lib/lifecycle/launcher/launch-metadata.h"
#include "lib/common/strv.h"

typedef struct cnb__lifecycle_launch_layer {
	char *dir; /* <layers>/<escaped bp id>/<layer> */
	size_t bp; /* index into the metadata's buildpacks */
} cnb__lifecycle_launch_layer;

/* Buildpacks in metadata order, each one's layers in byte order of their names. */
typedef struct cnb__lifecycle_launch_layers {
	cnb__lifecycle_launch_layer *v;
	size_t n;
} cnb__lifecycle_launch_layers;

void cnb__lifecycle_launch_layers_free(cnb__lifecycle_launch_layers *l);
static inline void cnb__launch_layers_freep(cnb__lifecycle_launch_layers *l) { cnb__lifecycle_launch_layers_free(l); }
#define _cleanup_launch_layers_ __attribute__((cleanup(cnb__launch_layers_freep)))

/*
 * Lists the layer directories of every buildpack of `md` under `layers_dir`. A buildpack without a
 * directory has no launch layers. Skipped: files (<layer>.toml, store.toml, SBOMs), symlinks and
 * `<name>.ignore` directories (layers a buildpack declared with no type).
 */
int cnb__lifecycle_launch_layers_find(cnb__lifecycle_launch_layers *out, const cnb__lifecycle_launch_metadata *md, const char *layers_dir,
			    cnb_error **err);

/*
 * Paths of the non-directory entries of <layer_dir>/<sub>/, then of <layer_dir>/<sub>/<type>/
 * when `type` is not empty: the order exec.d programs run and profile.d scripts are sourced in.
 */
int cnb__lifecycle_launch_layer_files(cnb__strv_list *out, const char *layer_dir, const char *sub, const char *type,
			    cnb_error **err);

#endif
