/* One HTTP exchange over libcurl: request body from memory or a file range, response into memory
 * (size-limited) or a streaming sink, the headers the distribution protocol needs. */
#ifndef CNB_OCI_HTTP_H
#define CNB_OCI_HTTP_H

#include "lib/common/buf.h"

#include <cnb/error.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

/* Receives response body bytes of a 2xx answer; returns 0, or a negative CNB_E* code (with *err set) to stop. */
typedef int (*cnb__oci_http_sink_fn)(const void *data, size_t len, void *userdata, cnb_error **err);
/* Called while the request body is sent; non-zero cancels. */
typedef int (*cnb__oci_http_upload_progress_fn)(uint64_t sent, void *userdata);

struct cnb__oci_tls;

typedef struct cnb__oci_http_req {
	const char *method;             /* NULL: GET */
	const char *url;
	struct curl_slist *headers;     /* borrowed; Authorization is added by the caller */
	const void *body;               /* request body from memory... */
	size_t body_len;
	int body_fd;                    /* ...or from [body_offset, body_offset+body_size) of a file (-1: none) */
	uint64_t body_offset, body_size;
	cnb__oci_http_upload_progress_fn upload_progress;
	size_t max_body;                /* in-memory response limit (0: CNB_OCI_MANIFEST_MAX) */
	cnb__oci_http_sink_fn sink;         /* when set, a 2xx body streams here instead of memory */
	void *sink_userdata;
	const struct cnb__oci_tls *tls; /* trust roots and client certificate (NULL: libcurl's defaults) */
} cnb__oci_http_req;

#define CNB_HTTP_REQ_INIT { .body_fd = -1 }

typedef struct cnb__oci_http_resp {
	long status;
	cnb__buf body;                  /* non-2xx answers and sink-less requests */
	char *www_authenticate;
	char *location;
	char *content_type;
	char *docker_content_digest;
	char *content_range;
	int64_t content_length;         /* -1 when absent */
	long retry_after;               /* seconds, 0 when absent */
	bool accept_ranges;
	long transport_code;            /* the CURLcode of a failed transfer (CURLE_OK otherwise) */
} cnb__oci_http_resp;

void cnb__oci_http_resp_clear(cnb__oci_http_resp *r);
static inline void cnb__http_resp_clearp(cnb__oci_http_resp *r) { cnb__oci_http_resp_clear(r); }
#define _cleanup_http_resp_ __attribute__((cleanup(cnb__http_resp_clearp)))

/* Performs the request on `curl` (reused for keep-alive). Transport failures: CNB_ENETWORK naming the URL;
 * a sink's error passes through; an over-limit body: CNB_EUNSAFE. Any HTTP status is success here. */
int cnb__oci_http_perform(CURL *curl, const cnb__oci_http_req *req, cnb__oci_http_resp *resp, cnb_error **err);

/* A short description of an error answer: "HTTP 404 MANIFEST_UNKNOWN: manifest unknown" (malloc'd). */
char *cnb__oci_http_describe(const cnb__oci_http_resp *resp);

#endif
