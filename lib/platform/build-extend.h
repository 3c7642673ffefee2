/*
 * The extend step of a build (platform.md "extender"; image_extension.md "Phase: Extension"),
 * without a daemon or kaniko: an extension's build.Dockerfile or run.Dockerfile is applied in the
 * build VM to the image's assembled tree (lib/extend/extend-apply.h), and what its RUN steps
 * changed comes back as one layer tar, checked like every tar from the guest, compressed into the
 * blob store. The layer is cached by (base image, kind, every Dockerfile with its extend-config.toml
 * and build args) in <cache>/extend/<key>.json, so an unchanged second build runs no RUN step.
 *
 * Where the Dockerfiles come from: the generated directory of Platform API 0.13
 * (<generated>/<extension id>/{build,run}.Dockerfile, extend-config.toml; lib/extend/extend-plan.h)
 * and the group's extension ids in order.
 */
#ifndef CNB_PLATFORM_BUILD_EXTEND_H
#define CNB_PLATFORM_BUILD_EXTEND_H

#include "lib/extend/extend-plan.h"
#include "oci/image.h"

#include <cnb/ctx.h>

/*
 * What the lifecycle job left in <out_dir> for the extend steps: the generated dir <out_dir>/generated
 * (NULL when the group had no extension) and the group's extension ids in order, from
 * <out_dir>/group.toml [[group-extensions]]. Both are the guest's: a symlink or a non-directory is
 * refused, every file is read bounded and without following links. Caller frees both.
 */
int cnb__platform_build_extend_handed_back(const char *out_dir, char **generated, char ***ids, cnb_error **err);

/* How to run the extend job: the build's executor settings. */
typedef struct cnb__platform_extend_job_in {
	const char *executor;
	int cancel_fd;
	bool network;
	unsigned cpus, memory_mb;
	uint64_t max_layer_bytes; /* 0: CNB_BUILD_LAYER_MAX_DEFAULT */
} cnb__platform_extend_job_in;

/* The outcome for one image: the plan (its config after the Dockerfiles) and the layer, if any. */
typedef struct cnb__platform_extend_out {
	cnb__extend_plan plan;
	cnb__oci_layer layer;  /* digest NULL: no Dockerfile of this kind, nothing to add */
	bool cached;           /* the layer came from the cache: no RUN step ran */
	uint64_t ms;           /* wall time of the step */
} cnb__platform_extend_out;

/* The base image's tree, assembled for the job's executor; asked for only when the layer is not
 * cached (a run image's layers are then fetched, which a build otherwise never does). */
typedef int (*cnb__platform_extend_rootfs_fn)(void *userdata, const char **rootfs, cnb_error **err);

/*
 * Applies the `kind` Dockerfiles of `ids` in `generated` to the image `base` (`base->name` is the
 * base_image arg; its tree comes from `rootfs_fn`; `arch` is its architecture). On success
 * out->layer is set when there was a Dockerfile. Free with cnb__platform_extend_out_clear().
 */
int cnb__platform_build_extend(cnb_ctx *ctx, const cnb__platform_extend_job_in *job, const char *generated, const char *const *ids,
		      cnb__extend_kind kind, const cnb__extend_base *base, cnb__platform_extend_rootfs_fn rootfs_fn,
		      void *userdata, const char *arch, cnb__platform_extend_out *out, cnb_error **err);
void cnb__platform_extend_out_clear(cnb__platform_extend_out *out);

/* The run image after its run.Dockerfiles: `layer` on top, Env/User/WorkingDir/Labels (with
 * io.buildpacks.rebasable) from the plan, history naming the extensions. */
int cnb__platform_extend_run_image(cnb__oci_image *run, const cnb__platform_extend_out *ext, cnb_error **err);

/* The build image's Env after its build.Dockerfiles (the reference lifecycle sets the extended
 * image's Env for the build phase): written into `builder`'s config, which the phases read. */
int cnb__platform_extend_build_env(cnb__oci_image *builder, const cnb__platform_extend_out *ext, cnb_error **err);

#endif
