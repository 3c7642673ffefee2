/*
 * libFuzzer target for WWW-Authenticate header values (a registry's 401): parse or fail
 * cleanly, never leak, and a Bearer result always carries a non-empty realm.
 */
#include "fuzz-util.h"
#include "lib/common/error-internal.h"
#include "oci/challenge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	cnb_error *err = NULL;
	cnb__oci_challenge c;
	if (cnb__oci_challenge_parse(&c, s, &err) < 0) {
		FUZZ_CHECK(err && c.realm == NULL && c.service == NULL && c.scope == NULL && c.error == NULL);
		cnb_error_free(err);
	} else {
		FUZZ_CHECK(!err);
		FUZZ_CHECK(c.scheme == CNB__OCI_AUTH_NONE || c.scheme == CNB__OCI_AUTH_BASIC || c.scheme == CNB__OCI_AUTH_BEARER);
		FUZZ_CHECK(c.scheme != CNB__OCI_AUTH_BEARER || (c.realm && *c.realm));
		cnb__oci_challenge_clear(&c);
	}
	free(s);
	return 0;
}
