/* A unit test's scratch directory and a context whose cache lives inside it. */
#ifndef CNB_TEST_CTX_H
#define CNB_TEST_CTX_H

#include "lib/common/cleanup.h"
#include "lib/common/fs.h"
#include "tests/lib/tap.h"

#include <cnb/ctx.h>
#include <stdlib.h>

/* Makes the directory `tmpl` ("/tmp/cnb-test-NAME-XXXXXX", changed in place) and a context with its
 * cache in tmpl/cache; skips the whole test when either fails. The caller frees the context and
 * removes the directory. */
static inline cnb_ctx *tap_scratch_ctx(char *tmpl)
{
	if (!mkdtemp(tmpl))
		tap_skip_all("mkdtemp %s failed", tmpl);
	_cleanup_free_ char *cache = cnb__path_join(tmpl, "cache");
	cnb_ctx_opts opts = CNB_CTX_OPTS_INIT;
	opts.cache_dir = cache;
	cnb_ctx *ctx = NULL;
	if (!cache || cnb_ctx_new(&ctx, &opts, NULL) < 0)
		tap_skip_all("no context");
	return ctx;
}

#endif
