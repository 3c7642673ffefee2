/* [[targets]] of builder.toml, package.toml and buildpack.toml as the platforms to make. */
#include "platform-targets.h"
#include "lib/common/error-internal.h"
#include "lib/common/strv.h"
#include "oci/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool listed(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return true;
	return false;
}

static int parse_list(char **list, size_t *n, const cnb_toml *targets, const char *path, bool lenient,
		      cnb_error **err)
{
	for (size_t i = 0; i < cnb__toml_len(targets); i++) {
		const cnb_toml *t = cnb__toml_at(targets, i);
		const char *os = cnb__toml_get_string(t, "os"), *arch = cnb__toml_get_string(t, "arch");
		const char *variant = cnb__toml_get_string(t, "variant");
		if ((!arch || !*arch) && lenient)
			continue;
		if (!arch || !*arch)
			return cnb__error_set(err, CNB_EINVAL, "%s: targets[%zu] has no arch (e.g. arch = \"arm64\")", path, i);
		if (os && *os && strcmp(os, "linux"))
			return cnb__error_set(err, CNB_EUNSUPPORTED, "%s: targets[%zu] os = \"%s\": only linux is supported",
					      path, i, os);
		char name[CNB_OCI_PLATFORM_NAME_MAX];
		cnb__oci_platform p;
		snprintf(name, sizeof(name), "linux/%s%s%s", arch, variant && *variant ? "/" : "",
			 variant && *variant ? variant : "");
		if (cnb__oci_platform_parse(&p, name, err) < 0)
			return cnb__error_prefix(err, "%s: targets[%zu]", path, i);
		cnb__oci_platform_format(&p, name, sizeof(name));
		if (listed(list, *n, name) && lenient)
			continue;
		if (listed(list, *n, name))
			return cnb__error_set(err, CNB_EINVAL, "%s: targets[%zu] repeats %s", path, i, name);
		if (*n == CNB_BUILDER_MAX_TARGETS)
			return cnb__error_set(err, CNB_EINVAL, "%s: more than %d [[targets]]", path, CNB_BUILDER_MAX_TARGETS);
		if (!(list[(*n)++] = strdup(name)))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

int cnb__builder_targets_parse(char ***out, size_t *n, const cnb_toml *targets, const char *path, bool lenient,
			       cnb_error **err)
{
	*out = NULL;
	*n = 0;
	if (!targets)
		return 0;
	if (cnb__toml_type(targets) != CNB_TOML_ARRAY)
		return cnb__error_set(err, CNB_EPARSE, "%s: targets must be an array of tables ([[targets]])", path);
	char **list = calloc(CNB_BUILDER_MAX_TARGETS + 1, sizeof(char *));
	if (!list)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = parse_list(list, n, targets, path, lenient, err);
	if (r < 0 || *n == 0) {
		cnb__strv_free(list);
		*n = 0;
		return r;
	}
	*out = list;
	return 0;
}

int cnb__builder_targets_pick(char *const *targets, size_t n, const char *requested, const char *whose,
			      const char **out, cnb_error **err)
{
	*out = requested;
	if (!requested || !n)
		return 0;
	cnb__oci_platform p;
	char name[CNB_OCI_PLATFORM_NAME_MAX];
	if (cnb__oci_platform_parse(&p, requested, err) < 0)
		return CNB_EINVAL;
	cnb__oci_platform_format(&p, name, sizeof(name));
	if (listed(targets, n, name) || listed(targets, n, requested))
		return 0;
	return cnb__error_set(err, CNB_EINVAL, "--platform %s is not one of %s [[targets]] (%s%s): pick one of them, "
					       "add it, or leave --platform out to make them all", requested, whose, targets[0],
			      n > 1 ? ", ..." : "");
}
