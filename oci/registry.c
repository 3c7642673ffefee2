/* Endpoints per the OCI distribution-spec: /v2/ ping, manifests, blobs, uploads (POST then PUT, or
 * PATCH chunks with Content-Range), mounts (?mount=&from=). Every request goes through reg_do(), which
 * adds authorization, re-authenticates once on 401 and retries transient failures with backoff. */
#include "registry.h"
#include "auth.h"
#include "http.h"
#include "store.h"
#include "tls.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ATTEMPTS 5
#define POOL_SIZE 8
#define PROGRESS_STEP (1u << 20)
#define DEFAULT_CHUNK_THRESHOLD (256ull << 20)

struct cnb__oci_registry {
	cnb_ctx *ctx;
	char *name;
	char *base; /* "https://host[:port]" */
	cnb__oci_auth *auth;
	cnb__oci_tls tls;
	pthread_mutex_t lock; /* the handle pool and progress reports */
	CURL *pool[POOL_SIZE];
	size_t n_pool;
};

static CURL *handle_get(cnb__oci_registry *r)
{
	pthread_mutex_lock(&r->lock);
	CURL *c = r->n_pool ? r->pool[--r->n_pool] : NULL;
	pthread_mutex_unlock(&r->lock);
	return c ? c : curl_easy_init();
}

