/* libcnb — images: copy between registries and OCI layouts, inspect, rebase, unpack, run. */
#ifndef CNB_IMAGE_H
#define CNB_IMAGE_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>
#include <cnb/rootfs.h>

CNB_BEGIN_DECLS

/*
 * Image locations use skopeo's transport syntax:
 *   "docker://REF"    a registry image; REF is normalized like docker does
 *                     ("alpine" = "docker.io/library/alpine:latest"; "host:5000/app:1"; "app@sha256:…")
 *   "oci:DIR[:TAG]"   an OCI image layout directory (TAG: org.opencontainers.image.ref.name)
 *   "REF"             same as docker://REF
 * Registry credentials come from $CNB_REGISTRY_AUTH ({"host": "Basic <base64 user:pass>"}), then
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json (auths, credHelpers, credsStore).
 */

/* ---- cnb_image_copy ---- */

#define CNB_IMAGE_COPY_OPTS_VERSION 1

/** Options for cnb_image_copy(). Initialise with cnb_image_copy_opts_init() or CNB_IMAGE_COPY_OPTS_INIT. */
typedef struct cnb_image_copy_opts {
	unsigned int version; /**< CNB_IMAGE_COPY_OPTS_VERSION */
	const char *platform; /**< "os/arch[/variant]" chosen from a multi-platform index; NULL: the host's */
} cnb_image_copy_opts;

#define CNB_IMAGE_COPY_OPTS_INIT { CNB_IMAGE_COPY_OPTS_VERSION, NULL }

/**
 * Fills `opts` with the defaults of CNB_IMAGE_COPY_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_IMAGE_COPY_OPTS_VERSION.
 */
CNB_EXTERN int cnb_image_copy_opts_init(cnb_image_copy_opts *opts, unsigned int version);

/**
 * Copies one image from `src` to `dst` (locations as above). The manifest bytes are kept, so the
 * digest is the same on both sides. Blobs are verified against their digests; nothing half-written
 * becomes visible on failure or cancel (progress callback returning non-zero).
 * `out_digest` (may be NULL) receives the manifest digest ("sha256:…"); caller frees with cnb_free().
 * @return 0; CNB_EINVAL (missing argument, bad options), CNB_EPARSE (bad location), CNB_ENOTFOUND,
 *         CNB_EAUTH, CNB_EREGISTRY, CNB_ENETWORK, CNB_EDIGEST, CNB_EIO, CNB_EUNSUPPORTED (no such
 *         platform, unknown media type), CNB_ECANCELED, CNB_ENOMEM.
 */
CNB_EXTERN int cnb_image_copy(char **out_digest, cnb_ctx *ctx, const char *src, const char *dst,
			      const cnb_image_copy_opts *opts, cnb_error **err);

/* ---- cnb_image_inspect ---- */

#define CNB_IMAGE_INSPECT_OPTS_VERSION 1

/** Options for cnb_image_inspect(). Initialise with cnb_image_inspect_opts_init() or CNB_IMAGE_INSPECT_OPTS_INIT. */
typedef struct cnb_image_inspect_opts {
	unsigned int version; /**< CNB_IMAGE_INSPECT_OPTS_VERSION */
	const char *platform; /**< "os/arch[/variant]" chosen from a multi-platform index; NULL: the host's */
} cnb_image_inspect_opts;

#define CNB_IMAGE_INSPECT_OPTS_INIT { CNB_IMAGE_INSPECT_OPTS_VERSION, NULL }

/**
 * Fills `opts` with the defaults of CNB_IMAGE_INSPECT_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_IMAGE_INSPECT_OPTS_VERSION.
 */
CNB_EXTERN int cnb_image_inspect_opts_init(cnb_image_inspect_opts *opts, unsigned int version);

/**
 * Describes an image without downloading its layers, as a JSON object:
 * {"name", "digest", "mediaType", "indexDigest" (when chosen from an index), "platform",
 *  "configDigest", "config" (the image config), "layers": [{"digest","diffID","size","mediaType"}],
 *  "annotations"}.
 * Caller frees *out_json with cnb_free().
 * @return 0; CNB_EINVAL, CNB_EPARSE, CNB_ENOTFOUND, CNB_EAUTH, CNB_EREGISTRY, CNB_ENETWORK,
 *         CNB_EDIGEST, CNB_EIO, CNB_EUNSUPPORTED, CNB_ECANCELED, CNB_ENOMEM.
 */
CNB_EXTERN int cnb_image_inspect(char **out_json, cnb_ctx *ctx, const char *location,
				 const cnb_image_inspect_opts *opts, cnb_error **err);

/* ---- the local image store (an OCI layout): list and remove ---- */

