/*
 * pack's package.toml: [buildpack] uri (a directory), [[dependencies]] uri (a directory, a .cnb
 * file, "docker://REF" or a plain image reference), [platform] os ("linux"), [[targets]] (os, arch,
 * variant: the platforms to package, as builder.toml's). Relative URIs resolve
 * against the directory of package.toml.
 */
#ifndef CNB_BUILDPACK_PACKAGE_CONFIG_H
#define CNB_BUILDPACK_PACKAGE_CONFIG_H

#include <stddef.h>
#include <cnb/error.h>

typedef struct cnb__builder_package_config {
	char *buildpack_uri; /* absolute path */
	char **dependencies; /* resolved uris, n_dependencies of them */
	size_t n_dependencies;
	char *os;            /* "linux" */
	char **targets;      /* [[targets]] as "linux/arch[/variant]" (platform-targets.h), or NULL */
	size_t n_targets;
} cnb__builder_package_config;

int cnb__builder_package_config_load(cnb__builder_package_config **out, const char *path, cnb_error **err);
void cnb__builder_package_config_free(cnb__builder_package_config *c);

#endif
