/* libcnb — building an app image from source with a CNB builder. */
#ifndef CNB_BUILD_H
#define CNB_BUILD_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

CNB_BEGIN_DECLS

typedef struct cnb_build cnb_build;

typedef enum cnb_pull_policy {
	CNB_PULL_IF_NOT_PRESENT = 0, /**< builder and run image: use what a previous pull left in the store, else pull (default) */
	CNB_PULL_ALWAYS = 1,         /**< always resolve the builder's and run image's tags against the registry */
	CNB_PULL_NEVER = 2,          /**< never contact a registry for them: only the store (CNB_ENOTFOUND naming what is missing) */
} cnb_pull_policy;

/** creation_time value meaning "the current time" (default: the reproducible 1980-01-01T00:00:01Z). */
#define CNB_BUILD_TIME_NOW (-2)
#define CNB_BUILD_TIME_DEFAULT (-1)
/** The latest creation_time accepted: 9999-12-31T23:59:59Z, the last instant RFC 3339 (4-digit years)
 *  and Go's time.Time JSON (pack, the lifecycle) can write. */
#define CNB_BUILD_TIME_MAX INT64_C(253402300799)

#define CNB_BUILD_OPTS_VERSION 4

/**
 * What to build: options for cnb_build_new(). Initialise with cnb_build_opts_init() or
 * CNB_BUILD_OPTS_INIT, then set fields. Strings are copied by cnb_build_new(); arrays are NULL-terminated.
 */
typedef struct cnb_build_opts {
	unsigned int version;          /**< CNB_BUILD_OPTS_VERSION */
	const char *image;             /**< required: the image name, e.g. "registry:5000/app:latest" */
	const char *output;            /**< NULL: push to `image`'s registry ("--publish"); "oci:DIR[:TAG]": OCI layout;
	                                    "docker-archive:FILE": a `docker load` tarball */
	const char *builder;           /**< builder image reference ("docker://…", "oci:DIR[:TAG]" or bare); NULL: the
	                                    project descriptor's [io.buildpacks] builder (required then) */
	const char *app_dir;           /**< a directory, or a .zip/.jar file unpacked as the app; NULL: the current directory */
	const char *run_image;         /**< NULL: the builder's run image, or its mirror on `image`'s registry */
	const char *const *env;        /**< "KEY=VALUE" build-time env for buildpacks (platform/env) */
	const char *const *tags;       /**< more names for the image: a tag in `image`'s repository ("v2"), or a full
	                                    reference ("registry/other-repo:v2") pushed with the same digest */
	const char *descriptor;        /**< project.toml; NULL: <app>/project.toml when present */
	const char *cache_dir;         /**< build cache directory; NULL: <ctx cache>/build-cache/<image> */
	const char *cache_image;       /**< registry cache image instead of a cache dir */
	int clear_cache;               /**< non-zero: ignore the previous cache */
	int network;                   /**< non-zero (default): outbound network in the build (slirp) */
	int64_t creation_time;         /**< seconds since the epoch, or CNB_BUILD_TIME_DEFAULT / CNB_BUILD_TIME_NOW */
	const char *platform;          /**< "linux/amd64" (default: the host's); a comma list "linux/amd64,linux/arm64"
	                                    builds each platform in turn and publishes one OCI image index of
	                                    them (not to a docker-archive; VM executor only) */
	int32_t pull_policy;           /**< a cnb_pull_policy */
	const char *executor;          /**< "vm" (default) or "host" (Linux, root, no VM) */
	uint32_t cpus;                 /**< VM cpus; 0: the host's online CPUs, at most 8 (one under TCG) */
	uint32_t memory_mb;            /**< VM memory in MiB; 0: 2048 (/workspace, /layers and temp files live in 75% of it) */
	const char *previous_image;    /**< image to reuse layers from; NULL: `image` itself */
	const char *process_type;      /**< default process of the image; NULL: the buildpacks' default */
	const char *const *buildpacks; /**< replace the builder's order with exactly these (as pack's --buildpack):
	                                    "ID[@VERSION]" or "urn:cnb:builder:ID[@VERSION]" in the builder,
	                                    "from=builder" (the builder's order, spliced in), a directory, a .cnb
	                                    or .tgz file, "docker://REF" or a plain image reference (a
	                                    buildpackage). Those not in the builder are added to the build's
	                                    root filesystem only; the builder image is never changed. */
	/* version 2 */
	uint64_t max_layer_bytes;      /**< largest uncompressed layer tar (app or cache) a build may hand back; 0: CNB_BUILD_LAYER_MAX_DEFAULT */
	/* version 3 */
	const char *sbom_output_dir;   /**< copy the build's SBOM files here as pack does (launch/, build/, cache/ by buildpack) */
	const char *report_output_dir; /**< write report.toml here as the lifecycle's exporter does ([image] tags, digest, manifest-size) */
	const char *exec_env;          /**< CNB_EXEC_ENV of the build (Platform API 0.15); NULL: "production" */
	int64_t uid;                   /**< user id the phases run as; CNB_BUILD_ID_DEFAULT: the builder's CNB_USER_ID */
	int64_t gid;                   /**< group id the phases run as; CNB_BUILD_ID_DEFAULT: the builder's CNB_GROUP_ID */
	const char *workspace;         /**< absolute directory of the app in the build and the image; NULL: /workspace */
	const char *const *lifecycle_env; /**< "KEY=VALUE" added to the phases' environment (pack passes HTTP_PROXY,
	                                       HTTPS_PROXY, NO_PROXY and their lowercase forms this way) */
	const char *const *registry_mirrors; /**< "REGISTRY=MIRROR": pull the builder and run image from MIRROR
	                                          instead of REGISTRY ("docker.io" for Docker Hub) */
	const char *default_builder;   /**< the builder when `builder` is NULL and the project descriptor names none
	                                    (pack's config default-builder-image) */
	/* version 4 */
	const char *const *pre_buildpacks;  /**< put before every group of the order (forms as in `buildpacks`) */
	const char *const *post_buildpacks; /**< put after every group of the order */
	const char *const *volumes;    /**< "HOST:TARGET[:ro|:rw]" host directories mounted into the build (read-only
	                                    by default); never in the image. A volume at <bindings>/NAME
	                                    (/platform/bindings, or $SERVICE_BINDING_ROOT of `env`) is a service
	                                    binding and needs a `type` file. */
} cnb_build_opts;

