/* Unit tests of oci/reference and oci/location: docker normalization, errors, transports. */
#include "oci/location.h"
#include "oci/reference.h"
#include "lib/common/cleanup.h"
#include "tests/lib/tap.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void check(const char *in, const char *want)
{
	cnb__oci_ref ref;
	cnb_error *err = NULL;
	int rc = cnb__oci_ref_parse(&ref, in, &err);
	_cleanup_free_ char *got = rc == 0 ? cnb__oci_ref_string(&ref) : NULL;
	is_str(got, want, "\"%s\" normalizes (%s)", in, err ? cnb_error_message(err) : "ok");
	cnb_error_free(err);
	cnb__oci_ref_clear(&ref);
}

static void refuse(const char *in, const char *why_part)
{
	cnb__oci_ref ref;
	cnb_error *err = NULL;
	int rc = cnb__oci_ref_parse(&ref, in, &err);
	ok(rc == CNB_EPARSE && strstr(cnb_error_message(err), why_part) && strstr(cnb_error_message(err), "invalid image reference"),
	   "\"%s\" refused mentioning \"%s\" (%s)", in, why_part, cnb_error_message(err));
	cnb_error_free(err);
}

static void test_oci_reference__normalizes_like_docker(void)
{
	check("alpine", "docker.io/library/alpine:latest");
	check("alpine:3.19", "docker.io/library/alpine:3.19");
	check("paketobuildpacks/builder", "docker.io/paketobuildpacks/builder:latest");
	check("docker.io/alpine", "docker.io/library/alpine:latest");
	check("index.docker.io/library/alpine:1", "docker.io/library/alpine:1");
	check("ghcr.io/org/team/app:v1.2_3-rc", "ghcr.io/org/team/app:v1.2_3-rc");
	check("127.0.0.1:5000/app", "127.0.0.1:5000/app:latest");
	check("localhost/app:x", "localhost/app:x");
	check("localhost:5000/a/b", "localhost:5000/a/b:latest");
	check("registry.example.com:443/a__b/c-d--e.f:tag", "registry.example.com:443/a__b/c-d--e.f:tag");
	check("app@sha256:" D64, "docker.io/library/app@sha256:" D64);
	check("host:5000/app:1@sha256:" D64, "host:5000/app:1@sha256:" D64);
	check("[::1]:5000/app", "[::1]:5000/app:latest");
}

static void test_oci_reference__refuses_invalid(void)
{
	refuse("", "empty");
	refuse("Alpine", "lowercase");
	refuse("app:", "tag");
	refuse("app:-bad", "tag");
	refuse("app@sha256:abc", "digest");
	refuse("app@md5:" D64, "digest");
	refuse("a//b", "empty path component");
	refuse("app/", "empty path component");
	refuse("-app", "start and end");
	refuse("a..b", "separator");
	refuse("a b", "invalid character");
	refuse("host:port/app", "registry host");
}

static void test_oci_reference__selector_and_fields(void)
{
	cnb__oci_ref ref;
	ok(cnb__oci_ref_parse(&ref, "127.0.0.1:5000/team/app:1@sha256:" D64, NULL) == 0, "parses name:tag@digest");
	is_str(ref.registry, "127.0.0.1:5000", "registry");
	is_str(ref.repository, "team/app", "repository");
	is_str(ref.tag, "1", "tag");
	is_str(cnb__oci_ref_selector(&ref), "sha256:" D64, "a digest pins the selector");
	cnb__oci_ref_clear(&ref);
	is_str(cnb__oci_ref_api_host("docker.io"), "registry-1.docker.io", "docker.io API host");
}

static void test_oci_location__transports(void)
{
	cnb__oci_loc loc;
	ok(cnb__oci_loc_parse(&loc, "oci:/tmp/lay:v1", NULL) == 0 && loc.kind == CNB__OCI_LOC_LAYOUT, "oci:DIR:TAG");
	is_str(loc.dir, "/tmp/lay", "layout dir");
	is_str(loc.tag, "v1", "layout tag");
	cnb__oci_loc_clear(&loc);
	ok(cnb__oci_loc_parse(&loc, "oci:rel/dir", NULL) == 0 && !loc.tag, "oci:DIR without tag");
	cnb__oci_loc_clear(&loc);
	ok(cnb__oci_loc_parse(&loc, "docker://busybox", NULL) == 0 && loc.kind == CNB__OCI_LOC_REGISTRY, "docker://");
	_cleanup_free_ char *s = cnb__oci_loc_string(&loc);
	is_str(s, "docker://docker.io/library/busybox:latest", "docker:// normalizes");
	cnb__oci_loc_clear(&loc);
	cnb_error *err = NULL;
	is_int(cnb__oci_loc_parse(&loc, "docker-archive://x.tar", &err), CNB_EUNSUPPORTED, "unknown transport refused");
	ok(err && strstr(cnb_error_message(err), "docker://REF or oci:DIR"), "error says what to use");
	cnb_error_free(err);
	cnb__oci_loc_clear(&loc);
	err = NULL;
	is_int(cnb__oci_loc_parse(&loc, "oci:", &err), CNB_EPARSE, "oci: without a directory refused");
	cnb_error_free(err);
	cnb__oci_loc_clear(&loc);
}

int main(void)
{
	test_oci_reference__normalizes_like_docker();
	test_oci_reference__refuses_invalid();
	test_oci_reference__selector_and_fields();
	test_oci_location__transports();
	return tap_done();
}
