/*
 * libFuzzer target for run.Dockerfile scanning (lib/lifecycle/spec/run-dockerfile.c): Dockerfiles come
 * from image extensions, untrusted. Parse or fail cleanly with a message; a switch names a non-empty image.
 */
#include "fuzz-util.h"
#include "lib/common/error-internal.h"
#include "lib/lifecycle/spec/run-dockerfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cnb__lifecycle_run_dockerfile d;
	cnb_error *err = NULL;
	if (cnb__lifecycle_run_dockerfile_parse(&d, (const char *)data, size, "fuzz", &err) < 0) {
		FUZZ_CHECK(err && cnb_error_message(err));
		cnb_error_free(err);
		return 0;
	}
	FUZZ_CHECK(!d.base || *d.base);
	cnb__lifecycle_run_dockerfile_free(&d);
	return 0;
}
