/*
 * The guest half of extend (`cnb-lifecycle extend`), run as root with its capabilities in the
 * build VM (a privileged job step: cnb__executor_job_step.privileged), whose root is the image being
 * extended (the build or run image's tree under the job's overlay):
 *   1. a tmpfs at `scratch` holds an overlay's upper and work dirs; the overlay's lower is "/"
 *      (the image as the job sees it, without the job's mounts), mounted at scratch/merged;
 *   2. the plan's operations (extend-plan.h) run in order, each sandboxed (extend-sandbox.h);
 *   3. the upper dir becomes an uncompressed layer tar at `out_tar` (overlay-diff.h), which the
 *      host validates like every tar from the guest before it uses it.
 */
#ifndef CNB_EXTEND_APPLY_H
#define CNB_EXTEND_APPLY_H

#include <cnb/error.h>

#define CNB_EXTEND_PLAN_MAX_BYTES (8u << 20)

int cnb__extend_apply(const char *plan_path, const char *scratch, const char *out_tar, cnb_error **err);

/* `cnb-lifecycle extend -plan FILE -scratch DIR -out FILE`: exit 0, or 102 (the lifecycle's
 * extend error, platform.md) with the message on stderr. */
int cnb__extend_main(int argc, char **argv);

#endif
