/*
 * libFuzzer target for the TOML parser and writer: any input must parse or fail cleanly, and
 * whatever parses must write back to text that parses to an equal tree.
 */
#include "lib/common/buf.h"
#include "lib/toml/toml.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cnb_toml *doc = NULL;
	if (cnb__toml_parse(&doc, (const char *)data, size, "fuzz", NULL) < 0)
		return 0;
	cnb__buf out = CNB_BUF_INIT;
	cnb_toml *back = NULL;
	if (cnb__toml_write(doc, &out, NULL) < 0)
		abort(); /* a parsed tree is always writable */
	if (cnb__toml_parse(&back, out.data ? out.data : "", out.len, "fuzz-written", NULL) < 0 ||
	    !cnb__toml_equal(doc, back))
		abort();
	cnb__toml_free(back);
	cnb__toml_free(doc);
	cnb__buf_reset(&out);
	return 0;
}
