/* libcnb — making buildpackages (pack's `buildpack package`, without a daemon). */
#ifndef CNB_BUILDPACK_H
#define CNB_BUILDPACK_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

CNB_BEGIN_DECLS

/** What cnb_buildpack_package() writes. */
typedef enum cnb_buildpack_package_format {
	CNB_BUILDPACK_PACKAGE_IMAGE = 0, /**< an image: destination is "docker://REF" or "oci:DIR[:TAG]" */
	CNB_BUILDPACK_PACKAGE_FILE = 1,  /**< a .cnb file (an OCI image layout in a tar): destination is its path */
} cnb_buildpack_package_format;

#define CNB_BUILDPACK_PACKAGE_OPTS_VERSION 1

/** Options for cnb_buildpack_package(). Initialise with cnb_buildpack_package_opts_init() or CNB_BUILDPACK_PACKAGE_OPTS_INIT. */
typedef struct cnb_buildpack_package_opts {
	unsigned int version;    /**< CNB_BUILDPACK_PACKAGE_OPTS_VERSION */
	const char *config_path; /**< required: pack's package.toml */
	const char *destination; /**< required: see format */
	int32_t format;          /**< a cnb_buildpack_package_format */
	const char *platform;    /**< "linux/amd64" (NULL: the host's) */
} cnb_buildpack_package_opts;

#define CNB_BUILDPACK_PACKAGE_OPTS_INIT { CNB_BUILDPACK_PACKAGE_OPTS_VERSION, NULL, NULL, CNB_BUILDPACK_PACKAGE_IMAGE, NULL }

/**
 * Fills `opts` with the defaults of CNB_BUILDPACK_PACKAGE_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_BUILDPACK_PACKAGE_OPTS_VERSION.
 */
CNB_EXTERN int cnb_buildpack_package_opts_init(cnb_buildpack_package_opts *opts, unsigned int version);

/**
 * Creates a buildpackage from package.toml: one layer per buildpack (the [buildpack] directory and its
 * [[dependencies]]: directories, .cnb files or images), with the io.buildpacks.buildpack.layers and
 * io.buildpacks.buildpackage.metadata labels. The same inputs give the same digest (and, as a file, the
 * same bytes). *out_digest (may be NULL) receives the manifest digest; caller frees with cnb_free().
 * @return 0; CNB_EINVAL (missing context, config_path or destination; bad options or format),
 *         CNB_EPARSE (package.toml, a buildpack.toml), CNB_ENOTFOUND, CNB_EIO, CNB_EUNSAFE, and the
 *         codes of cnb_image_copy() for the images it reads and writes.
 */
CNB_EXTERN int cnb_buildpack_package(char **out_digest, cnb_ctx *ctx, const cnb_buildpack_package_opts *opts,
				     cnb_error **err);

CNB_END_DECLS

#endif