/**
 * Lists the named images of the OCI layout `layout_dir` (the local image store of `cnb build` is
 * $XDG_DATA_HOME/cnb/images) as a JSON array, in index order:
 * [{"name", "digest", "mediaType", "size" (manifest + config + layers, bytes), "created", "platform"}],
 * an entry that cannot be read as {"name", "error"}. A multi-platform image (an index) is described by
 * its image for this host, plus "indexDigest" and "platforms" ["os/arch[/variant]", …]. A missing layout is an empty array.
 * Caller frees *out_json with cnb_free().
 * @return 0; CNB_EINVAL, CNB_EPARSE (malformed index.json), CNB_EIO, CNB_ENOMEM.
 */
CNB_EXTERN int cnb_image_list(char **out_json, cnb_ctx *ctx, const char *layout_dir, cnb_error **err);

/**
 * Removes the image `location` ("oci:DIR:TAG") from its layout: the name goes from index.json, then the
 * blobs that no remaining image reaches are deleted, except those written in the last two minutes (a
 * build may be writing an image whose index entry comes last). `out_freed` (may be NULL) gets the bytes
 * deleted.
 * @return 0; CNB_EINVAL (not an oci:DIR:TAG location), CNB_ENOTFOUND (no such name), CNB_EPARSE, CNB_EIO.
 */
CNB_EXTERN int cnb_image_remove(uint64_t *out_freed, cnb_ctx *ctx, const char *location, cnb_error **err);

/* ---- cnb_image_sbom_download ---- */

/**
 * Writes the launch SBOM files of an image built by buildpacks into `dest_dir` (created if missing) as
 * pack's `sbom download` lays them out: dest_dir/layers/sbom/launch/<buildpack>/[<layer>/]sbom.<ext>.
 * Only the SBOM layer is downloaded: the one whose diffID the io.buildpacks.lifecycle.metadata label
 * names in sbom.sha (buildpacks/spec platform.md, "Outputs"). Its entries are untrusted (see
 * cnb_image_unpack).
 * @return 0; CNB_ENOTFOUND (the image has no SBOM layer), CNB_EPARSE (malformed label), CNB_EUNSAFE, CNB_EIO,
 *         and the codes of cnb_image_copy() for reading the image.
 */
CNB_EXTERN int cnb_image_sbom_download(cnb_ctx *ctx, const char *location, const char *dest_dir, cnb_error **err);

/* ---- cnb_image_rebase: a new run image without rebuilding (the Platform spec's rebaser) ---- */

#define CNB_IMAGE_REBASE_OPTS_VERSION 1

/** Options for cnb_image_rebase(). Initialise with cnb_image_rebase_opts_init() or CNB_IMAGE_REBASE_OPTS_INIT. */
typedef struct cnb_image_rebase_opts {
	unsigned int version;       /**< CNB_IMAGE_REBASE_OPTS_VERSION */
	const char *image;          /**< required: the app image and where the result goes (docker://REF, REF, oci:DIR[:TAG]) */
	const char *run_image;      /**< the new run image; NULL: the label's runImage.image, or its mirror on `image`'s registry */
	const char *previous_image; /**< read the app image from here instead of `image` (NULL: `image`) */
	int force;                  /**< non-zero: skip the rebasable, target and run-image-name checks; record run_image as
	                                 runImage.image with no mirrors */
} cnb_image_rebase_opts;

#define CNB_IMAGE_REBASE_OPTS_INIT { CNB_IMAGE_REBASE_OPTS_VERSION, NULL, NULL, NULL, 0 }

/**
 * Fills `opts` with the defaults of CNB_IMAGE_REBASE_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_IMAGE_REBASE_OPTS_VERSION.
 */
CNB_EXTERN int cnb_image_rebase_opts_init(cnb_image_rebase_opts *opts, unsigned int version);

/**
 * Rebases an app image built with buildpacks onto a new run image by rewriting its manifest and config:
 * the layers up to the label's runImage.topLayer are replaced by the run image's, the app layers keep their
 * digests. Registry images: only the config and manifest are uploaded (base layers are mounted from the run
 * image's repository when it is on the same registry); no layer is downloaded.
 * `out_digest` (may be NULL) receives the new manifest digest; caller frees with cnb_free().
 * @return 0; CNB_EUNSUPPORTED for a refusal (the message says why and whether force helps):
 *         io.buildpacks.rebasable=false, another os/architecture, a run image not named in the app's
 *         metadata, and for Platform API < 0.12 another stack id or missing mixins; CNB_EINVAL for no
 *         opts->image or an image without lifecycle metadata; the codes of cnb_image_copy() for reading
 *         and writing the images.
 */
