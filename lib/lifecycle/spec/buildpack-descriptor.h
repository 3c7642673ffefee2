/*
 * buildpack.toml (buildpack.md "Data Format" › "buildpack.toml", platform.md "Data Format") and the on-disk lookup
 * <buildpacks>/<escaped id>/<version>/buildpack.toml.
 */
#ifndef CNB_LC_BUILDPACK_DESCRIPTOR_H
#define CNB_LC_BUILDPACK_DESCRIPTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>
#include "lib/lifecycle/spec/api-version.h"
#include "lib/common/dir-list.h"
#include "lib/toml/toml.h"

typedef struct cnb__lifecycle_order_elem {
	char *id;
	char *version;
	bool optional;
	bool extension; /* an image extension ([[order-extensions]]), looked up in <extensions> */
} cnb__lifecycle_order_elem;

typedef struct cnb__lifecycle_order_group {
	cnb__lifecycle_order_elem *elems;
	size_t n;
} cnb__lifecycle_order_group;

/* An [[order]] list: groups tried in turn. */
typedef struct cnb__lifecycle_order {
	cnb__lifecycle_order_group *groups;
	size_t n;
} cnb__lifecycle_order;

typedef struct cnb__lifecycle_distro {
	char *name;
	char *version;
} cnb__lifecycle_distro;

/* A [[targets]] entry; empty fields are wildcards. Also used for the run image's target data. */
typedef struct cnb__lifecycle_target {
	char *os;
	char *arch;
	char *variant;
	cnb__lifecycle_distro *distros;
	size_t n_distros;
} cnb__lifecycle_target;

/*
 * A buildpack.toml, or an image extension's extension.toml (image_extension.md "extension.toml"):
 * the same fields under [extension]; an extension has no order and no bin/build.
 */
typedef struct cnb__lifecycle_bp_descriptor {
	bool extension; /* parsed from [extension] */
	char *dir;  /* the buildpack's directory */
	char *path; /* .../buildpack.toml, for messages */
	char *api_text;
	cnb__lifecycle_api api;
	char *id;
	char *version;
	char *name;
	char *homepage;
	bool clear_env;
	char **exec_env; /* NULL-terminated; empty = every environment */
	size_t n_exec_env;
	char **sbom_formats; /* NULL-terminated media types */
	size_t n_sbom_formats;
	cnb__lifecycle_order order; /* non-empty for composite (meta) buildpacks */
	cnb__lifecycle_target *targets; /* declared or inferred (buildpack.md "Targets") */
	size_t n_targets;
	bool any_target; /* a `*` stack, or nothing to infer from: matches every target */
} cnb__lifecycle_bp_descriptor;

/* Parses an [[order]] array of tables (order.toml or a composite's buildpack.toml). */
int cnb__lifecycle_order_parse(cnb__lifecycle_order *out, const cnb_toml *order, const char *where, cnb_error **err);
/*
 * Reads order.toml: [[order]] into `out`, [[order-extensions]] into `extensions` with every element
 * marked extension and optional (platform.md "order.toml": image extensions are always optional).
 */
int cnb__lifecycle_order_load(cnb__lifecycle_order *out, cnb__lifecycle_order *extensions, const char *path, cnb_error **err);
void cnb__lifecycle_order_free(cnb__lifecycle_order *o);

/*
 * Platform 0.15 system buildpacks (platform.md "system.toml"): prepends [[system.pre.buildpacks]] and
 * appends [[system.post.buildpacks]] to every group, skipping IDs the group already has. They are
 * required: ⚠ DIFF, the lifecycle ignores `optional` there. A missing file changes nothing.
 */
int cnb__lifecycle_order_add_system(cnb__lifecycle_order *order, const char *system_path, cnb_error **err);

/*
 * Parses a buildpack.toml document found in `dir`, or an extension.toml (a document with an
 * [extension] table and no [buildpack]). The `api` is checked: CNB_EUNSUPPORTED names
 * the buildpack and the supported range (exit 12).
 */
int cnb__lifecycle_bp_descriptor_parse(cnb__lifecycle_bp_descriptor **out, const cnb_toml *doc, const char *dir, const char *path,
			     cnb_error **err);

/* Loads <buildpacks>/<escaped id>/<version>/buildpack.toml. Missing: CNB_ENOTFOUND. */
int cnb__lifecycle_bp_descriptor_load(cnb__lifecycle_bp_descriptor **out, const char *buildpacks_dir, const char *id,
			    const char *version, cnb_error **err);

/* Loads <extensions>/<escaped id>/<version>/extension.toml. Missing: CNB_ENOTFOUND. */
int cnb__lifecycle_ext_descriptor_load(cnb__lifecycle_bp_descriptor **out, const char *extensions_dir, const char *id,
			     const char *version, cnb_error **err);

/* "buildpack" or "extension", for messages. */
const char *cnb__lifecycle_bp_kind(const cnb__lifecycle_bp_descriptor *d);

void cnb__lifecycle_bp_descriptor_free(cnb__lifecycle_bp_descriptor *d);

/* `/` in an ID becomes `_` in paths (lifecycle launch/launch.go EscapeID). Caller frees; NULL on OOM. */
char *cnb__lifecycle_bp_escape_id(const char *id);

/*
 * buildpack.md "buildpack.toml": letters, digits, `.`, `/`, `-`; never a name the layers dir uses for
 * itself (app, config, generated, sbom). `_` is accepted too: pack and the reference lifecycle do, and
 * real buildpacks use it (see cnb__lifecycle_bp_id_warning).
 */
bool cnb__lifecycle_bp_id_valid(const char *id);

/* The warning for an id the spec forbids but we accept (one with `_`), or NULL (none, or OOM). Caller frees. */
char *cnb__lifecycle_bp_id_warning(const char *id);

/* "id@version". Caller frees. */
char *cnb__lifecycle_bp_ref(const char *id, const char *version);

void cnb__lifecycle_target_free(cnb__lifecycle_target *t);

/*
 * Whether a buildpack can build for `run` (lifecycle platform/target_data.go TargetSatisfiedForBuild):
 * os, arch, variant equal or empty on either side; declared distros need one matching pair.
 */
bool cnb__lifecycle_bp_target_matches(const cnb__lifecycle_bp_descriptor *d, const cnb__lifecycle_target *run);

/* Whether the buildpack runs for exec environment `exec_env` (Buildpack API >= 0.12). */
bool cnb__lifecycle_bp_exec_env_allows(const cnb__lifecycle_bp_descriptor *d, const char *exec_env);

#endif
