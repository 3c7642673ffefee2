/* Registry credentials from the places docker and pack keep them. */
#ifndef CNB_OCI_DOCKER_CONFIG_H
#define CNB_OCI_DOCKER_CONFIG_H

#include <cnb/error.h>

typedef struct cnb__oci_creds {
	char *username;      /* with password: basic auth, also sent to token realms */
	char *password;
	char *authorization; /* a complete Authorization header value from CNB_REGISTRY_AUTH ("Basic …"/"Bearer …") */
} cnb__oci_creds;

/*
 * Looks up credentials for `registry` ("docker.io", "127.0.0.1:5000"), first match wins:
 *   1. $CNB_REGISTRY_AUTH: a JSON object mapping registry host to an Authorization header value,
 *      e.g. {"registry.example.com": "Basic dXNlcjpwYXNz"} (the format the CNB lifecycle reads);
 *   2. $DOCKER_CONFIG/config.json, else ~/.docker/config.json: credHelpers[registry], then
 *      auths[registry] ("auth" is base64 "user:password", or "username"/"password"), then credsStore.
 * Helpers run as `docker-credential-<name> get` with the server URL on stdin.
 * Nothing found is success with every field NULL. Errors: unreadable or malformed files, failing helpers.
 */
int cnb__oci_creds_lookup(cnb__oci_creds *out, const char *registry, cnb_error **err);
void cnb__oci_creds_clear(cnb__oci_creds *c);

#endif
