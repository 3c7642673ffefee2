#include <cnb/version.h>

const char *cnb_version(void)
{
	return CNB_VERSION_STRING;
}
