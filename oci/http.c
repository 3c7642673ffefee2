/* libcurl easy handles, reused per thread for keep-alive; headers picked out as they arrive. */
#include "http.h"
#include "manifest.h"
#include "tls.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <cnb/version.h>

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void cnb__oci_http_resp_clear(cnb__oci_http_resp *r)
{
	cnb__buf_reset(&r->body);
	free(r->www_authenticate);
	free(r->location);
	free(r->content_type);
	free(r->docker_content_digest);
	free(r->content_range);
	memset(r, 0, sizeof(*r));
}

typedef struct exchange {
	const cnb__oci_http_req *req;
	cnb__oci_http_resp *resp;
	cnb_error **err;
	int sink_rc;
	bool too_large;
	uint64_t sent;
	bool canceled;
	CURL *curl;
	struct curl_slist *headers; /* our copy of the request headers, when we add some */
} exchange;

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return NULL;
	const char *v = line + n + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return strndup(v, (size_t)(end - v));
}

static void take_header(char **slot, char *value)
{
	if (value) {
		free(*slot);
		*slot = value;
	}
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
	exchange *x = userdata;
	size_t len = size * nmemb;
	cnb__oci_http_resp *r = x->resp;
	/* A new status line (redirects, 100-continue) starts a fresh set of headers. */
	if (len > 5 && !strncmp(line, "HTTP/", 5)) {
		free(r->www_authenticate), r->www_authenticate = NULL;
		free(r->location), r->location = NULL;
		free(r->content_type), r->content_type = NULL;
		free(r->docker_content_digest), r->docker_content_digest = NULL;
		free(r->content_range), r->content_range = NULL;
		r->content_length = -1;
		r->retry_after = 0;
		r->accept_ranges = false;
		/* Sinks look at the status before the first body byte ("HTTP/1.1 206 ..."). */
		const char *sp = memchr(line, ' ', len);
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return len;
	}
	take_header(&r->www_authenticate, header_value(line, len, "WWW-Authenticate"));
	take_header(&r->location, header_value(line, len, "Location"));
	take_header(&r->content_type, header_value(line, len, "Content-Type"));
	take_header(&r->docker_content_digest, header_value(line, len, "Docker-Content-Digest"));
	take_header(&r->content_range, header_value(line, len, "Content-Range"));
	_cleanup_free_ char *cl = header_value(line, len, "Content-Length");
	if (cl)
		r->content_length = strtoll(cl, NULL, 10);
	_cleanup_free_ char *ra = header_value(line, len, "Retry-After");
	if (ra)
		r->retry_after = strtol(ra, NULL, 10);
	_cleanup_free_ char *ar = header_value(line, len, "Accept-Ranges");
	if (ar)
		r->accept_ranges = !strcasecmp(ar, "bytes");
	return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	exchange *x = userdata;
	size_t len = size * nmemb;
	long status = 0;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (x->req->sink && status >= 200 && status < 300) {
		x->sink_rc = x->req->sink(data, len, x->req->sink_userdata, x->err);
		return x->sink_rc < 0 ? 0 : len;
	}
	size_t max = x->req->max_body ? x->req->max_body : CNB_OCI_MANIFEST_MAX;
	if (x->resp->body.len + len > max) {
		x->too_large = true;
		return 0;
	}
	return cnb__buf_append(&x->resp->body, data, len) < 0 ? 0 : len;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *userdata)
{
	exchange *x = userdata;
	const cnb__oci_http_req *req = x->req;
	size_t want = size * nmemb;
	size_t left;
	if (req->body_fd >= 0) {
		left = (size_t)(req->body_size - x->sent);
		if (want > left)
			want = left;
		ssize_t n;
		do
			n = pread(req->body_fd, buf, want, (off_t)(req->body_offset + x->sent));
		while (n < 0 && errno == EINTR);
		if (n < 0 || (n == 0 && want > 0))
			return CURL_READFUNC_ABORT;
		want = (size_t)n;
	} else {
		left = req->body_len - (size_t)x->sent;
		if (want > left)
			want = left;
		memcpy(buf, (const char *)req->body + x->sent, want);
	}
	x->sent += want;
	if (req->upload_progress && req->upload_progress(x->sent, req->sink_userdata)) {
		x->canceled = true;
		return CURL_READFUNC_ABORT;
	}
	return want;
}

static int seek_body(void *userdata, curl_off_t offset, int origin)
{
	exchange *x = userdata;
	if (origin != SEEK_SET || offset < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	x->sent = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

int cnb__oci_http_perform(CURL *curl, const cnb__oci_http_req *req, cnb__oci_http_resp *resp, cnb_error **err)
{
	cnb__oci_http_resp_clear(resp);
	resp->content_length = -1;
	exchange x = { .req = req, .resp = resp, .err = err, .curl = curl };
	const char *method = req->method ? req->method : "GET";
	bool has_body = req->body || req->body_fd >= 0;
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer (under 1 KB/s for a minute) is a dead one; the caller retries or resumes. */
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "libcnb/" CNB_VERSION_STRING);
	/* Blob GETs redirect to storage backends; curl does not resend our Authorization to another host. */
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, (long)!has_body);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cnb__oci_tls_apply(req->tls, curl);
	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	} else if (has_body) {
		/* Registries read bodies straight away; waiting for "100 Continue" costs a round trip per blob. */
		x.headers = curl_slist_append(NULL, "Expect:");
		for (struct curl_slist *h = req->headers; h && x.headers; h = h->next)
			x.headers = curl_slist_append(x.headers, h->data);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, x.headers);
		curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(curl, CURLOPT_READDATA, &x);
		curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, seek_body);
		curl_easy_setopt(curl, CURLOPT_SEEKDATA, &x);
		curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)(req->body_fd >= 0 ? req->body_size : req->body_len));
	} else if (strcmp(method, "GET")) {
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
		if (!strcmp(method, "POST") || !strcmp(method, "PUT")) {
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
			curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
		}
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(curl);
	curl_slist_free_all(x.headers);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->transport_code = (long)rc;
	if (x.sink_rc < 0)
		return x.sink_rc;
	if (x.canceled)
		return cnb__error_set(err, CNB_ECANCELED, "%s %s: canceled", method, req->url);
	if (x.too_large)
		return cnb__error_set(err, CNB_EUNSAFE, "%s %s: response over the %zu byte limit", method, req->url,
				      req->max_body ? req->max_body : (size_t)CNB_OCI_MANIFEST_MAX);
	if (rc != CURLE_OK)
		return cnb__error_set(err, CNB_ENETWORK, "%s %s: %s", method, req->url, *errbuf ? errbuf : curl_easy_strerror(rc));
	return 0;
}

char *cnb__oci_http_describe(const cnb__oci_http_resp *resp)
{
	char *out = NULL;
	json_t *j = resp->body.len ? json_loadb(resp->body.data, resp->body.len, 0, NULL) : NULL;
	json_t *e = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	if (code && asprintf(&out, "HTTP %ld %s: %.200s", resp->status, code, msg ? msg : "") < 0)
		out = NULL;
	else if (!code && asprintf(&out, "HTTP %ld", resp->status) < 0)
		out = NULL;
	json_decref(j);
	return out;
}
