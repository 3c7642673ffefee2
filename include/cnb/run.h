/* libcnb — running an image's process in the VM: the daemonless `docker run`. */
#ifndef CNB_RUN_H
#define CNB_RUN_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

CNB_BEGIN_DECLS

#define CNB_RUN_OPTS_VERSION 1

typedef struct cnb_run_opts {
	unsigned int version;       /**< CNB_RUN_OPTS_VERSION */
	const char *image;          /**< required: "docker://REF", "oci:DIR[:TAG]" or a plain reference */
	const char *const *args;    /**< NULL-terminated arguments appended to the entrypoint (replace Cmd) */
	const char *process_type;   /**< run /cnb/process/<type> instead of the default entrypoint */
	const char *const *env;     /**< extra "K=V" entries (override the image's) */
	const char *executor;       /**< "vm" (default) or "host" */
	int network;                /**< non-zero (default): outbound network */
	int timeout_s;              /**< 0: none */
	const char *platform;       /**< default: linux/amd64 */
} cnb_run_opts;

#define CNB_RUN_OPTS_INIT { CNB_RUN_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, 1, 0, NULL }

/**
 * Pulls `image`, assembles its root filesystem (cached) and runs its entrypoint as the image's
 * user, with its Env and WorkingDir. Output goes to the context's log callback at
 * CNB_LOG_OUTPUT, live. *exit_code receives the process's exit code (128+N for signal N).
 */
CNB_EXTERN int cnb_image_run(int *exit_code, cnb_ctx *ctx, const cnb_run_opts *opts, cnb_error **err);

CNB_END_DECLS

#endif
