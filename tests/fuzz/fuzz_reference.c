/*
 * libFuzzer target for image references: any string parses or fails cleanly; what parses is
 * normalized, prints back to a reference that parses to the same four parts, and stays within
 * the grammar's bounds (names up to 255 bytes, digests sha256:<64 hex>).
 */
#include "fuzz-util.h"
#include "lib/common/error-internal.h"
#include "oci/digest.h"
#include "oci/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	cnb_error *err = NULL;
	cnb__oci_ref ref = CNB_OCI_REF_INIT;
	if (cnb__oci_ref_parse(&ref, s, &err) < 0) {
		FUZZ_CHECK(err && ref.registry == NULL && ref.repository == NULL);
		cnb_error_free(err);
		free(s);
		return 0;
	}
	FUZZ_CHECK(ref.registry && *ref.registry && ref.repository && *ref.repository);
	FUZZ_CHECK(ref.tag || ref.digest);
	FUZZ_CHECK(!ref.digest || cnb__oci_digest_valid(ref.digest));
	FUZZ_CHECK(strlen(ref.registry) + 1 + strlen(ref.repository) <= 255);
	FUZZ_CHECK(cnb__oci_ref_selector(&ref) != NULL);
	FUZZ_CHECK(cnb__oci_ref_api_host(ref.registry) != NULL);

	char *text = cnb__oci_ref_string(&ref);
	FUZZ_CHECK(text);
	cnb__oci_ref back = CNB_OCI_REF_INIT;
	if (cnb__oci_ref_parse(&back, text, &err) < 0) {
		fprintf(stderr, "normalized \"%s\" does not parse: %s\n", text, cnb_error_message(err));
		abort();
	}
	FUZZ_CHECK(fuzz_streq(back.registry, ref.registry) && fuzz_streq(back.repository, ref.repository) &&
		   fuzz_streq(back.tag, ref.tag) && fuzz_streq(back.digest, ref.digest));
	cnb__oci_ref_clear(&back);
	cnb__oci_ref_clear(&ref);
	free(text);
	free(s);
	return 0;
}
