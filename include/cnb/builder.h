/* libcnb — making builder images (pack's `builder create`, without a daemon). */
#ifndef CNB_BUILDER_H
#define CNB_BUILDER_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

CNB_BEGIN_DECLS

#define CNB_BUILDER_CREATE_OPTS_VERSION 1

/** Options for cnb_builder_create(). Initialise with cnb_builder_create_opts_init() or CNB_BUILDER_CREATE_OPTS_INIT. */
typedef struct cnb_builder_create_opts {
	unsigned int version;    /**< CNB_BUILDER_CREATE_OPTS_VERSION */
	const char *config_path; /**< required: pack's builder.toml */
	const char *destination; /**< required: "docker://REF" (pushed) or "oci:DIR[:TAG]" */
	const char *platform;    /**< "linux/amd64" (NULL: the host's) */
} cnb_builder_create_opts;

#define CNB_BUILDER_CREATE_OPTS_INIT { CNB_BUILDER_CREATE_OPTS_VERSION, NULL, NULL, NULL }

/**
 * Fills `opts` with the defaults of CNB_BUILDER_CREATE_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_BUILDER_CREATE_OPTS_VERSION.
 */
CNB_EXTERN int cnb_builder_create_opts_init(cnb_builder_create_opts *opts, unsigned int version);

/**
 * Creates a builder image from builder.toml: the build image, one layer per buildpack, a layer with
 * /cnb/order.toml, run.toml, stack.toml and build-config env, and pack's labels. No VM needed.
 * *out_digest (may be NULL) receives the manifest digest; caller frees with cnb_free().
 * @return 0; CNB_EINVAL (missing context, config_path or destination; bad options), CNB_EPARSE
 *         (builder.toml, a buildpack.toml), CNB_ENOTFOUND, CNB_EIO, CNB_EUNSAFE, and the codes of
 *         cnb_image_copy() for the images it reads and writes.
 */
CNB_EXTERN int cnb_builder_create(char **out_digest, cnb_ctx *ctx, const cnb_builder_create_opts *opts,
				  cnb_error **err);

CNB_END_DECLS

#endif
