/* What the tar reader's and writer's tests both put in their fixture trees. */
#ifndef CNB_TAR_TEST_FIXTURE_H
#define CNB_TAR_TEST_FIXTURE_H

#include <string.h>

/* A 154-byte file name: over ustar's 100-byte name field, so the writer needs a PAX header for it. */
static inline const char *tar_test_long_name(void)
{
	static char name[155];
	memset(name, 'n', 150);
	strcpy(name + 150, ".txt");
	return name;
}

#endif
