/* libcnb — making builder images and buildpackages (pack's `builder create` and `buildpack package`, without a daemon). */
#ifndef CNB_BUILDER_H
#define CNB_BUILDER_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>
#include <stdint.h>

CNB_BEGIN_DECLS

#define CNB_BUILDER_CREATE_OPTS_VERSION 1

typedef struct cnb_builder_create_opts {
	unsigned int version;    /**< CNB_BUILDER_CREATE_OPTS_VERSION */
	const char *config_path; /**< required: pack's builder.toml */
	const char *destination; /**< required: "docker://REF" (pushed) or "oci:DIR[:TAG]" */
	const char *platform;    /**< "linux/amd64" (default: the host's) */
} cnb_builder_create_opts;

#define CNB_BUILDER_CREATE_OPTS_INIT { CNB_BUILDER_CREATE_OPTS_VERSION, NULL, NULL, NULL }

/**
 * Creates a builder image from builder.toml: the build image, one layer per buildpack, a layer with
 * /cnb/order.toml, run.toml, stack.toml and build-config env, and pack's labels. No VM needed.
 * *out_digest (may be NULL) receives the manifest digest; caller frees with cnb_free().
 */
CNB_EXTERN int cnb_builder_create(char **out_digest, cnb_ctx *ctx, const cnb_builder_create_opts *opts,
				  cnb_error **err);

#define CNB_BUILDPACK_PACKAGE_OPTS_VERSION 1

/** What cnb_buildpack_package() writes. */
typedef enum cnb_buildpack_package_format {
	CNB_BUILDPACK_PACKAGE_IMAGE = 0, /**< an image: destination is "docker://REF" or "oci:DIR[:TAG]" */
	CNB_BUILDPACK_PACKAGE_FILE = 1,  /**< a .cnb file (an OCI image layout in a tar): destination is its path */
} cnb_buildpack_package_format;

typedef struct cnb_buildpack_package_opts {
	unsigned int version;    /**< CNB_BUILDPACK_PACKAGE_OPTS_VERSION */
	const char *config_path; /**< required: pack's package.toml */
	const char *destination; /**< required: see format */
	int32_t format;          /**< a cnb_buildpack_package_format */
	const char *platform;    /**< "linux/amd64" (default: the host's) */
} cnb_buildpack_package_opts;

#define CNB_BUILDPACK_PACKAGE_OPTS_INIT { CNB_BUILDPACK_PACKAGE_OPTS_VERSION, NULL, NULL, CNB_BUILDPACK_PACKAGE_IMAGE, NULL }

/**
 * Creates a buildpackage from package.toml: one layer per buildpack (the [buildpack] directory and its
 * [[dependencies]]: directories, .cnb files or images), with the io.buildpacks.buildpack.layers and
 * io.buildpacks.buildpackage.metadata labels. The same inputs give the same digest (and, as a file, the
 * same bytes). *out_digest (may be NULL) receives the manifest digest; caller frees with cnb_free().
 */
CNB_EXTERN int cnb_buildpack_package(char **out_digest, cnb_ctx *ctx, const cnb_buildpack_package_opts *opts,
				     cnb_error **err);

CNB_END_DECLS

#endif
