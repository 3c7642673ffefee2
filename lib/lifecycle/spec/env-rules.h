/*
 * A process environment under construction, and the CNB environment modification rules
 * applied to it: layer env/ dirs, layer root dirs (bin, lib...), the build allow-list
 * (buildpack.md "Environment", buildpack.md "Environment Variable Modification Rules").
 */
#ifndef CNB_LC_ENV_RULES_H
#define CNB_LC_ENV_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>
#include "lib/common/strv.h"

typedef struct cnb__lifecycle_env {
	cnb__strv_list vars; /* "NAME=value": usable as envp through cnb__lifecycle_env_envp() */
} cnb__lifecycle_env;

#define CNB_ENV_INIT { CNB_STRV_LIST_INIT }

/* What a file without a suffix does: override for buildpack layers, default for build-config. */
typedef enum cnb__lifecycle_env_action {
	CNB_ENV_OVERRIDE,
	CNB_ENV_DEFAULT,
	CNB_ENV_PREPEND,
	CNB_ENV_APPEND,
} cnb__lifecycle_env_action;

/* Largest env file we read: values are verbatim file contents, bounded because buildpacks write them. */
#define CNB_ENV_FILE_MAX (1024u * 1024)

void cnb__lifecycle_env_free(cnb__lifecycle_env *env);
static inline void cnb__env_freep(cnb__lifecycle_env *env) { cnb__lifecycle_env_free(env); }
#define _cleanup_env_ __attribute__((cleanup(cnb__env_freep)))

/* NULL when unset. */
const char *cnb__lifecycle_env_get(const cnb__lifecycle_env *env, const char *name);
/* 0 or CNB_ENOMEM. */
int cnb__lifecycle_env_set(cnb__lifecycle_env *env, const char *name, const char *value);
int cnb__lifecycle_env_setn(cnb__lifecycle_env *env, const char *name, const char *value, size_t value_len);
int cnb__lifecycle_env_copy(cnb__lifecycle_env *dst, const cnb__lifecycle_env *src);
/* envp view: never NULL (an empty env gives a pointer to a NULL entry). Valid until the next change. */
char *const *cnb__lifecycle_env_envp(const cnb__lifecycle_env *env);

/*
 * The base of every buildpack's build environment: `environ` filtered to the allow-list of
 * platform.md "Buildpack Environment" (HOME, HOSTNAME, *_PROXY, CNB_STACK_ID and the POSIX path vars).
 */
int cnb__lifecycle_env_init_build(cnb__lifecycle_env *env, char *const *environ);

/*
 * Bounded read (CNB_ENV_FILE_MAX) of env file `name` in `dirfd`, verbatim. The last component is
 * followed only with `follow` (trusted dirs: platform, build-config). `dir` names it in errors.
 */
int cnb__lifecycle_env_read_file(int dirfd, const char *dir, const char *name, bool follow, char **out, size_t *len,
		       cnb_error **err);

/* Applies one modification: `action` with `value` and delimiter `delim` ("" = none). */
int cnb__lifecycle_env_modify(cnb__lifecycle_env *env, const char *name, cnb__lifecycle_env_action action, const char *value, size_t value_len,
		    const char *delim);

/*
 * Applies every file of `dir` (missing dir = nothing), in alphabetical order: NAME[.suffix] with
 * suffix override/default/prepend/append/delim; no suffix = `no_suffix`; other suffixes ignored.
 * Contents are used verbatim. Symlinks to files are followed only when `follow` (trusted dirs);
 * subdirectories are skipped.
 */
int cnb__lifecycle_env_apply_dir(cnb__lifecycle_env *env, const char *dir, cnb__lifecycle_env_action no_suffix, bool follow, cnb_error **err);

/*
 * Prepends a layer's bin→PATH, lib→LD_LIBRARY_PATH and LIBRARY_PATH, include→CPATH,
 * pkgconfig→PKG_CONFIG_PATH (build) or only bin and lib (launch), when the subdir exists.
 */
int cnb__lifecycle_env_add_root_dir(cnb__lifecycle_env *env, const char *layer_dir, bool build, cnb_error **err);

/*
 * What a buildpack's build=true layer contributes to later buildpacks (platform.md "builder"):
 * root dirs, then env/, then env.build/, each with no suffix = override.
 */
int cnb__lifecycle_env_apply_build_layer(cnb__lifecycle_env *env, const char *layer_dir, cnb_error **err);

#endif
