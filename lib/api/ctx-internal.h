/* The context as the library sees it, and logging through its callback. */
#ifndef CNB_CTX_INTERNAL_H
#define CNB_CTX_INTERNAL_H

#include <cnb/ctx.h>
#include <stdbool.h>

struct cnb_ctx {
	char *cache_dir;
	cnb_log_fn log;
	cnb_progress_fn progress;
	void *userdata;
	int log_level;
	char **insecure_registries; /* NULL-terminated */
	int cancel_fd;              /* readable = stop: a build's private copy carries its cancel pipe; -1 otherwise */
};

/* A shallow copy of `ctx` (strings shared: `ctx` must outlive it) whose operations stop once
 * `cancel_fd` becomes readable: how one build is cancelled without touching others on the same
 * context. Free with free(). */
cnb_ctx *cnb__api_ctx_with_cancel(const cnb_ctx *ctx, int cancel_fd);

/* True once the context's cancel fd became readable. */
bool cnb__api_ctx_canceled(const cnb_ctx *ctx);

/* Sends a formatted line to the context's log callback (if any and if level allows). ctx may be NULL. */
void cnb__api_log(const cnb_ctx *ctx, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reports progress; returns non-zero when the caller (callback or cancel fd) asked to cancel. ctx may be NULL. */
int cnb__api_progress(const cnb_ctx *ctx, const char *what, uint64_t done, uint64_t total);

/* True when `host` (with optional :port) may be spoken to over plain HTTP: loopback or listed insecure. */
bool cnb__api_ctx_registry_is_insecure(const cnb_ctx *ctx, const char *host);
/* localhost, 127.0.0.0/8, [::1] (with optional :port). */
bool cnb__api_ctx_registry_is_loopback(const char *host);
/* Named by --insecure-registry / opts->insecure_registries (as HOST or HOST:PORT). */
bool cnb__api_ctx_registry_is_listed_insecure(const cnb_ctx *ctx, const char *host);

#endif
