/* Platforms ("linux/arm64/v8") and how an index entry is matched against the one we want. */
#ifndef CNB_OCI_PLATFORM_H
#define CNB_OCI_PLATFORM_H

#include <cnb/error.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct cnb__oci_platform {
	char os[32];
	char arch[32];
	char variant[16]; /* "" when unspecified */
} cnb__oci_platform;

/* Parses "os/arch[/variant]"; NULL or "" means the host's platform. Arch aliases are normalized
 * (x86_64 → amd64, aarch64 → arm64). */
int cnb__oci_platform_parse(cnb__oci_platform *out, const char *s, cnb_error **err);

/* True when an entry with (os, arch, variant) satisfies `want`; a missing variant on either side
 * matches the architecture's default (arm64 = v8, arm = v7). */
bool cnb__oci_platform_matches(const cnb__oci_platform *want, const char *os, const char *arch, const char *variant);

/* "os/arch[/variant]" into buf (CNB_OCI_PLATFORM_NAME_MAX bytes hold any). */
void cnb__oci_platform_format(const cnb__oci_platform *p, char *buf, size_t size);

#define CNB_OCI_PLATFORM_NAME_MAX 96
#define CNB_OCI_PLATFORMS_MAX 8

/* "linux/amd64,linux/arm64" (blanks around entries allowed) as a NULL-terminated list of normalized
 * "os/arch[/variant]" names, *n of them (caller frees each and the list). An empty entry, a repeat or
 * more than CNB_OCI_PLATFORMS_MAX is CNB_EINVAL. */
int cnb__oci_platform_list_parse(char ***out, size_t *n, const char *s, cnb_error **err);

#endif
