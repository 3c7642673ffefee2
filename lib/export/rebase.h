/*
 * Rebase (Platform spec, rebaser; platform.md "rebaser"): swap the run-image layers under an app image by
 * manifest surgery. The new base layers are descriptors only (mounted from the run image's repository
 * on push, never downloaded); the app layers keep their digests.
 */
#ifndef CNB_EXPORT_REBASE_H
#define CNB_EXPORT_REBASE_H

#include "oci/image.h"

#include <jansson.h>
#include <stdbool.h>

#define CNB_LIFECYCLE_METADATA_LABEL "io.buildpacks.lifecycle.metadata"

/* The app image's io.buildpacks.lifecycle.metadata, parsed (caller decrefs); CNB_EINVAL naming `app_name`
 * when the label is missing or has no runImage.topLayer (not a buildpacks app image). */
int cnb__export_rebase_metadata(const cnb__oci_image *app, const char *app_name, json_t **out, cnb_error **err);

/* The run image to use without --run-image: runImage.image and mirrors (fallback stack.runImage), the first
 * on the registry of `app_name`, else runImage.image (platform.md "Run Image Resolution"). Caller frees. */
int cnb__export_rebase_default_run_image(const json_t *metadata, const char *app_name, char **out, cnb_error **err);

/*
 * The validations (platform.md "rebaser") of rebasing `app` onto `run` (named `run_name` by the user). Platform API < 0.12
 * (the app's CNB_PLATFORM_API, or unset): stack id and mixins. Otherwise, unless `force`: rebasable, target
 * (os/arch exact, variant and distro when both sides set them) and the run image name listed in runImage.
 * Refusals are CNB_EUNSUPPORTED and say how to override.
 */
int cnb__export_rebase_check(const cnb__oci_image *app, const json_t *metadata, const cnb__oci_image *run,
		      const char *run_name, bool force, cnb_error **err);

/*
 * The rebased image, new: `run`'s layers, then `app`'s layers above runImage.topLayer (descriptors copied,
 * so base layers are mounted from run's repository on push and app layers stay where they are);
 * os/architecture/variant/os.version copied from run; io.buildpacks.base.* and .stack.* labels replaced;
 * runImage.topLayer/reference updated in `metadata` (image and mirrors too when `force`); history re-paired
 * with the layers; created set to the reproducible epoch. Caller frees *out.
 */
int cnb__export_rebase_apply(cnb__oci_image **out, const cnb__oci_image *app, json_t *metadata, const cnb__oci_image *run,
		      const char *run_name, bool force, cnb_error **err);

#endif
