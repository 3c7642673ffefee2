/* package.toml parsing (pack's format). */
#include "buildpack-package-config.h"
#include "builder-config.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/strv.h"
#include "lib/toml/toml.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

static int parse(cnb__builder_package_config *c, const cnb_toml *doc, const char *path, const char *base, cnb_error **err)
{
	/* An image extension's package.toml says [extension] (pack extension package). */
	const char *uri = cnb__toml_get_string(cnb__toml_get(doc, "buildpack"), "uri");
	if (!uri)
		uri = cnb__toml_get_string(cnb__toml_get(doc, "extension"), "uri");
	if (!uri)
		return cnb__error_set(err, CNB_EINVAL,
				      "%s: no [buildpack] uri (or [extension] uri): name the buildpack's directory", path);
	if (!(c->buildpack_uri = cnb__builder_resolve_uri(uri, base)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (c->buildpack_uri[0] != '/')
		return cnb__error_set(err, CNB_EUNSUPPORTED, "%s: [buildpack] uri %s: only a directory is supported here "
							     "(packages and images go to [[dependencies]])", path, uri);
	const cnb_toml *deps = cnb__toml_get(doc, "dependencies");
	if (deps && cnb__toml_type(deps) != CNB_TOML_ARRAY)
		return cnb__error_set(err, CNB_EPARSE, "%s: dependencies must be an array of tables ([[dependencies]])", path);
	size_t n = cnb__toml_len(deps);
	if (!(c->dependencies = calloc(n + 1, sizeof(char *))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *dep = cnb__toml_get_string(cnb__toml_at(deps, i), "uri");
		if (!dep)
			return cnb__error_set(err, CNB_EINVAL, "%s: dependencies[%zu] has no uri (registry ids are not "
							       "supported: give a directory, a .cnb file or an image)", path, i);
		if (!(c->dependencies[c->n_dependencies++] = cnb__builder_resolve_uri(dep, base)))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	const char *os = cnb__toml_get_string(cnb__toml_get(doc, "platform"), "os");
	if (os && strcmp(os, "linux"))
		return cnb__error_set(err, CNB_EUNSUPPORTED, "%s: [platform] os = \"%s\": only linux is supported", path, os);
	if (!(c->os = strdup("linux")))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return cnb__builder_targets_parse(&c->targets, &c->n_targets, cnb__toml_get(doc, "targets"), path, false, err);
}

int cnb__builder_package_config_load(cnb__builder_package_config **out, const char *path, cnb_error **err)
{
	cnb_toml *doc = NULL;
	if (cnb__toml_parse_file(&doc, path, err) < 0)
		return cnb__error_prefix(err, "package config");
	_cleanup_free_ char *path_copy = strdup(path);
	cnb__builder_package_config *c = calloc(1, sizeof(*c));
	int r = c && path_copy ? parse(c, doc, path, dirname(path_copy), err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__toml_free(doc);
	if (r < 0) {
		cnb__builder_package_config_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void cnb__builder_package_config_free(cnb__builder_package_config *c)
{
	if (!c)
		return;
	free(c->buildpack_uri);
	for (size_t i = 0; i < c->n_dependencies; i++)
		free(c->dependencies[i]);
	free(c->dependencies);
	free(c->os);
	cnb__strv_free(c->targets);
	free(c);
}