static void handle_put(cnb__oci_registry *r, CURL *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&r->lock);
	if (r->n_pool < POOL_SIZE) {
		r->pool[r->n_pool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	if (c)
		curl_easy_cleanup(c);
}

/* A pooled curl handle that goes back to the pool at scope exit. */
typedef struct handle {
	cnb__oci_registry *r;
	CURL *c;
} handle;

static void handle_putp(handle *h)
{
	handle_put(h->r, h->c);
}
#define _cleanup_handle_ __attribute__((cleanup(handle_putp)))
#define HANDLE(r) { (r), handle_get(r) }

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void backoff(int attempt, long retry_after)
{
	long ms = 200L << attempt;
	if (retry_after > 0)
		ms = retry_after * 1000;
	if (ms > 10000)
		ms = 10000;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static char *scope_of(const char *repo, bool push)
{
	char *s = NULL;
	return asprintf(&s, "repository:%s:%s", repo, push ? "pull,push" : "pull") < 0 ? NULL : s;
}

/* "<base>/v2/<repo>/<kind>/<ref>" (kind "manifests" or "blobs") and the token scope that reaches it. */
static int endpoint(const cnb__oci_registry *r, const char *repo, const char *kind, const char *ref, bool push,
		    char **url, char **scope, cnb_error **err)
{
	*scope = scope_of(repo, push);
	if (!*scope || asprintf(url, "%s/v2/%s/%s/%s", r->base, repo, kind, ref) < 0) {
		*url = NULL;
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

static int http_error(const cnb__oci_http_resp *resp, const char *what, cnb_error **err)
{
	_cleanup_free_ char *why = cnb__oci_http_describe(resp);
	int code = resp->status == 404 ? CNB_ENOTFOUND : resp->status == 401 || resp->status == 403 ? CNB_EAUTH : CNB_EREGISTRY;
	return cnb__error_set(err, code, "%s: %s", what, why ? why : "HTTP error");
}

/* One request with authorization and, when `retry`, retries of resets, 429 and 5xx. */
static int reg_do(cnb__oci_registry *r, CURL *curl, const char *scope, const cnb__oci_http_req *req, cnb__oci_http_resp *resp,
		  bool retry, cnb_error **err)
{
	if (!curl)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (int attempt = 0;; attempt++) {
		_cleanup_free_ char *auth_line = NULL;
		if (cnb__oci_auth_header(r->auth, curl, scope, &auth_line, err) < 0)
			return cnb__error_code(err, CNB_EAUTH);
		struct curl_slist *headers = NULL;
		for (struct curl_slist *h = req->headers; h; h = h->next)
			headers = curl_slist_append(headers, h->data);
		if (auth_line)
			headers = curl_slist_append(headers, auth_line);
		cnb__oci_http_req rq = *req;
		rq.headers = headers;
		rq.tls = &r->tls;
		cnb_error *e = NULL;
		int rc = cnb__oci_http_perform(curl, &rq, resp, &e);
		curl_slist_free_all(headers);
		if (auth_line)
			explicit_bzero(auth_line, strlen(auth_line));
		if (rc == CNB_ENETWORK && retry && attempt + 1 < MAX_ATTEMPTS) {
			cnb__api_log(r->ctx, CNB_LOG_DEBUG, "%s; retrying", cnb_error_message(e));
			cnb_error_free(e);
			backoff(attempt, 0);
			continue;
		}
		if (rc < 0) {
			cnb__error_pass(err, e, rc);
			return rc;
		}
		if (resp->status == 401) {
			if (resp->www_authenticate && cnb__oci_auth_challenge(r->auth, resp->www_authenticate, err) < 0)
				return cnb__error_code(err, CNB_EAUTH);
			if (attempt + 1 < MAX_ATTEMPTS && cnb__oci_auth_invalidate(r->auth, scope))
				continue;
			return cnb__oci_auth_refused(r->auth, scope, err);
		}
		if ((resp->status == 429 || resp->status >= 500) && retry && attempt + 1 < MAX_ATTEMPTS) {
			cnb__api_log(r->ctx, CNB_LOG_DEBUG, "%s %s: HTTP %ld; retrying", req->method ? req->method : "GET", req->url,
				 resp->status);
			backoff(attempt, resp->retry_after);
			continue;
		}
		return 0;
	}
}

/* reg_do() with retries on a handle from the pool; `header`, when set, is the request's one extra header. */
static int reg_call(cnb__oci_registry *r, const char *scope, const cnb__oci_http_req *req, const char *header,
		    cnb__oci_http_resp *resp, cnb_error **err)
{
	cnb__oci_http_req rq = *req;
	rq.headers = header ? curl_slist_append(NULL, header) : NULL;
	if (header && !rq.headers)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_handle_ handle h = HANDLE(r);
	int rc = reg_do(r, h.c, scope, &rq, resp, true, err);
	curl_slist_free_all(rq.headers);
	return rc;
}

/* Per process: the scheme a registry answered on, so that trying HTTPS before HTTP costs one probe. */
typedef enum scheme { SCHEME_UNKNOWN, SCHEME_HTTPS, SCHEME_HTTP } scheme;
#define MAX_VERDICTS 64
static struct verdict {
	char *key; /* "registry" + listed-insecure flag */
	scheme scheme;
} verdicts[MAX_VERDICTS];
static size_t n_verdicts;
static pthread_mutex_t verdicts_lock = PTHREAD_MUTEX_INITIALIZER;

static scheme verdict_get(const char *key)
{
	scheme s = SCHEME_UNKNOWN;
	pthread_mutex_lock(&verdicts_lock);
	for (size_t i = 0; i < n_verdicts && s == SCHEME_UNKNOWN; i++)
		if (!strcmp(verdicts[i].key, key))
			s = verdicts[i].scheme;
	pthread_mutex_unlock(&verdicts_lock);
	return s;
}

static void verdict_put(const char *key, scheme s)
{
	pthread_mutex_lock(&verdicts_lock);
	bool known = false;
	for (size_t i = 0; i < n_verdicts && !known; i++)
		known = !strcmp(verdicts[i].key, key);
	if (!known && n_verdicts < MAX_VERDICTS && (verdicts[n_verdicts].key = strdup(key)))
		verdicts[n_verdicts++].scheme = s;
	pthread_mutex_unlock(&verdicts_lock);
}

/* GET /v2/ on `s`: sets r->base. A transport failure leaves its CURLcode in resp->transport_code. */
static int ping(cnb__oci_registry *r, CURL *curl, const char *host, scheme s, cnb__oci_http_resp *resp, cnb_error **err)
{
	_cleanup_free_ char *url = NULL;
	free(r->base);
	if (asprintf(&r->base, "%s://%s", s == SCHEME_HTTP ? "http" : "https", host) < 0) {
		r->base = NULL;
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (asprintf(&url, "%s/v2/", r->base) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__oci_http_req req = CNB_HTTP_REQ_INIT;
	req.url = url;
	req.tls = &r->tls;
	return cnb__oci_http_perform(curl, &req, resp, err);
}

/* The error for a registry that speaks TLS but where our HTTPS attempt failed. A failure that is not plainly
 * about the server's certificate (a reset or an alert at the first read) is, on a TLS server, the answer of
 * one that wants a client certificate we did not send or that it refused. */
static int tls_failure(cnb__oci_registry *r, long code, const char *why, cnb_error **err)
{
	cnb__oci_tls_problem problem = cnb__oci_tls_classify(code, why);
	if (problem == CNB__OCI_TLS_OK)
		problem = CNB__OCI_TLS_CLIENT_CERT;
	_cleanup_free_ char *msg = cnb__oci_tls_explain(&r->tls, r->name, problem, why);
	return cnb__error_set(err, CNB_ENETWORK, "%s", msg ? msg : "TLS certificate problem");
}

/* Finds the scheme: HTTPS; then, for loopback and --insecure-registry hosts, plain HTTP (docker tries
 * HTTPS first for insecure registries). A certificate problem ends the search: the host speaks TLS. So
 * does a 400 to plain HTTP after HTTPS failed: TLS servers answer HTTP that way ("Client sent an HTTP
 * request to an HTTPS server", Go's net/http; nginx's "plain HTTP request was sent to HTTPS port"). */
static int probe(cnb__oci_registry *r, CURL *curl, const char *host, bool plain_ok, const char *key,
		 cnb__oci_http_resp *resp, cnb_error **err)
{
	scheme cached = verdict_get(key);
	scheme order[2] = { cached ? cached : SCHEME_HTTPS, SCHEME_HTTP };
	size_t n = cached || !plain_ok ? 1 : 2;
	_cleanup_buf_ cnb__buf why = CNB_BUF_INIT;
	_cleanup_free_ char *https_why = NULL;
	long https_code = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		cnb__buf_reset(&why);
		for (size_t i = 0; i < n; i++) {
			cnb_error *e = NULL;
			int rc = ping(r, curl, host, order[i], resp, &e);
			if (rc == 0 && order[i] == SCHEME_HTTP && https_why && resp->status == 400)
				return tls_failure(r, https_code, https_why, err);
			if (rc == 0) {
				verdict_put(key, order[i]);
				return 0;
			}
			if (rc != CNB_ENETWORK) {
				cnb__error_pass(err, e, rc);
				return rc;
			}
			const char *msg = cnb_error_message(e);
			if (order[i] == SCHEME_HTTPS && cnb__oci_tls_classify(resp->transport_code, msg) != CNB__OCI_TLS_OK) {
				rc = tls_failure(r, resp->transport_code, msg, err);
				cnb_error_free(e);
				return rc;
			}
			if (order[i] == SCHEME_HTTPS) {
				free(https_why);
				https_why = strdup(msg);
				https_code = resp->transport_code;
				if (n > 1)
					cnb__api_log(r->ctx, CNB_LOG_DEBUG, "registry %s: no HTTPS (%s); trying plain HTTP", r->name, msg);
			}
			cnb__buf_printf(&why, "%s%s", why.len ? "; " : "", msg);
			cnb_error_free(e);
		}
		if (attempt + 1 < 3)
			backoff(attempt, 0);
	}
	return cnb__error_set(err, CNB_ENETWORK, "registry %s is unreachable (%s)%s", r->name, why.data ? why.data : "",
			      plain_ok ? "" : "; if it only speaks HTTP, pass --insecure-registry");
}

int cnb__oci_registry_open(cnb__oci_registry **out, cnb_ctx *ctx, const char *registry, cnb_error **err)
{
	static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
	pthread_once(&curl_once, global_init);
	*out = NULL;
	cnb__oci_registry *r = calloc(1, sizeof(*r));
	if (!r)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	pthread_mutex_init(&r->lock, NULL);
	r->ctx = ctx;
	const char *host = strcmp(registry, "docker.io") ? registry : "registry-1.docker.io";
	bool listed = cnb__api_ctx_registry_is_listed_insecure(ctx, registry);
	bool plain_ok = listed || cnb__api_ctx_registry_is_loopback(registry);
	_cleanup_free_ char *key = NULL;
	if (!(r->name = strdup(registry)) || asprintf(&key, "%s %d", registry, listed) < 0) {
		key = NULL;
		cnb__oci_registry_free(r);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (cnb__oci_tls_load(&r->tls, registry, err) < 0) {
		cnb__oci_registry_free(r);
		return cnb__error_prefix(err, "registry %s", registry);
	}
	r->tls.verify = !listed;
	if (cnb__oci_auth_new(&r->auth, registry, plain_ok, &r->tls, err) < 0) {
		cnb__oci_registry_free(r);
		return cnb__error_code(err, CNB_ENOMEM);
	}
	_cleanup_handle_ handle h = HANDLE(r);
	_cleanup_http_resp_ cnb__oci_http_resp resp = { 0 };
	int rc = h.c ? probe(r, h.c, host, plain_ok, key, &resp, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0 && resp.status == 401)
		rc = cnb__oci_auth_challenge(r->auth, resp.www_authenticate, err);
	else if (rc == 0 && resp.status != 200)
		rc = cnb__error_set(err, CNB_EREGISTRY, "registry %s: %s/v2/ answered HTTP %ld; is this a registry?", registry,
				    r->base, resp.status);
	if (rc < 0) {
		handle_put(r, TAKE_PTR(h.c));
		cnb__oci_registry_free(r);
		return rc;
	}
	cnb__api_log(ctx, CNB_LOG_DEBUG, "registry %s: %s", registry, r->base);
	*out = r;
	return 0;
}

void cnb__oci_registry_free(cnb__oci_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_pool; i++)
		curl_easy_cleanup(r->pool[i]);
	cnb__oci_auth_free(r->auth);
	cnb__oci_tls_clear(&r->tls);
	pthread_mutex_destroy(&r->lock);
	free(r->name);
	free(r->base);
	free(r);
}

const char *cnb__oci_registry_name(const cnb__oci_registry *r)
{
	return r->name;
}

int cnb__oci_registry_get_manifest(cnb__oci_registry *r, const char *repo, const char *selector, char **data,
				   size_t *len, char **media_type, char digest[CNB_OCI_DIGEST_SIZE], cnb_error **err)
{
	_cleanup_free_ char *url = NULL, *scope = NULL;
	if (endpoint(r, repo, "manifests", selector, false, &url, &scope, err) < 0)
		return CNB_ENOMEM;
	cnb__oci_http_req req = CNB_HTTP_REQ_INIT;
	req.url = url;
	_cleanup_http_resp_ cnb__oci_http_resp resp = { 0 };
	if (reg_call(r, scope, &req, "Accept: " CNB_OCI_MANIFEST_ACCEPT, &resp, err) < 0)
		return cnb__error_prefix(err, "manifest");
	if (resp.status != 200)
		return http_error(&resp, "manifest", err);
	cnb__oci_digest_of(resp.body.data ? resp.body.data : "", resp.body.len, digest);
	if (!strncmp(selector, "sha256:", 7) && strcmp(selector, digest))
		return cnb__error_set(err, CNB_EDIGEST, "manifest %s: content does not match its digest (got %s)", selector, digest);
	*len = resp.body.len;
	*media_type = resp.content_type ? strdup(resp.content_type) : strdup("");
	*data = cnb__buf_steal(&resp.body);
	if (!*data || !*media_type) {
		free(*data), *data = NULL;
		free(*media_type), *media_type = NULL;
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

int cnb__oci_registry_get_blob(cnb__oci_registry *r, const char *repo, const char *digest, size_t max, char **data,
			       size_t *len, cnb_error **err)
{
	_cleanup_free_ char *url = NULL, *scope = NULL;
	if (endpoint(r, repo, "blobs", digest, false, &url, &scope, err) < 0)
		return CNB_ENOMEM;
	cnb__oci_http_req req = CNB_HTTP_REQ_INIT;
	req.url = url;
	req.max_body = max;
	_cleanup_http_resp_ cnb__oci_http_resp resp = { 0 };
	if (reg_call(r, scope, &req, NULL, &resp, err) < 0)
		return cnb__error_prefix(err, "blob %s", digest);
	if (resp.status != 200)
		return http_error(&resp, digest, err);
	char got[CNB_OCI_DIGEST_SIZE];
	cnb__oci_digest_of(resp.body.data ? resp.body.data : "", resp.body.len, got);
	if (strcmp(got, digest))
		return cnb__error_set(err, CNB_EDIGEST, "blob %s: content does not match its digest (got %s)", digest, got);
	*len = resp.body.len;
	*data = cnb__buf_steal(&resp.body);
	return *data ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

typedef struct fetch {
	cnb__oci_registry *r;
	cnb__oci_blob_writer w;
	cnb__oci_http_resp *resp;
	uint64_t range_from;
	bool started;
	uint64_t reported;
	uint64_t size;
	const char *label;
} fetch;

static int report(cnb__oci_registry *r, const char *label, uint64_t done, uint64_t total)
{
	pthread_mutex_lock(&r->lock);
	int cancel = cnb__api_progress(r->ctx, label, done, total);
	pthread_mutex_unlock(&r->lock);
	return cancel;
}

static int fetch_sink(const void *data, size_t len, void *userdata, cnb_error **err)
{
	fetch *f = userdata;
	if (!f->started) {
		f->started = true;
		/* We asked for a range and got the whole blob (200): start over from byte 0. */
		if (f->range_from > 0 && f->resp->status == 200 && cnb__oci_blob_writer_restart(&f->w, err) < 0)
			return cnb__error_code(err, CNB_EIO);
	}
	if (cnb__oci_blob_writer_write(&f->w, data, len, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	if (f->w.written - f->reported >= PROGRESS_STEP || f->w.written == f->size) {
		f->reported = f->w.written;
		if (report(f->r, f->label, f->w.written, f->size))
			return cnb__error_set(err, CNB_ECANCELED, "canceled");
	}
	return 0;
}

static int fetch_once(cnb__oci_registry *r, CURL *curl, const char *repo, const char *digest, uint64_t size,
		      const char *store_root, const char *label, bool resume, cnb_error **err)
{
	_cleanup_free_ char *url = NULL, *scope = NULL;
	if (endpoint(r, repo, "blobs", digest, false, &url, &scope, err) < 0)
		return CNB_ENOMEM;
	_cleanup_http_resp_ cnb__oci_http_resp resp = { 0 };
	fetch f = { .r = r, .resp = &resp, .size = size, .label = label };
	if (cnb__oci_blob_writer_open(&f.w, store_root, digest, size, resume, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	if (f.w.present)
		return cnb__oci_blob_writer_commit(&f.w, NULL, err);
	int rc = 0;
	for (int attempt = 0;; attempt++) {
		char range[64];
		struct curl_slist *headers = NULL;
		f.range_from = f.w.written;
		f.started = false;
		if (f.range_from > 0 && f.range_from < size) {
			snprintf(range, sizeof(range), "Range: bytes=%llu-", (unsigned long long)f.range_from);
			headers = curl_slist_append(headers, range);
			cnb__api_log(r->ctx, CNB_LOG_DEBUG, "%s: resuming at byte %llu", digest, (unsigned long long)f.range_from);
		}
		cnb__oci_http_req req = CNB_HTTP_REQ_INIT;
		req.url = url;
		req.headers = headers;
		req.sink = fetch_sink;
		req.sink_userdata = &f;
		cnb_error *e = NULL;
		if (f.range_from == size && size > 0)
			break; /* a complete partial: only the check at commit remains */
		rc = reg_do(r, curl, scope, &req, &resp, false, &e);
		curl_slist_free_all(headers);
		bool transient = rc == CNB_ENETWORK || (rc == 0 && (resp.status == 429 || resp.status >= 500));
		if (rc == 0 && resp.status == 416) {
			/* The server cannot serve our range: the partial is not trustworthy. */
			if (cnb__oci_blob_writer_restart(&f.w, &e) < 0) {
				rc = cnb__error_code(&e, CNB_EIO);
			} else if (attempt + 1 < MAX_ATTEMPTS) {
				continue;
			}
		}
		if (transient && attempt + 1 < MAX_ATTEMPTS) {
			cnb__api_log(r->ctx, CNB_LOG_DEBUG, "%s: %s; retrying", digest, e ? cnb_error_message(e) : "server busy");
			cnb_error_free(e);
			backoff(attempt, resp.retry_after);
			continue;
		}
		if (rc < 0) {
			cnb__error_pass(err, e, rc);
			cnb__oci_blob_writer_abort(&f.w, rc != CNB_EDIGEST);
			return rc;
		}
		cnb_error_free(e);
		if (resp.status != 200 && resp.status != 206) {
			cnb__oci_blob_writer_abort(&f.w, true);
			return http_error(&resp, digest, err);
		}
		break;
	}
	return cnb__oci_blob_writer_commit(&f.w, NULL, err);
}

int cnb__oci_registry_fetch_blob(cnb__oci_registry *r, const char *repo, const char *digest, uint64_t size,
				 const char *store_root, const char *label, cnb_error **err)
{
	if (cnb__oci_store_has(store_root, digest, size))
		return 0;
	_cleanup_handle_ handle h = HANDLE(r);
	if (!h.c)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb_error *e = NULL;
	int rc = fetch_once(r, h.c, repo, digest, size, store_root, label, true, &e);
	/* A resumed blob that fails its check may have a bad prefix from an earlier run: one clean retry. */
	if (rc == CNB_EDIGEST) {
		cnb__api_log(r->ctx, CNB_LOG_DEBUG, "%s; downloading it again from the start", cnb_error_message(e));
		cnb_error_free(e);
		e = NULL;
		rc = fetch_once(r, h.c, repo, digest, size, store_root, label, false, &e);
	}
	if (rc < 0) {
		cnb__error_pass(err, e, rc);
		return cnb__error_prefix(err, "blob %s", digest);
	}
	return 0;
}

int cnb__oci_registry_blob_exists(cnb__oci_registry *r, const char *repo, const char *digest, bool *exists,
				  cnb_error **err)
{
	_cleanup_free_ char *url = NULL, *scope = NULL;
	if (endpoint(r, repo, "blobs", digest, true, &url, &scope, err) < 0)
		return CNB_ENOMEM;
	cnb__oci_http_req req = CNB_HTTP_REQ_INIT;
	req.url = url;
	req.method = "HEAD";
	_cleanup_http_resp_ cnb__oci_http_resp resp = { 0 };
	if (reg_call(r, scope, &req, NULL, &resp, err) < 0)
		return cnb__error_prefix(err, "blob %s", digest);
	if (resp.status != 200 && resp.status != 404)
		return http_error(&resp, digest, err);
	*exists = resp.status == 200;
	return 0;
}

static char *resolve(const cnb__oci_registry *r, const char *location)
{
	char *out = NULL;
	if (!strncmp(location, "http://", 7) || !strncmp(location, "https://", 8))
		return strdup(location);
	if (asprintf(&out, "%s%s%s", r->base, location[0] == '/' ? "" : "/", location) < 0)
		return NULL;
	return out;
}

int cnb__oci_registry_mount_blob(cnb__oci_registry *r, const char *repo, const char *digest, const char *from_repo,
				 bool *mounted, cnb_error **err)
{
	_cleanup_free_ char *url = NULL, *scope = NULL;
	if (asprintf(&scope, "repository:%s:pull,push repository:%s:pull", repo, from_repo) < 0 ||
	    asprintf(&url, "%s/v2/%s/blobs/uploads/?mount=%s&from=%s", r->base, repo, digest, from_repo) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__oci_http_req req = CNB_HTTP_REQ_INIT;
	req.url = url;
	req.method = "POST";
	_cleanup_http_resp_ cnb__oci_http_resp resp = { 0 };
	if (reg_call(r, scope, &req, NULL, &resp, err) < 0)
		return cnb__error_prefix(err, "mount %s from %s", digest, from_repo);
	if (resp.status != 201 && resp.status != 202)
		return http_error(&resp, "mount", err);
	*mounted = resp.status == 201;
	return 0;
}

static uint64_t chunk_threshold(void)
{
	const char *env = getenv("CNB_REGISTRY_CHUNK_SIZE");
	if (env && *env)
		return strtoull(env, NULL, 10);
	return DEFAULT_CHUNK_THRESHOLD;
}

typedef struct upload_progress {
	cnb__oci_registry *r;
	const char *label;
	uint64_t base, size, reported;
} upload_progress;

static int on_upload(uint64_t sent, void *userdata)
{
	upload_progress *u = userdata;
	uint64_t done = u->base + sent;
	if (done - u->reported < PROGRESS_STEP && done != u->size)
		return 0;
	u->reported = done;
	return report(u->r, u->label, done, u->size);
}

/* Appends "digest=<d>" to an upload URL that may already carry a query. */
static char *with_digest(const char *location, const char *digest)
{
	char *out = NULL;
	if (asprintf(&out, "%s%sdigest=%s", location, strchr(location, '?') ? "&" : "?", digest) < 0)
		return NULL;
	return out;
}

static int upload_once(cnb__oci_registry *r, CURL *curl, const char *repo, const char *scope, const char *digest,
		       uint64_t size, int fd, const char *label, cnb_error **err)
{
	_cleanup_free_ char *url = NULL, *location = NULL;
	if (asprintf(&url, "%s/v2/%s/blobs/uploads/", r->base, repo) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_http_resp_ cnb__oci_http_resp resp = { 0 };
	cnb__oci_http_req req = CNB_HTTP_REQ_INIT;
	req.url = url;
	req.method = "POST";
	if (reg_do(r, curl, scope, &req, &resp, true, err) < 0)
		return cnb__error_code(err, CNB_EREGISTRY);
	if (resp.status != 202 || !resp.location)
		return http_error(&resp, "start upload", err);
	if (!(location = resolve(r, resp.location)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	upload_progress up = { .r = r, .label = label, .size = size };
	uint64_t chunk = chunk_threshold();
	struct curl_slist *octet = curl_slist_append(NULL, "Content-Type: application/octet-stream");
	int rc = 0;
	uint64_t off = 0;
	/* Chunked: PATCH pieces, each answered with the next Location; the closing PUT carries no body. */
	while (rc == 0 && chunk > 0 && size > chunk && off < size) {
		uint64_t n = size - off < chunk ? size - off : chunk;
		char range[96];
		snprintf(range, sizeof(range), "Content-Range: %llu-%llu", (unsigned long long)off,
			 (unsigned long long)(off + n - 1));
		struct curl_slist *headers = curl_slist_append(curl_slist_append(NULL, range), "Content-Type: application/octet-stream");
		cnb__oci_http_req patch = CNB_HTTP_REQ_INIT;
		patch.url = location;
		patch.method = "PATCH";
		patch.headers = headers;
		patch.body_fd = fd;
		patch.body_offset = off;
		patch.body_size = n;
		patch.upload_progress = on_upload;
		patch.sink_userdata = &up;
		up.base = off;
		rc = reg_do(r, curl, scope, &patch, &resp, false, err);
		curl_slist_free_all(headers);
		if (rc == 0 && (resp.status != 202 || !resp.location))
			rc = http_error(&resp, "upload chunk", err);
		if (rc == 0) {
			free(location);
			if (!(location = resolve(r, resp.location)))
				rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
		off += n;
	}
	_cleanup_free_ char *put_url = rc == 0 ? with_digest(location, digest) : NULL;
	if (rc == 0 && !put_url)
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0) {
		cnb__oci_http_req put = CNB_HTTP_REQ_INIT;
		put.url = put_url;
		put.method = "PUT";
		put.headers = octet;
		if (off < size || size == 0) {
			put.body_fd = fd;
			put.body_offset = off;
			put.body_size = size - off;
			put.upload_progress = on_upload;
			put.sink_userdata = &up;
			up.base = off;
		}
		rc = reg_do(r, curl, scope, &put, &resp, false, err);
		if (rc == 0 && resp.status != 201)
			rc = http_error(&resp, "finish upload", err);
		if (rc == 0 && resp.docker_content_digest && strcmp(resp.docker_content_digest, digest))
			rc = cnb__error_set(err, CNB_EDIGEST, "registry stored %s as %s", digest, resp.docker_content_digest);
	}
	curl_slist_free_all(octet);
	return rc;
}

int cnb__oci_registry_upload_blob(cnb__oci_registry *r, const char *repo, const char *digest, uint64_t size,
				  const char *path, const char *label, cnb_error **err)
{
	_cleanup_free_ char *scope = scope_of(repo, true);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "upload %s: open %s", digest, path);
	if (!scope)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_handle_ handle h = HANDLE(r);
	if (!h.c)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (int attempt = 0;; attempt++) {
		cnb_error *e = NULL;
		int rc = upload_once(r, h.c, repo, scope, digest, size, fd, label, &e);
		if ((rc == CNB_ENETWORK || rc == CNB_EREGISTRY) && attempt + 1 < 3) {
			cnb__api_log(r->ctx, CNB_LOG_DEBUG, "upload %s: %s; starting over", digest, cnb_error_message(e));
			cnb_error_free(e);
			backoff(attempt, 0);
			continue;
		}
		if (rc < 0) {
			cnb__error_pass(err, e, rc);
			return cnb__error_prefix(err, "upload %s", digest);
		}
		return 0;
	}
}

int cnb__oci_registry_put_manifest(cnb__oci_registry *r, const char *repo, const char *ref, const char *media_type,
				   const char *data, size_t len, cnb_error **err)
{
	_cleanup_free_ char *url = NULL, *scope = NULL, *ct = NULL;
	if (endpoint(r, repo, "manifests", ref, true, &url, &scope, err) < 0)
		return CNB_ENOMEM;
	if (asprintf(&ct, "Content-Type: %s", media_type) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__oci_http_req req = CNB_HTTP_REQ_INIT;
	req.url = url;
	req.method = "PUT";
	req.body = data;
	req.body_len = len;
	_cleanup_http_resp_ cnb__oci_http_resp resp = { 0 };
	if (reg_call(r, scope, &req, ct, &resp, err) < 0)
		return cnb__error_prefix(err, "put manifest %s", ref);
	if (resp.status != 201 && resp.status != 200)
		return http_error(&resp, "put manifest", err);
	char ours[CNB_OCI_DIGEST_SIZE];
	cnb__oci_digest_of(data, len, ours);
	if (resp.docker_content_digest && strcmp(resp.docker_content_digest, ours))
		return cnb__error_set(err, CNB_EDIGEST, "put manifest %s: registry reports digest %s, ours is %s", ref,
				      resp.docker_content_digest, ours);
	return 0;
}
