/* Unit tests of oci/challenge: WWW-Authenticate as registries send it. */
#include "oci/challenge.h"
#include "tests/lib/tap.h"

static void test_oci_challenge__bearer_with_scope(void)
{
	cnb__oci_challenge c;
	int rc = cnb__oci_challenge_parse(&c,
		"Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\",scope=\"repository:app:pull,push\"", NULL);
	is_int(rc, 0, "parses");
	is_int(c.scheme, CNB__OCI_AUTH_BEARER, "bearer");
	is_str(c.realm, "https://auth.example.com/token", "realm");
	is_str(c.service, "registry.example.com", "service");
	is_str(c.scope, "repository:app:pull,push", "scope with a comma inside quotes");
	cnb__oci_challenge_clear(&c);
}

static void test_oci_challenge__variants(void)
{
	static const struct {
		const char *header, *why;
		int scheme;
		const char *realm, *service, *error;
	} cases[] = {
		{ "Basic realm=\"cnb-test\"", "basic", CNB__OCI_AUTH_BASIC, "cnb-test", NULL, NULL },
		{ "bearer  realm=https://a/t , service=svc,error=\"invalid_token\"",
		  "case-insensitive scheme, unquoted values, spaces", CNB__OCI_AUTH_BEARER, "https://a/t", "svc",
		  "invalid_token" },
		{ "Basic realm=\"x\", Bearer realm=\"https://tok\",service=\"s\"",
		  "two challenges: bearer wins over basic", CNB__OCI_AUTH_BEARER, "https://tok", "s", NULL },
		{ "Bearer realm=\"https://tok\", Basic realm=\"x\"", "bearer kept when first", CNB__OCI_AUTH_BEARER,
		  "https://tok", NULL, NULL },
		{ "Bearer realm=\"a\\\"b\"", "escaped quote", CNB__OCI_AUTH_BEARER, "a\"b", NULL, NULL },
		{ "Negotiate abc", "unknown scheme: none, not an error", CNB__OCI_AUTH_NONE, NULL, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cnb__oci_challenge c;
		const char *why = cases[i].why;
		is_int(cnb__oci_challenge_parse(&c, cases[i].header, NULL), 0, "%s: parses", why);
		is_int(c.scheme, cases[i].scheme, "%s: scheme", why);
		is_str(c.realm, cases[i].realm, "%s: realm", why);
		is_str(c.service, cases[i].service, "%s: service", why);
		is_str(c.error, cases[i].error, "%s: error", why);
		cnb__oci_challenge_clear(&c);
	}
}

static void test_oci_challenge__refuses_garbage(void)
{
	cnb__oci_challenge c;
	cnb_error *err = NULL;
	is_int(cnb__oci_challenge_parse(&c, "Bearer realm=\"unterminated", &err), CNB_EPARSE, "unterminated quote");
	cnb_error_free(err), err = NULL;
	is_int(cnb__oci_challenge_parse(&c, "Bearer service=\"s\"", &err), CNB_EPARSE, "bearer without realm");
	ok(err && strstr(cnb_error_message(err), "without realm"), "error names the missing realm");
	cnb_error_free(err), err = NULL;
	is_int(cnb__oci_challenge_parse(&c, "=x", &err), CNB_EPARSE, "no scheme");
	cnb_error_free(err);
}

int main(void)
{
	test_oci_challenge__bearer_with_scope();
	test_oci_challenge__variants();
	test_oci_challenge__refuses_garbage();
	return tap_done();
}
