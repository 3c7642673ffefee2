/* libcnb — the context: caches, callbacks and settings shared by operations. */
#ifndef CNB_CTX_H
#define CNB_CTX_H

#include <cnb/common.h>
#include <cnb/error.h>
#include <cnb/log.h>

CNB_BEGIN_DECLS

typedef struct cnb_ctx cnb_ctx;

#define CNB_CTX_OPTS_VERSION 1

/** Options for cnb_ctx_new(). Initialise with cnb_ctx_opts_init() or CNB_CTX_OPTS_INIT. */
typedef struct cnb_ctx_opts {
	unsigned int version;                   /**< CNB_CTX_OPTS_VERSION */
	const char *cache_dir;                  /**< NULL: $XDG_CACHE_HOME/cnb or ~/.cache/cnb */
	cnb_log_fn log;                         /**< NULL: logs are dropped */
	cnb_progress_fn progress;               /**< NULL: no progress reports */
	void *userdata;                         /**< passed to log and progress */
	int32_t log_level;                      /**< highest cnb_log_level delivered (default CNB_LOG_INFO) */
	const char *const *insecure_registries; /**< NULL-terminated "host[:port]" list: HTTPS without certificate
                                                 verification, then plain HTTP (docker's insecure registries). Loopback
                                                 hosts also fall back to HTTP, with verified HTTPS first. Trust for HTTPS:
                                                 SSL_CERT_FILE, SSL_CERT_DIR, certs.d (docs/cli.md "Registry TLS") */
} cnb_ctx_opts;

#define CNB_CTX_OPTS_INIT { CNB_CTX_OPTS_VERSION, NULL, NULL, NULL, NULL, CNB_LOG_INFO, NULL }

/**
 * Fills `opts` with the defaults of CNB_CTX_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_CTX_OPTS_VERSION.
 */
CNB_EXTERN int cnb_ctx_opts_init(cnb_ctx_opts *opts, unsigned int version);

/**
 * Creates a context. Copies every string in `opts`. Caller frees with cnb_ctx_free().
 * A context may be used from several threads.
 * @return 0; CNB_EINVAL (out is NULL, bad options), CNB_ENOMEM.
 */
CNB_EXTERN int cnb_ctx_new(cnb_ctx **out, const cnb_ctx_opts *opts, cnb_error **err);

/** Frees a context. Accepts NULL. */
CNB_EXTERN void cnb_ctx_free(cnb_ctx *ctx);

/** @return the cache directory in use (NULL for a NULL ctx). Valid while the context lives. */
CNB_EXTERN const char *cnb_ctx_cache_dir(const cnb_ctx *ctx);

CNB_END_DECLS

#endif
