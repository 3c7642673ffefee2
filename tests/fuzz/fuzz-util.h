/* Helpers shared by the fuzz targets: a NUL-terminated copy of the input and a compact abort. */
#ifndef CNB_FUZZ_UTIL_H
#define CNB_FUZZ_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string (parsers of header values and command-line words take those);
 * an embedded NUL simply ends it, as it would in argv or a header. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#define FUZZ_CHECK(cond)                                                                              \
	do {                                                                                          \
		if (!(cond)) {                                                                        \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                      \
		}                                                                                     \
	} while (0)

static inline int fuzz_streq(const char *a, const char *b)
{
	return (a && b) ? !strcmp(a, b) : a == b;
}

#endif