CNB_EXTERN int cnb_image_rebase(char **out_digest, cnb_ctx *ctx, const cnb_image_rebase_opts *opts, cnb_error **err);

/* ---- cnb_image_unpack ---- */

#define CNB_IMAGE_UNPACK_OPTS_VERSION 1

/** Options for cnb_image_unpack(). Initialise with cnb_image_unpack_opts_init() or CNB_IMAGE_UNPACK_OPTS_INIT. */
typedef struct cnb_image_unpack_opts {
	unsigned int version; /**< CNB_IMAGE_UNPACK_OPTS_VERSION */
	const char *platform; /**< "os/arch[/variant]" chosen from an index; NULL: the host's */
	int32_t metadata;     /**< a cnb_rootfs_metadata */
} cnb_image_unpack_opts;

#define CNB_IMAGE_UNPACK_OPTS_INIT { CNB_IMAGE_UNPACK_OPTS_VERSION, NULL, CNB_ROOTFS_METADATA_AUTO }

/**
 * Fills `opts` with the defaults of CNB_IMAGE_UNPACK_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_IMAGE_UNPACK_OPTS_VERSION.
 */
CNB_EXTERN int cnb_image_unpack_opts_init(cnb_image_unpack_opts *opts, unsigned int version);

/**
 * Pulls `image_ref` ("docker://REF", "oci:DIR[:TAG]" or a bare REF) and applies its layers into
 * `dest_dir`, which must not exist or be empty (like `umoci unpack`'s rootfs).
 * @return 0; CNB_EINVAL (missing argument, bad options, unknown metadata form), CNB_EEXIST (dest_dir
 *         not empty), CNB_EUNSAFE (a layer entry would write outside dest_dir), CNB_EIO, and the codes
 *         of cnb_image_copy() for reading the image.
 */
CNB_EXTERN int cnb_image_unpack(cnb_ctx *ctx, const char *image_ref, const char *dest_dir,
				const cnb_image_unpack_opts *opts, cnb_error **err);

/* ---- cnb_image_run: the daemonless `docker run` ---- */

#define CNB_IMAGE_RUN_OPTS_VERSION 2

/** Options for cnb_image_run(). Initialise with cnb_image_run_opts_init() or CNB_IMAGE_RUN_OPTS_INIT. */
typedef struct cnb_image_run_opts {
	unsigned int version;    /**< CNB_IMAGE_RUN_OPTS_VERSION */
	const char *image;       /**< required: "docker://REF", "oci:DIR[:TAG]" or a plain reference */
	const char *const *args; /**< NULL-terminated arguments appended to the entrypoint (replace Cmd) */
	const char *process_type;/**< run /cnb/process/<type> instead of the default entrypoint */
	const char *const *env;  /**< extra "K=V" entries (override the image's) */
	const char *executor;    /**< "vm" (NULL) or "host" (Linux, root) */
	int network;             /**< non-zero (default): outbound network */
	uint32_t timeout_s;      /**< seconds; 0: none */
	const char *platform;    /**< "os/arch[/variant]" chosen from an index (an image of another arch runs
	                              emulated in the VM); NULL: the host's */
	int stdout_fd;           /**< version 2: -1, or an fd that receives the process's stdout byte for byte */
	int stderr_fd;           /**< version 2: -1, or an fd that receives the process's stderr byte for byte */
} cnb_image_run_opts;

#define CNB_IMAGE_RUN_OPTS_INIT { CNB_IMAGE_RUN_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, 1, 0, NULL, -1, -1 }

/**
 * Fills `opts` with the defaults of CNB_IMAGE_RUN_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_IMAGE_RUN_OPTS_VERSION.
 */
CNB_EXTERN int cnb_image_run_opts_init(cnb_image_run_opts *opts, unsigned int version);

/**
 * Pulls `image`, assembles its root filesystem (cached) and runs its entrypoint as the image's
 * user, with its Env and WorkingDir. Output goes to the context's log callback at
 * CNB_LOG_OUTPUT, live, line by line; or, with opts->stdout_fd and opts->stderr_fd (both), byte for
 * byte and apart on those fds, as docker run prints them. *exit_code receives the process's exit code (128+N for signal N).
 * @return 0 (whatever the exit code); CNB_EINVAL (missing argument, bad options, an image with no
 *         command), CNB_EVM, CNB_ETIMEOUT, CNB_ECANCELED, CNB_EIO, and the codes of cnb_image_copy()
 *         for reading the image.
 */
CNB_EXTERN int cnb_image_run(int *exit_code, cnb_ctx *ctx, const cnb_image_run_opts *opts, cnb_error **err);

CNB_END_DECLS

#endif
