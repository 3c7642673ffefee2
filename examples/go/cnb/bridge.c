/* C side of the Go binding: the trampoline libcnb calls for each log line. It forwards to the
 * exported Go function with the cgo.Handle that userdata carries (cgo's rules forbid keeping Go
 * pointers in C memory, so userdata is an integer handle, not a pointer to a Go value). */
#include "bridge.h"

#include "_cgo_export.h"

static void log_trampoline(int level, const char *msg, void *userdata)
{
	goLogCallback(level, (char *)msg, (uintptr_t)userdata);
}

int cnbgo_ctx_new(cnb_ctx **out, const char *cache_dir, int log_level, uintptr_t handle, cnb_error **err)
{
	cnb_ctx_opts opts = CNB_CTX_OPTS_INIT;
	opts.cache_dir = cache_dir;
	opts.log = log_trampoline;
	opts.userdata = (void *)handle;
	opts.log_level = log_level;
	return cnb_ctx_new(out, &opts, err);
}

void cnbgo_build_opts_init(cnb_build_opts *opts)
{
	cnb_build_opts init = CNB_BUILD_OPTS_INIT;
	*opts = init;
}
