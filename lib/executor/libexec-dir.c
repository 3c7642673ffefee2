/* Where the static guest tools live on the host; used by both executors and the dispatcher. */
#include "executor.h"

#include <stdlib.h>

#ifndef CNB_LIBEXECDIR
#define CNB_LIBEXECDIR "/usr/local/libexec/cnb"
#endif

const char *cnb__executor_libexec_dir(void)
{
	const char *env = getenv("CNB_LIBEXEC_DIR");
	return env && *env ? env : CNB_LIBEXECDIR;
}
