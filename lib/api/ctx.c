/* cnb_ctx: construction, defaults, logging. */
#include "ctx-internal.h"
#include "opts.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"
#include "../common/fs.h"
#include "../common/strv.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *default_cache_dir(void)
{
	char *out = NULL;
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg == '/')
		return asprintf(&out, "%s/cnb", xdg) < 0 ? NULL : out;
	if (home && *home)
		return asprintf(&out, "%s/.cache/cnb", home) < 0 ? NULL : out;
	return strdup("/var/tmp/cnb-cache");
}

CNB__DEFINE_OPTS_INIT(cnb_ctx_opts, CNB_CTX_OPTS_VERSION, CNB_CTX_OPTS_INIT)

int cnb_ctx_new(cnb_ctx **out, const cnb_ctx_opts *opts, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_ctx_opts defaults = CNB_CTX_OPTS_INIT;
	if (!out)
		return cnb__error_set(err, CNB_EINVAL, "cnb_ctx_new: out is NULL");
	*out = NULL;
	if (!(opts = cnb__api_opts_resolve(opts, &defaults, CNB_CTX_OPTS_VERSION, "cnb_ctx_opts", err)))
		return CNB_EINVAL;
	cnb_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	ctx->cache_dir = opts->cache_dir ? strdup(opts->cache_dir) : default_cache_dir();
	ctx->insecure_registries = cnb__strv_dup(opts->insecure_registries);
	ctx->log = opts->log;
	ctx->progress = opts->progress;
	ctx->userdata = opts->userdata;
	ctx->log_level = opts->log_level;
	ctx->cancel_fd = -1;
	if (!ctx->cache_dir || !ctx->insecure_registries) {
		cnb_ctx_free(ctx);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	*out = ctx;
	return 0;
}

void cnb_ctx_free(cnb_ctx *ctx)
{
	if (!ctx)
		return;
	cnb__strv_free(ctx->insecure_registries);
	free(ctx->cache_dir);
	free(ctx);
}

const char *cnb_ctx_cache_dir(const cnb_ctx *ctx)
{
	return ctx ? ctx->cache_dir : NULL;
}

void cnb__api_log(const cnb_ctx *ctx, int level, const char *fmt, ...)
{
	if (!ctx || !ctx->log || level > ctx->log_level)
		return;
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n >= 0)
		ctx->log(level, msg, ctx->userdata);
}

cnb_ctx *cnb__api_ctx_with_cancel(const cnb_ctx *ctx, int cancel_fd)
{
	cnb_ctx *copy = malloc(sizeof(*copy));
	if (copy) {
		*copy = *ctx;
		copy->cancel_fd = cancel_fd;
	}
	return copy;
}

bool cnb__api_ctx_canceled(const cnb_ctx *ctx)
{
	struct pollfd p = { ctx ? ctx->cancel_fd : -1, POLLIN, 0 };
	return p.fd >= 0 && poll(&p, 1, 0) > 0;
}

int cnb__api_progress(const cnb_ctx *ctx, const char *what, uint64_t done, uint64_t total)
{
	if (cnb__api_ctx_canceled(ctx))
		return 1;
	if (!ctx || !ctx->progress)
		return 0;
	return ctx->progress(what, done, total, ctx->userdata);
}

static bool host_is_loopback(const char *host, size_t len)
{
	return (len == 9 && !strncmp(host, "localhost", 9)) || (len >= 4 && !strncmp(host, "127.", 4)) ||
	       (len == 5 && !strncmp(host, "[::1]", 5));
}

static size_t host_len(const char *host)
{
	const char *colon = host[0] == '[' ? strchr(host, ']') : host;
	colon = colon ? strchr(colon, ':') : NULL;
	return colon ? (size_t)(colon - host) : strlen(host);
}

bool cnb__api_ctx_registry_is_loopback(const char *host)
{
	return host_is_loopback(host, host_len(host));
}

bool cnb__api_ctx_registry_is_listed_insecure(const cnb_ctx *ctx, const char *host)
{
	size_t hostlen = host_len(host);
	for (char **p = ctx ? ctx->insecure_registries : NULL; p && *p; p++) {
		if (!strcmp(*p, host))
			return true;
		if (strlen(*p) == hostlen && !strncmp(*p, host, hostlen))
			return true;
	}
	return false;
}

bool cnb__api_ctx_registry_is_insecure(const cnb_ctx *ctx, const char *host)
{
	return cnb__api_ctx_registry_is_loopback(host) || cnb__api_ctx_registry_is_listed_insecure(ctx, host);
}
