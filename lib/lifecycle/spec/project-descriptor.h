/*
 * project.toml, the app's project descriptor (buildpacks/spec extensions/project-descriptor.md):
 * schema 0.2 ([_], [io.buildpacks]) and 0.1 ([project], [build]). The platform reads it before a
 * build: build env → <platform>/env, include/exclude → which app files are sent, group → order.
 */
#ifndef CNB_LC_PROJECT_DESCRIPTOR_H
#define CNB_LC_PROJECT_DESCRIPTOR_H

#include <stddef.h>
#include <cnb/error.h>
#include "lib/toml/toml.h"

typedef struct cnb__lifecycle_project_env {
	char *name;
	char *value;
} cnb__lifecycle_project_env;

typedef struct cnb__lifecycle_project_buildpack {
	char *id;      /* "" when only a uri is given */
	char *version; /* "" when absent */
	char *uri;     /* "" when absent */
	/* [….script]: an inline buildpack (its build is `inline` run by `shell`); NULL when absent */
	char *script_api, *script_inline, *script_shell;
} cnb__lifecycle_project_buildpack;

typedef struct cnb__lifecycle_project_group {
	cnb__lifecycle_project_buildpack *bps;
	size_t n;
} cnb__lifecycle_project_group;

typedef struct cnb__lifecycle_project_descriptor {
	char *schema_version; /* "0.1" or "0.2" */
	char *id, *name, *version;
	char *builder; /* "" when absent */
	char **include; /* NULL-terminated gitignore-style patterns; at most one of include/exclude is non-empty */
	char **exclude;
	cnb__lifecycle_project_env *env; /* build-time env, in file order */
	size_t n_env;
	cnb__lifecycle_project_buildpack *group; /* buildpacks to use instead of the builder's order */
	size_t n_group;
	/* 0.2 [[io.buildpacks.pre.group]] / [[io.buildpacks.post.group]]: before / after every group */
	cnb__lifecycle_project_group pre, post;
} cnb__lifecycle_project_descriptor;

/* Parses a project.toml document; `name` is used in errors. */
int cnb__lifecycle_project_descriptor_parse(cnb__lifecycle_project_descriptor **out, const cnb_toml *doc, const char *name,
				  cnb_error **err);
/* Reads <path> (bounded, no symlink as the last component: it comes from the app source). */
int cnb__lifecycle_project_descriptor_load(cnb__lifecycle_project_descriptor **out, const char *path, cnb_error **err);
void cnb__lifecycle_project_descriptor_free(cnb__lifecycle_project_descriptor *d);

/*
 * Writes the build env as <platform>/env/<NAME> files (the form the lifecycle reads). Names
 * that are not plain file names ("", ".", "..", containing "/" or "=") are refused.
 */
int cnb__lifecycle_project_descriptor_write_env(const cnb__lifecycle_project_descriptor *d, const char *platform_dir, cnb_error **err);

#endif
