/*
 * The extend step's input, read on the host from the generated directory the generate phase
 * leaves (Platform API 0.13+ layout, as the reference lifecycle reads it in phase/extender.go):
 *
 *   <generated>/<extension id, "/" as "_">/build.Dockerfile
 *                                         /run.Dockerfile      (run.Dockerfile.ignore: skipped)
 *                                         /extend-config.toml  [[build.args]] / [[run.args]]: name, value
 *                                         /context.build/ or /context.run/, else /context/: the build
 *                                          context COPY and ADD read (image_extension.md, Buildpack API 0.10)
 *
 * Dockerfiles apply in the group's extension order. The files come from extensions: each is read
 * without following symlinks, bounded, and parsed strictly (dockerfile.h).
 */
#ifndef CNB_EXTEND_PLAN_H
#define CNB_EXTEND_PLAN_H

#include "dockerfile-eval.h"
#include "oci/digest.h"

#define CNB_EXTEND_CONFIG_MAX_BYTES (64u << 10)
#define CNB_EXTEND_PLAN_VERSION 1
#define CNB_EXTEND_CONTEXT_MAX_BYTES (512ull << 20) /* all build contexts of one kind, as a tar */
#define CNB_EXTEND_GUEST_CONTEXT "/cnb/extend-context" /* where the guest finds them: <dir>/<n>/ */

typedef enum cnb__extend_kind { CNB_EXTEND_BUILD, CNB_EXTEND_RUN } cnb__extend_kind;

typedef struct cnb__extend_plan {
	size_t n_dockerfiles;          /* 0: nothing to extend */
	json_t *ops;                   /* the guest's operations, in order (dockerfile-eval.h) */
	cnb__extend_config config;     /* the image config after every Dockerfile */
	char key[CNB_OCI_DIGEST_SIZE]; /* cache key: base digest, kind, every Dockerfile, its args */
	bool rebasable;                /* run: every run.Dockerfile labeled io.buildpacks.rebasable=true */
	/* The build contexts the COPY/ADD steps read, as one tar (entries "<n>/...", owned by root,
	 * epoch mtimes, symlinks as symlinks, no setid bits) in an unlinked temporary file; its digest
	 * is in the key. -1 when no Dockerfile copies anything. */
	int context_fd;
	size_t n_contexts;
} cnb__extend_plan;

/* What the base image is, for the build args and the cache key. */
typedef struct cnb__extend_base {
	const char *name;          /* base_image's value */
	const char *digest;        /* the base image's identity (manifest digest or chain id) */
	const json_t *config;      /* its config's "config" object (Env, User, WorkingDir, Labels) */
} cnb__extend_base;

/*
 * Reads the `kind` Dockerfiles of `ids` (the group's extensions, in order) from `generated_dir` and
 * evaluates them on `base`. A plan with n_dockerfiles 0 when none has one. Free with
 * cnb__extend_plan_clear(). Errors name the extension and file (and line).
 */
int cnb__extend_plan_read(cnb__extend_plan *p, const char *generated_dir, const char *const *ids, cnb__extend_kind kind,
			  const cnb__extend_base *base, cnb_error **err);
void cnb__extend_plan_clear(cnb__extend_plan *p);

/* The guest's input: {"version":1,"ops":[...]} (caller frees). */
char *cnb__extend_plan_json(const cnb__extend_plan *p);

#endif
