/* Transport prefixes as skopeo spells them, so commands copied from skopeo docs work unchanged. */
#include "location.h"
#include "lib/common/error-internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* org.opencontainers.image.ref.name as image-spec image-layout.md ("Index annotations") defines it:
 * components of [A-Za-z0-9]+ joined by one of "-._:@+" or "--", separated by "/". */
bool cnb__oci_layout_ref_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 255)
		return false;
	bool need_alnum = true; /* at the start, after "/" and after a separator */
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (isalnum((unsigned char)c)) {
			need_alnum = false;
		} else if (need_alnum) {
			return false;
		} else if (c == '/' || strchr("._:@+", c)) {
			need_alnum = true;
		} else if (c == '-') {
			need_alnum = true;
			if (name[i + 1] == '-')
				i++;
		} else {
			return false;
		}
	}
	return !need_alnum;
}

int cnb__oci_loc_parse(cnb__oci_loc *out, const char *s, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	if (!strncmp(s, "docker://", 9)) {
		out->kind = CNB__OCI_LOC_REGISTRY;
		return cnb__oci_ref_parse(&out->ref, s + 9, err);
	}
	if (!strncmp(s, "oci:", 4)) {
		out->kind = CNB__OCI_LOC_LAYOUT;
		const char *dir = s + 4;
		const char *colon = strchr(dir, ':');
		if (colon == dir || !*dir)
			return cnb__error_set(err, CNB_EPARSE, "invalid image location \"%s\": oci: needs a directory (oci:DIR[:TAG])", s);
		out->dir = colon ? strndup(dir, (size_t)(colon - dir)) : strdup(dir);
		if (colon && colon[1] && !cnb__oci_layout_ref_valid(colon + 1))
			return cnb__error_set(err, CNB_EINVAL,
					      "invalid image name \"%s\" for an OCI layout: components of letters and digits "
					      "joined by one of -._:@+ or --, separated by / (e.g. app:1.0)", colon + 1);
		if (colon && colon[1]) {
			out->tag = strdup(colon + 1);
			if (!out->tag) {
				cnb__oci_loc_clear(out);
				return cnb__error_set(err, CNB_ENOMEM, "out of memory");
			}
		}
		if (!out->dir)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		return 0;
	}
	const char *sep = strstr(s, "://");
	const char *slash = strchr(s, '/');
	if (sep && (!slash || sep < slash))
		return cnb__error_set(err, CNB_EUNSUPPORTED, "image location \"%s\": unsupported transport (use docker://REF or oci:DIR[:TAG])", s);
	out->kind = CNB__OCI_LOC_REGISTRY;
	return cnb__oci_ref_parse(&out->ref, s, err);
}

void cnb__oci_loc_clear(cnb__oci_loc *loc)
{
	cnb__oci_ref_clear(&loc->ref);
	free(loc->dir);
	free(loc->tag);
	memset(loc, 0, sizeof(*loc));
}

char *cnb__oci_loc_string(const cnb__oci_loc *loc)
{
	char *out = NULL;
	if (loc->kind == CNB__OCI_LOC_LAYOUT) {
		if (asprintf(&out, "oci:%s%s%s", loc->dir, loc->tag ? ":" : "", loc->tag ? loc->tag : "") < 0)
			return NULL;
		return out;
	}
	char *ref = cnb__oci_ref_string(&loc->ref);
	if (ref && asprintf(&out, "docker://%s", ref) < 0)
		out = NULL;
	free(ref);
	return out;
}
