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
	cnb__oci_challenge c;
	is_int(cnb__oci_challenge_parse(&c, "Basic realm=\"cnb-test\"", NULL), 0, "basic parses");
	is_int(c.scheme, CNB__OCI_AUTH_BASIC, "basic");
	is_str(c.realm, "cnb-test", "basic realm");
	cnb__oci_challenge_clear(&c);

	is_int(cnb__oci_challenge_parse(&c, "bearer  realm=https://a/t , service=svc,error=\"invalid_token\"", NULL), 0,
	       "case-insensitive scheme, unquoted values, spaces");
	is_int(c.scheme, CNB__OCI_AUTH_BEARER, "bearer");
	is_str(c.realm, "https://a/t", "unquoted realm");
	is_str(c.service, "svc", "unquoted service");
	is_str(c.error, "invalid_token", "error");
	cnb__oci_challenge_clear(&c);

	is_int(cnb__oci_challenge_parse(&c, "Basic realm=\"x\", Bearer realm=\"https://tok\",service=\"s\"", NULL), 0,
	       "two challenges");
	is_int(c.scheme, CNB__OCI_AUTH_BEARER, "bearer wins over basic");
	is_str(c.realm, "https://tok", "realm of the bearer challenge");
	cnb__oci_challenge_clear(&c);

	is_int(cnb__oci_challenge_parse(&c, "Bearer realm=\"https://tok\", Basic realm=\"x\"", NULL), 0, "bearer first");
	is_int(c.scheme, CNB__OCI_AUTH_BEARER, "bearer kept when first");
	is_str(c.realm, "https://tok", "its realm kept");
	cnb__oci_challenge_clear(&c);

	is_int(cnb__oci_challenge_parse(&c, "Bearer realm=\"a\\\"b\"", NULL), 0, "escaped quote");
	is_str(c.realm, "a\"b", "unescaped");
	cnb__oci_challenge_clear(&c);

	is_int(cnb__oci_challenge_parse(&c, "Negotiate abc", NULL), 0, "unknown scheme is not an error");
	is_int(c.scheme, CNB__OCI_AUTH_NONE, "unknown scheme: none");
	cnb__oci_challenge_clear(&c);
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
