/* libcnb — rebase: put an app image on a new run image without rebuilding it (the Platform spec's rebaser). */
#ifndef CNB_REBASE_H
#define CNB_REBASE_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

CNB_BEGIN_DECLS

#define CNB_REBASE_OPTS_VERSION 1

/** Options for cnb_image_rebase(). Initialise with CNB_REBASE_OPTS_INIT; fields only grow at the end. */
typedef struct cnb_rebase_opts {
	unsigned int version;       /**< CNB_REBASE_OPTS_VERSION */
	const char *image;          /**< required: the app image and where the result goes (docker://REF, REF, oci:DIR[:TAG]) */
	const char *run_image;      /**< the new run image; NULL: the label's runImage.image, or its mirror on `image`'s registry */
	const char *previous_image; /**< read the app image from here instead of `image` (NULL: `image`) */
	int force;                  /**< non-zero: skip the rebasable, target and run-image-name checks; record run_image as
	                                 runImage.image with no mirrors */
} cnb_rebase_opts;

#define CNB_REBASE_OPTS_INIT { CNB_REBASE_OPTS_VERSION, NULL, NULL, NULL, 0 }

/**
 * Rebases an app image built with buildpacks onto a new run image by rewriting its manifest and config:
 * the layers up to the label's runImage.topLayer are replaced by the run image's, the app layers keep their
 * digests. Registry images: only the config and manifest are uploaded (base layers are mounted from the run
 * image's repository when it is on the same registry); no layer is downloaded.
 * Refusals (CNB_EUNSUPPORTED, the message says why and whether force helps): io.buildpacks.rebasable=false,
 * another os/architecture, a run image not named in the app's metadata; for Platform API < 0.12 another
 * stack id or missing mixins. An image without lifecycle metadata: CNB_EINVAL.
 * `out_digest` (may be NULL) receives the new manifest digest; caller frees with cnb_free().
 */
CNB_EXTERN int cnb_image_rebase(char **out_digest, cnb_ctx *ctx, const cnb_rebase_opts *opts, cnb_error **err);

CNB_END_DECLS

#endif
