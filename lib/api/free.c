#include <cnb/common.h>
#include <stdlib.h>

void cnb_free(void *p)
{
	free(p);
}
