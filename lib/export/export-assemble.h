/*
 * The host half of export (docs/export-protocol.md): reads what the guest left in the output
 * directory (export.json + uncompressed layer tars), compresses and hashes the tars in parallel,
 * and turns the run image into the app image: layers on top, config (Env, Entrypoint, Cmd,
 * WorkingDir, labels, history, created) per the Platform spec's exporter outputs.
 * The guest is untrusted: export.json is size-bounded, file names are checked, nothing followed.
 */
#ifndef CNB_EXPORT_ASSEMBLE_H
#define CNB_EXPORT_ASSEMBLE_H

#include <cnb/ctx.h>
#include <stdint.h>
#include "lib/rootfs/layer-apply.h"
#include "oci/image.h"

#define CNB_EXPORT_JSON_MAX (4u << 20)

/* Layers an app image may have in all (run image + buildpack layers). Neither the OCI image nor the
 * distribution spec sets a limit; docker's layer store refuses chains deeper than 125 (moby
 * layer/layer_store.go maxLayerDepth: 127 in some graph drivers minus 2 for the container layer),
 * so an image with more could be pushed but not run there. */
#define CNB_IMAGE_LAYERS_MAX 125

/* All tars of one build together: no more than the library unpacks from one image. */
#define CNB_EXPORT_TOTAL_MAX CNB_ROOTFS_MAX_BYTES

typedef struct cnb__export_inputs {
	const char *out_dir;               /* the guest's output directory on the host */
	const cnb__oci_image *previous;    /* previous app image (config + layer descriptors) or NULL */
	const char *run_image_name;        /* as the user/builder named it, for runImage.image */
	const char *const *run_image_mirrors;
	int64_t created;                   /* seconds since the epoch for config/history "created" */
	uint64_t max_layer_bytes;          /* largest tar (layer or cache) accepted; 0: CNB_BUILD_LAYER_MAX_DEFAULT */
	const char *app_root;              /* top directory of the app (--workspace /srv/app: "srv"); NULL: "workspace" */
	const char *run_digest;            /* the run image's manifest digest when `img` was changed before (extended
					    * by run.Dockerfiles); NULL: img's own */
} cnb__export_inputs;

typedef struct cnb__export_stats {
	size_t layers_added;     /* new layers compressed from the guest's tars */
	size_t layers_reused;    /* taken from the previous image by diffID (no upload needed) */
	uint64_t bytes_in;       /* uncompressed tar bytes */
	uint64_t bytes_out;      /* compressed blob bytes */
} cnb__export_stats;

/*
 * export.json's "run_image" (docs/export-protocol.md): the run image analyzed.toml names at export, which an
 * image extension may have switched (docs/image-extensions.md), and whether it must be extended. *image is
 * NULL when export.json names none; otherwise a valid image reference (the guest is untrusted). Caller frees.
 */
int cnb__export_run_image(const char *out_dir, char **image, bool *extend, cnb_error **err);

/*
 * `img` is the run image (pulled with cnb__oci_image_pull_config: layer blobs need not be local).
 * On success it is the app image, ready for cnb__oci_image_push().
 */
int cnb__export_assemble(cnb_ctx *ctx, const cnb__export_inputs *in, cnb__oci_image *img, cnb__export_stats *stats,
			 cnb_error **err);

/* Opens a file the guest names in export.json ("layers/NAME.tar" or "cache/NAME.tar") under out_dir
 * (its entries under /layers, /cnb or the app's top directory `app_root`, NULL: "workspace")
 * without following links on the way and checks it as cnb__export_guest_file does, after its size
 * (at most max_bytes, 0: no limit; over it is CNB_EEXPORT, *size set, nothing read). *fd: at offset
 * 0, caller closes; read it, never the path again (the guest may swap the path after the check). */
int cnb__export_guest_open(const char *out_dir, const char *file, const char *app_root, uint64_t max_bytes, int *fd, uint64_t *size,
			   cnb_error **err);

/* The same check for any tar the guest leaves as layers/NAME.tar in out_dir, its entries under `roots`
 * (NULL: anywhere in the image, as an image extension's layer may be). */
int cnb__export_guest_tar_open(const char *out_dir, const char *file, const char *const *roots, uint64_t max_bytes,
			       int *fd, uint64_t *size, cnb_error **err);

/* Resolves a file the guest names in export.json ("layers/NAME.tar" or "cache/NAME.tar") under
 * out_dir without following links on the way; it must be a regular file (in the guest too, per its
 * mapped-xattr attributes) holding a well-formed tar whose entries all lie under /layers,
 * /workspace or /cnb; else CNB_EUNSAFE/CNB_EPARSE. *path: caller frees. */
int cnb__export_guest_file(const char *out_dir, const char *file, char **path, uint64_t *size, cnb_error **err);

#endif
