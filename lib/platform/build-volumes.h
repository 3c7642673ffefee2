/*
 * --volume HOST:TARGET[:ro|:rw] (pack's form) and service bindings: host directories mounted into
 * the build, never into the image. A volume at <bindings root>/NAME is a service binding
 * (github.com/servicebinding/spec, "Workload Projection"; buildpacks/spec buildpack.md
 * "Bindings"): a directory of files, one of them `type`.
 */
#ifndef CNB_PLATFORM_BUILD_VOLUMES_H
#define CNB_PLATFORM_BUILD_VOLUMES_H

#include <stdbool.h>
#include <cnb/error.h>

#define CNB_BINDINGS_DEFAULT_ROOT "/platform/bindings"

typedef struct cnb__platform_volume {
	char *host;   /* absolute host directory */
	char *target; /* absolute path in the build, normalised (no "//", no trailing "/") */
	bool read_only;
	bool binding; /* directly under the bindings root */
} cnb__platform_volume;

/*
 * Parses and checks every spec of `specs` (NULL-terminated, may be NULL) before anything runs: the
 * host directory exists (its last component not a symlink), the target is absolute, without "..",
 * and outside /layers, the workspace (`workspace`; NULL: /workspace) and /cnb (the lifecycle's own;
 * what is there may be exported) and
 * is not / or /platform; two volumes never share a target; a binding has a `type` file.
 * `env` ("K=V", may be NULL) may set SERVICE_BINDING_ROOT. *out: n entries, cnb__platform_volumes_free().
 */
int cnb__platform_volumes_parse(const char *const *specs, const char *const *env, const char *workspace, cnb__platform_volume **out,
		       size_t *out_n, cnb_error **err);
void cnb__platform_volumes_free(cnb__platform_volume *v, size_t n);

#endif
