/* Platform names follow the image-spec's GOOS/GOARCH values. */
#include "platform.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

static const char *normalize_arch(const char *a)
{
	if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64"))
		return "amd64";
	if (!strcmp(a, "aarch64"))
		return "arm64";
	if (!strcmp(a, "i386") || !strcmp(a, "i686"))
		return "386";
	return a;
}

static const char *default_variant(const char *arch)
{
	if (!strcmp(arch, "arm64"))
		return "v8";
	if (!strcmp(arch, "arm"))
		return "v7";
	return "";
}

static void host_platform(cnb__oci_platform *out)
{
	struct utsname u;
	const char *arch = "amd64";
	if (uname(&u) == 0) {
		arch = normalize_arch(u.machine);
		if (!strncmp(u.machine, "armv7", 5))
			arch = "arm";
	}
	snprintf(out->os, sizeof(out->os), "linux");
	snprintf(out->arch, sizeof(out->arch), "%.*s", (int)sizeof(out->arch) - 1, arch);
	out->variant[0] = '\0';
}

int cnb__oci_platform_parse(cnb__oci_platform *out, const char *s, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	if (!s || !*s) {
		host_platform(out);
		return 0;
	}
	if (strchr(s, ','))
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "platform \"%s\": one platform here (a comma list is for `cnb build`, which makes an "
				      "image index of them)",
				      s);
	char os[64] = "", arch[64] = "", variant[64] = "", extra[8] = "";
	int n = sscanf(s, "%63[^/]/%63[^/]/%63[^/]/%7s", os, arch, variant, extra);
	if (n < 2 || n > 3 || strlen(os) >= sizeof(out->os) || strlen(variant) >= sizeof(out->variant))
		return cnb__error_set(err, CNB_EINVAL, "invalid platform \"%s\": expected os/arch[/variant], e.g. linux/amd64", s);
	snprintf(out->os, sizeof(out->os), "%s", os);
	snprintf(out->arch, sizeof(out->arch), "%s", normalize_arch(arch));
	snprintf(out->variant, sizeof(out->variant), "%s", variant);
	return 0;
}

bool cnb__oci_platform_matches(const cnb__oci_platform *want, const char *os, const char *arch, const char *variant)
{
	if (!os || !arch || strcmp(want->os, os) || strcmp(want->arch, normalize_arch(arch)))
		return false;
	const char *have = variant && *variant ? variant : default_variant(want->arch);
	const char *need = *want->variant ? want->variant : default_variant(want->arch);
	/* No variant asked for and none defaulted: any variant of the arch will do. */
	if (!*want->variant && !*need)
		return true;
	return !strcmp(have, need);
}

void cnb__oci_platform_format(const cnb__oci_platform *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s%s%s", p->os, p->arch, *p->variant ? "/" : "", p->variant);
}

int cnb__oci_platform_list_parse(char ***out, size_t *n, const char *s, cnb_error **err)
{
	*out = NULL;
	*n = 0;
	_cleanup_free_ char *copy = strdup(s);
	char **list = calloc(CNB_OCI_PLATFORMS_MAX + 1, sizeof(char *));
	int r = copy && list ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	char *rest = copy;
	for (char *item = copy ? strsep(&rest, ",") : NULL; r == 0 && item; item = strsep(&rest, ",")) {
		item += strspn(item, " \t");
		item[strcspn(item, " \t")] = '\0';
		cnb__oci_platform p;
		char name[CNB_OCI_PLATFORM_NAME_MAX];
		if (*n == CNB_OCI_PLATFORMS_MAX)
			r = cnb__error_set(err, CNB_EINVAL, "platforms \"%s\": at most %d", s, CNB_OCI_PLATFORMS_MAX);
		else if ((r = cnb__oci_platform_parse(&p, item, err)) == 0 && !*item)
			r = cnb__error_set(err, CNB_EINVAL, "platforms \"%s\": an empty entry", s);
		if (r < 0)
			break;
		cnb__oci_platform_format(&p, name, sizeof(name));
		for (size_t i = 0; r == 0 && i < *n; i++)
			if (!strcmp(list[i], name))
				r = cnb__error_set(err, CNB_EINVAL, "platforms \"%s\": %s twice", s, name);
		if (r == 0 && !(list[(*n)++] = strdup(name)))
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (r == 0 && *n == 0)
		r = cnb__error_set(err, CNB_EINVAL, "platforms \"%s\": none given, e.g. linux/amd64,linux/arm64", s);
	if (r < 0) {
		for (size_t i = 0; list && list[i]; i++)
			free(list[i]);
		free(list);
		*n = 0;
		return r;
	}
	*out = list;
	return 0;
}
