/*
 * libFuzzer target for image locations (docker://REF, oci:DIR[:TAG], bare REF): parse or fail
 * cleanly; what parses prints back (cnb__oci_loc_string) to a location that parses the same.
 */
#include "fuzz-util.h"
#include "lib/common/error-internal.h"
#include "oci/location.h"

static int same(const cnb__oci_loc *a, const cnb__oci_loc *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == CNB__OCI_LOC_LAYOUT)
		return fuzz_streq(a->dir, b->dir) && fuzz_streq(a->tag, b->tag);
	return fuzz_streq(a->ref.registry, b->ref.registry) && fuzz_streq(a->ref.repository, b->ref.repository) &&
	       fuzz_streq(a->ref.tag, b->ref.tag) && fuzz_streq(a->ref.digest, b->ref.digest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	cnb_error *err = NULL;
	cnb__oci_loc loc;
	if (cnb__oci_loc_parse(&loc, s, &err) < 0) {
		FUZZ_CHECK(err);
		cnb_error_free(err);
		cnb__oci_loc_clear(&loc);
		free(s);
		return 0;
	}
	if (loc.kind == CNB__OCI_LOC_LAYOUT)
		FUZZ_CHECK(loc.dir && *loc.dir && !strchr(loc.dir, ':') && (!loc.tag || *loc.tag));
	else
		FUZZ_CHECK(loc.ref.registry && loc.ref.repository && !loc.dir && !loc.tag);
	char *text = cnb__oci_loc_string(&loc);
	FUZZ_CHECK(text);
	cnb__oci_loc back;
	if (cnb__oci_loc_parse(&back, text, &err) < 0) {
		fprintf(stderr, "\"%s\" printed as \"%s\", which does not parse: %s\n", s, text, cnb_error_message(err));
		abort();
	}
	FUZZ_CHECK(same(&loc, &back));
	cnb__oci_loc_clear(&back);
	cnb__oci_loc_clear(&loc);
	free(text);
	free(s);
	return 0;
}
