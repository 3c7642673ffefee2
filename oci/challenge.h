/* WWW-Authenticate challenges (RFC 7235) as registries send them on 401. */
#ifndef CNB_OCI_CHALLENGE_H
#define CNB_OCI_CHALLENGE_H

#include <cnb/error.h>

typedef enum cnb__oci_auth_scheme {
	CNB__OCI_AUTH_NONE,
	CNB__OCI_AUTH_BASIC,
	CNB__OCI_AUTH_BEARER,
} cnb__oci_auth_scheme;

typedef struct cnb__oci_challenge {
	cnb__oci_auth_scheme scheme;
	char *realm;   /* token endpoint for Bearer */
	char *service;
	char *scope;   /* as the registry asked, may be NULL */
	char *error;   /* "insufficient_scope", "invalid_token"... or NULL */
} cnb__oci_challenge;

/* Parses a header value; with several challenges, Bearer wins over Basic. Unknown schemes only:
 * scheme NONE. CNB_EPARSE on syntax errors. */
int cnb__oci_challenge_parse(cnb__oci_challenge *out, const char *header, cnb_error **err);
void cnb__oci_challenge_clear(cnb__oci_challenge *c);

#endif
