/* Picking the mirror of an image's registry (image-mirrors.h). */
#include "image-mirrors.h"
#include "lib/common/cleanup.h"
#include "oci/location.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool same_registry(const char *a, size_t a_len, const char *b)
{
	static const char hub[] = "docker.io", index[] = "index.docker.io";
	if (a_len == sizeof(index) - 1 && !strncmp(a, index, a_len))
		a = hub, a_len = sizeof(hub) - 1;
	if (!strcmp(b, index))
		b = hub;
	return strlen(b) == a_len && !strncmp(a, b, a_len);
}

char *cnb__platform_build_mirror_name(const char *name, const char *const *mirrors)
{
	_cleanup_oci_loc_ cnb__oci_loc loc = { 0 };
	if (!mirrors || !*mirrors || cnb__oci_loc_parse(&loc, name, NULL) < 0 || loc.kind != CNB__OCI_LOC_REGISTRY)
		return strdup(name);
	for (const char *const *m = mirrors; *m; m++) {
		const char *eq = strchr(*m, '=');
		if (!eq || !same_registry(*m, (size_t)(eq - *m), loc.ref.registry))
			continue;
		char *out = NULL;
		int n = loc.ref.digest ? asprintf(&out, "docker://%s/%s@%s", eq + 1, loc.ref.repository, loc.ref.digest)
				       : asprintf(&out, "docker://%s/%s:%s", eq + 1, loc.ref.repository, loc.ref.tag);
		return n < 0 ? NULL : out;
	}
	return strdup(name);
}
