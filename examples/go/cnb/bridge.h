#ifndef CNBGO_BRIDGE_H
#define CNBGO_BRIDGE_H
#include <cnb/cnb.h>
#include <stdint.h>

/* cnb_ctx_new() with the Go log trampoline installed; `handle` is a cgo.Handle. */
int cnbgo_ctx_new(cnb_ctx **out, const char *cache_dir, int log_level, uintptr_t handle, cnb_error **err);
/* Fills `opts` with CNB_BUILD_OPTS_INIT (a braced initializer Go cannot spell). */
void cnbgo_build_opts_init(cnb_build_opts *opts);
#endif
