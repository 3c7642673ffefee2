/* TLS trust and client identity for one registry, found where docker and Go tools look:
 *   - $SSL_CERT_FILE (a PEM bundle) and $SSL_CERT_DIR (colon-separated directories of PEM files),
 *     as Go's crypto/x509 reads them on Linux (root_unix.go) and so pack, crane and docker do: every
 *     file of a directory counts; a directory prepared by c_rehash is looked up by hash instead;
 *   - a per-registry certs.d directory, as dockerd reads it (moby registry.CertsDir(): /etc/docker/certs.d,
 *     $XDG_CONFIG_HOME/docker/certs.d when rootless; the directory is named HOST[:PORT]):
 *     *.crt are extra CAs, NAME.cert + NAME.key a client certificate for mutual TLS.
 *     $CNB_CERTS_D (colon-separated) replaces the list of certs.d roots.
 * Extra CAs are added to the system roots, never replace them. */
#ifndef CNB_OCI_TLS_H
#define CNB_OCI_TLS_H

#include <cnb/error.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct cnb__oci_tls {
	char *ca_file;     /* $SSL_CERT_FILE, or NULL: libcurl's default bundle */
	char *ca_blob;     /* PEM: the base bundle ($SSL_CERT_FILE or libcurl's default) + $SSL_CERT_DIR files +
	                      certs.d *.crt; NULL when there are no extra CAs (then ca_file or the default) */
	size_t ca_blob_len;
	char *ca_path;     /* the hashed directories of $SSL_CERT_DIR, colon-separated (OpenSSL CAPATH), or NULL */
	char *client_cert; /* certs.d NAME.cert (first in name order) and its NAME.key */
	char *client_key;
	char *certs_dir;   /* the certs.d/HOST[:PORT] directory found, or NULL */
	bool verify;       /* false: certificate checks off (--insecure-registry hosts, as docker) */
} cnb__oci_tls;

/* Loads what applies to `registry` ("host[:port]"). Errors (CNB_EIO, CNB_EINVAL) name the file: an
 * unreadable $SSL_CERT_FILE, a .cert without its .key or the other way round. */
int cnb__oci_tls_load(cnb__oci_tls *out, const char *registry, cnb_error **err);
void cnb__oci_tls_clear(cnb__oci_tls *t);

/* Sets the TLS options of `t` on `curl` (after curl_easy_reset); NULL leaves libcurl's defaults. */
void cnb__oci_tls_apply(const cnb__oci_tls *t, CURL *curl);

typedef enum cnb__oci_tls_problem {
	CNB__OCI_TLS_OK,            /* not a certificate problem (unreachable, reset, not TLS at all) */
	CNB__OCI_TLS_UNTRUSTED,     /* the registry's certificate did not verify */
	CNB__OCI_TLS_CLIENT_CERT,   /* our client certificate is missing, refused or unusable */
} cnb__oci_tls_problem;

/* Classifies a transport failure by libcurl's code and message. */
cnb__oci_tls_problem cnb__oci_tls_classify(long curl_code, const char *message);

/* The error text for a certificate problem with `registry`: names the host, the verification error
 * (`why`) and how to trust its CA (certs.d path, SSL_CERT_FILE, SSL_CERT_DIR) or present a client
 * certificate. malloc'd; NULL on OOM. */
char *cnb__oci_tls_explain(const cnb__oci_tls *t, const char *registry, cnb__oci_tls_problem problem, const char *why);

#endif
