/*
 * Applying parsed extension Dockerfiles to an image's config, on the host, without running
 * anything: the result is the config the extended image gets (Env, User, WorkingDir, Labels, as
 * docker would leave them) and the list of filesystem operations the guest extender
 * (extend-apply.h) then performs in order: each RUN with its argv, environment (ENV plus the ARGs
 * in scope), user and working directory, and each WORKDIR's directory.
 *
 * Spec rules checked here (buildpacks/spec image_extension.md, Dockerfile Requirements; platform.md
 * extender): one FROM, after ARGs only; a build.Dockerfile's FROM is ${base_image}; the base_image,
 * build_id, user_id and group_id args come from the platform, the extension's extend-config.toml
 * args after them (lifecycle phase/extender.go orders them so).
 */
#ifndef CNB_EXTEND_DOCKERFILE_EVAL_H
#define CNB_EXTEND_DOCKERFILE_EVAL_H

#include "dockerfile.h"
#include "lib/common/strv.h"

#include <jansson.h>

/* The image config as the Dockerfiles leave it. Start from the base image's config. */
typedef struct cnb__extend_config {
	cnb__strv_list env; /* "K=V" */
	char *user;         /* config User; "" is root */
	char *workdir;      /* config WorkingDir; "" is / */
	char **shell;       /* SHELL; NULL: /bin/sh -c */
	json_t *labels;     /* object of strings, never NULL */
} cnb__extend_config;

/* From an image config's "config" object (may be NULL). */
int cnb__extend_config_init(cnb__extend_config *c, const json_t *image_config, cnb_error **err);
void cnb__extend_config_clear(cnb__extend_config *c);

/*
 * Evaluates `df` (called `name` in errors: "extension x: build.Dockerfile") on top of `c`,
 * `build_kind` for a build.Dockerfile. `args` are the build args ("K=V": base_image, build_id,
 * user_id, group_id, then extend-config.toml's). Appends each operation to `ops` as
 * {"where": "<name> line N", "argv": [...], "env": [...], "user": "...", "workdir": "..."},
 * {"where": ..., "mkdir": "/abs/dir"} or, for COPY and ADD,
 * {"where": ..., "copy": ["src", ...], "dest": "/abs/dest[/]", "chown": "user[:group]", "context": `context`}.
 * `context` names the build context's directory in the guest (NULL: there is none, and COPY is an
 * error saying so). COPY sources are relative to it and may not leave it (no absolute path, no
 * ".."); wildcards are refused. ADD is COPY for local paths: URLs are refused, and so are sources
 * named like archives (cnb's extender does not extract them). Flags other than --chown are refused.
 */
int cnb__extend_dockerfile_eval(const cnb__extend_dockerfile *df, const char *name, bool build_kind, const char *const *args,
				const char *context, cnb__extend_config *c, json_t *ops, cnb_error **err);

#endif
