/* Reference grammar from the distribution project's reference package (facts, not code):
 * name components [a-z0-9]+ joined by ".", "_", "__" or "-"+; tags \w[\w.-]{0,127}; names up to 255. */
#include "reference.h"
#include "digest.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 255

void cnb__oci_ref_clear(cnb__oci_ref *ref)
{
	free(ref->registry);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	*ref = (cnb__oci_ref)CNB_OCI_REF_INIT;
}

static bool is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: alnum runs separated by ".", "_", "__" or any number of "-". */
static const char *component_error(const char *p, size_t len)
{
	if (len == 0)
		return "empty path component";
	if (!is_alnum_lower(p[0]) || !is_alnum_lower(p[len - 1]))
		return "path components must start and end with a lowercase letter or digit";
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (is_alnum_lower(c))
			continue;
		if (c >= 'A' && c <= 'Z')
			return "repository name must be lowercase";
		if (c == '.') {
			if (!is_alnum_lower(p[i + 1]))
				return "invalid separator in repository name";
		} else if (c == '_') {
			if (p[i + 1] == '_')
				i++;
			if (!is_alnum_lower(p[i + 1]))
				return "invalid separator in repository name";
		} else if (c == '-') {
			while (p[i + 1] == '-')
				i++;
			if (!is_alnum_lower(p[i + 1]))
				return "invalid separator in repository name";
		} else {
			return "invalid character in repository name";
		}
	}
	return NULL;
}

bool cnb__oci_tag_valid(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return false;
	return true;
}

static bool valid_host(const char *h, size_t len)
{
	if (len == 0)
		return false;
	size_t i = 0;
	if (h[0] == '[') { /* IPv6 literal */
		const char *close = memchr(h, ']', len);
		if (!close)
			return false;
		i = (size_t)(close - h) + 1;
	} else {
		for (; i < len && h[i] != ':'; i++)
			if (!(isalnum((unsigned char)h[i]) || h[i] == '.' || h[i] == '-'))
				return false;
		if (i == 0)
			return false;
	}
	if (i == len)
		return true;
	if (h[i] != ':' || i + 1 == len)
		return false;
	for (i++; i < len; i++)
		if (!isdigit((unsigned char)h[i]))
			return false;
	return true;
}

static int fail(cnb_error **err, const char *s, const char *why)
{
	return cnb__error_set(err, CNB_EPARSE, "invalid image reference \"%s\": %s", s, why);
}

int cnb__oci_ref_parse(cnb__oci_ref *out, const char *s, cnb_error **err)
{
	*out = (cnb__oci_ref)CNB_OCI_REF_INIT;
	if (!s || !*s)
		return cnb__error_set(err, CNB_EPARSE, "invalid image reference \"\": empty (expected e.g. registry.example.com/app:tag)");
	if (strlen(s) > 4096)
		return fail(err, "...", "longer than 4096 bytes");
	_cleanup_free_ char *work = strdup(s);
	if (!work)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");

	char *at = strchr(work, '@');
	char *digest = NULL;
	if (at) {
		*at = '\0';
		digest = at + 1;
		if (!cnb__oci_digest_valid(digest))
			return fail(err, s, "digest must be sha256: followed by 64 lowercase hex digits");
	}
	/* A tag is after the last ':' that follows the last '/', so "host:5000/app" has no tag. */
	char *slash = strrchr(work, '/');
	char *colon = strrchr(slash ? slash : work, ':');
	char *tag = NULL;
	if (colon) {
		*colon = '\0';
		tag = colon + 1;
		if (!cnb__oci_tag_valid(tag))
			return fail(err, s, "tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
	}
	char *name = work;
	const char *registry = "docker.io";
	char *first_slash = strchr(name, '/');
	char *path = name;
	if (first_slash) {
		size_t hlen = (size_t)(first_slash - name);
		bool is_host = memchr(name, '.', hlen) || memchr(name, ':', hlen) || (hlen == 9 && !strncmp(name, "localhost", 9)) ||
			       name[0] == '[';
		if (is_host) {
			if (!valid_host(name, hlen))
				return fail(err, s, "invalid registry host");
			*first_slash = '\0';
			registry = name;
			path = first_slash + 1;
		}
	}
	if (!strcmp(registry, "index.docker.io") || !strcmp(registry, "registry-1.docker.io"))
		registry = "docker.io";
	if (!*path)
		return fail(err, s, "missing repository name");
	for (char *c = path;;) {
		char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		const char *why = component_error(c, len);
		if (why)
			return fail(err, s, why);
		if (!end)
			break;
		c = end + 1;
	}
	bool library = !strcmp(registry, "docker.io") && !strchr(path, '/');
	out->registry = strdup(registry);
	if (asprintf(&out->repository, "%s%s", library ? "library/" : "", path) < 0)
		out->repository = NULL;
	out->tag = tag ? strdup(tag) : digest ? NULL : strdup("latest");
	out->digest = digest ? strdup(digest) : NULL;
	if (!out->registry || !out->repository || (!out->tag && !digest) || (digest && !out->digest)) {
		cnb__oci_ref_clear(out);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (strlen(out->registry) + 1 + strlen(out->repository) > NAME_MAX_LEN) {
		cnb__oci_ref_clear(out);
		return fail(err, s, "name longer than 255 characters");
	}
	return 0;
}

char *cnb__oci_ref_string(const cnb__oci_ref *ref)
{
	char *out = NULL;
	if (asprintf(&out, "%s/%s%s%s%s%s", ref->registry, ref->repository, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
		     ref->digest ? "@" : "", ref->digest ? ref->digest : "") < 0)
		return NULL;
	return out;
}

const char *cnb__oci_ref_selector(const cnb__oci_ref *ref)
{
	return ref->digest ? ref->digest : ref->tag;
}

const char *cnb__oci_ref_api_host(const char *registry)
{
	return strcmp(registry, "docker.io") ? registry : "registry-1.docker.io";
}
