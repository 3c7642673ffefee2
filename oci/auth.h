/* Registry authorization: which Authorization header a request for a given scope carries.
 * Learns the scheme from challenges, loads credentials only when a registry asks for them,
 * fetches bearer tokens (docker token protocol) and keeps them per scope until they expire. */
#ifndef CNB_OCI_AUTH_H
#define CNB_OCI_AUTH_H

#include <cnb/error.h>
#include <curl/curl.h>
#include <stdbool.h>

typedef struct cnb__oci_auth cnb__oci_auth;

/* Scopes are space-separated token scopes: "repository:app:pull",
 * "repository:app:pull,push repository:base:pull" (a cross-repository mount). */

struct cnb__oci_tls;

/* `insecure`: a token realm may be plain HTTP. `tls` (borrowed, outlives the auth) is used for the realm too,
 * as docker's token client shares the registry's transport. */
int cnb__oci_auth_new(cnb__oci_auth **out, const char *registry, bool insecure, const struct cnb__oci_tls *tls,
		      cnb_error **err);
void cnb__oci_auth_free(cnb__oci_auth *a);

/* Takes in a WWW-Authenticate header from a 401 (or the /v2/ ping). */
int cnb__oci_auth_challenge(cnb__oci_auth *a, const char *www_authenticate, cnb_error **err);

/* Sets *out_line to "Authorization: …" for `scope` (malloc'd) or NULL when we go anonymous.
 * May talk to the token realm through `curl`. Thread-safe. */
int cnb__oci_auth_header(cnb__oci_auth *a, CURL *curl, const char *scope, char **out_line, cnb_error **err);

/* Forgets the token for `scope` (the registry refused it). Returns false when there was nothing to
 * forget and no new credentials could change the answer, i.e. retrying is pointless. */
bool cnb__oci_auth_invalidate(cnb__oci_auth *a, const char *scope);

/* The final 401 error: names the registry, the user if any, and what to do. */
int cnb__oci_auth_refused(cnb__oci_auth *a, const char *what, cnb_error **err);

#endif