/** uid/gid value meaning "as the builder says". */
#define CNB_BUILD_ID_DEFAULT (-1)

/** Default of max_layer_bytes: 8 GiB. Layers cannot hold sparse files (OCI image-spec layer.md: they
 *  "SHOULD NOT be used"), so a buildpack's sparse file is written out in full; this bounds that. */
#define CNB_BUILD_LAYER_MAX_DEFAULT (UINT64_C(8) << 30)

#define CNB_BUILD_OPTS_INIT                                                                        \
	{ CNB_BUILD_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 1,  \
	  CNB_BUILD_TIME_DEFAULT, NULL, CNB_PULL_IF_NOT_PRESENT, NULL, 0, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, \
	  CNB_BUILD_ID_DEFAULT, CNB_BUILD_ID_DEFAULT, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/**
 * Fills `opts` with the defaults of CNB_BUILD_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_BUILD_OPTS_VERSION.
 */
CNB_EXTERN int cnb_build_opts_init(cnb_build_opts *opts, unsigned int version);

/**
 * Validates `opts` and creates a build. Nothing is fetched or run yet. The context must outlive
 * the build. Caller frees with cnb_build_free().
 * @return 0; CNB_EINVAL (missing out, context, image or builder; bad options; conflicting options; a
 *         project descriptor that does not parse, when it is read for the builder),
 *         CNB_EUNSUPPORTED (an output or pull policy this version cannot do), CNB_ENOMEM.
 */
CNB_EXTERN int cnb_build_new(cnb_build **out, cnb_ctx *ctx, const cnb_build_opts *opts, cnb_error **err);

/**
 * Runs the build: pull the builder, assemble its rootfs, detect and build in the VM, export and
 * publish. Blocks until done. Live buildpack output goes to the context's log callback at
 * CNB_LOG_OUTPUT. A build runs once.
 * @return 0; CNB_EINVAL (NULL build, or it already ran), CNB_EDETECT, CNB_EBUILD, CNB_EEXPORT,
 *         CNB_EVM, CNB_ECANCELED, CNB_ETIMEOUT, CNB_EUNSAFE, and the codes of cnb_image_copy() for
 *         the images it reads and writes.
 */
CNB_EXTERN int cnb_build_run(cnb_build *build, cnb_error **err);

/**
 * Asks a running build to stop: the VM is killed and nothing half-written is left behind.
 * Callable from any thread and from a signal handler (it only writes to a pipe).
 */
CNB_EXTERN void cnb_build_cancel(cnb_build *build);

/** @return the pushed image's manifest digest ("sha256:…"; the image index's for several platforms), or NULL
 *  before success. Valid until cnb_build_free(). */
CNB_EXTERN const char *cnb_build_digest(const cnb_build *build);

/** @return the full reference of the result ("reg/app:tag@sha256:…" or "oci:DIR:TAG"), or NULL before success.
 *  Valid until cnb_build_free(). */
CNB_EXTERN const char *cnb_build_reference(const cnb_build *build);

/**
 * The result as JSON: image, digest, tags, per-phase timings in ms, layer reuse and cache stats; for
 * several platforms, totals plus "platforms": [{"platform", "digest", "layers", "phases_ms", "boot_ms"}].
 * @return the JSON text (caller frees with cnb_free()), or NULL on OOM or before the build ran.
 */
CNB_EXTERN char *cnb_build_report_json(const cnb_build *build);

/** Frees a build. Accepts NULL. Must not be called while cnb_build_run() runs. */
CNB_EXTERN void cnb_build_free(cnb_build *build);

CNB_END_DECLS

#endif
