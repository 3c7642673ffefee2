/* Trust roots and client certificates per registry; see tls.h for where each comes from. */
#include "tls.h"
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CA_FILE_MAX (4u << 20)   /* one PEM file */
#define CA_BLOB_MAX (64u << 20)  /* all extra CAs together */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && !strcmp(s + n - m, suffix);
}

/* Appends a PEM file to the CA blob; `strict`: a file that cannot be read is an error (certs.d),
 * else it is skipped as Go skips unreadable files in SSL_CERT_DIR. */
static int add_ca_file(cnb__buf *blob, const char *path, bool strict, cnb_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	cnb_error *e = NULL;
	if (cnb__read_file(path, CA_FILE_MAX, &data, &len, &e) < 0) {
		if (!strict) {
			cnb_error_free(e);
			return 0;
		}
		cnb__error_pass(err, e, CNB_EIO);
		return cnb__error_prefix(err, "CA certificate");
	}
	if (!strstr(data, "-----BEGIN CERTIFICATE-----")) {
		if (strict)
			return cnb__error_set(err, CNB_EINVAL, "CA certificate %s holds no PEM certificate", path);
		return 0;
	}
	if (blob->len + len + 1 > CA_BLOB_MAX)
		return cnb__error_set(err, CNB_EUNSAFE, "CA certificates over %u bytes; %s not added", CA_BLOB_MAX, path);
	if (cnb__buf_append(blob, data, len) < 0 || cnb__buf_append(blob, "\n", 1) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every regular file of a directory, in name order; calls `fn` with its path. */
static int each_file(const char *dir, int (*fn)(const char *path, const char *name, void *ud), void *ud,
		     cnb_error **err)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, by_name);
	if (n < 0)
		return 0; /* a missing directory adds nothing */
	int rc = 0;
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = rc == 0 ? cnb__path_join(dir, names[i]->d_name) : NULL;
		struct stat st;
		if (rc == 0 && !path)
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		else if (rc == 0 && names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = fn(path, names[i]->d_name, ud);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* An OpenSSL hashed directory (c_rehash / openssl rehash: "1a2b3c4d.0") is looked up by hash, lazily;
 * reading it whole (e.g. /etc/ssl/certs, hundreds of files) would cost every handshake a parse. */
static bool dir_is_hashed(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *n = de->d_name;
		if (strspn(n, "0123456789abcdef") == 8 && n[8] == '.' && n[9] && strspn(n + 9, "0123456789") == strlen(n + 9))
			return true;
	}
	return false;
}

typedef struct walk {
	cnb__oci_tls *t;
	cnb__buf *blob;
	cnb_error **err;
	bool strict;
} walk;

static int add_any(const char *path, const char *name, void *ud)
{
	(void)name;
	walk *w = ud;
	return add_ca_file(w->blob, path, false, w->err);
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* docker's rules (moby registry ReadCertsDirectory): *.crt CAs; NAME.cert needs NAME.key and the other way round. */
static int add_certs_d_entry(const char *path, const char *name, void *ud)
{
	walk *w = ud;
	if (has_suffix(name, ".crt"))
		return add_ca_file(w->blob, path, true, w->err);
	bool cert = has_suffix(name, ".cert"), key = has_suffix(name, ".key");
	if (!cert && !key)
		return 0;
	size_t stem = strlen(path) - (cert ? 5 : 4);
	_cleanup_free_ char *other = NULL;
	if (asprintf(&other, "%.*s%s", (int)stem, path, cert ? ".key" : ".cert") < 0)
		return cnb__error_set(w->err, CNB_ENOMEM, "out of memory");
	if (!file_exists(other))
		return cnb__error_set(w->err, CNB_EINVAL,
				      cert ? "client certificate %s has no key %s (CA certificates end in .crt)"
					   : "client key %s has no certificate %s",
				      path, other);
	if (cert && !w->t->client_cert) {
		w->t->client_cert = strdup(path);
		w->t->client_key = TAKE_PTR(other);
		if (!w->t->client_cert)
			return cnb__error_set(w->err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

/* The certs.d roots: $CNB_CERTS_D, else dockerd's rootful and rootless places. */
static char *certs_d_roots(void)
{
	const char *env = getenv("CNB_CERTS_D");
	if (env)
		return strdup(env);
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *out = NULL;
	int n = xdg && *xdg == '/' ? asprintf(&out, "/etc/docker/certs.d:%s/docker/certs.d", xdg)
	      : home && *home == '/' ? asprintf(&out, "/etc/docker/certs.d:%s/.config/docker/certs.d", home)
				     : asprintf(&out, "/etc/docker/certs.d");
	return n < 0 ? NULL : out;
}

/* libcurl takes either a CA blob or its CA file, not both (its OpenSSL backend: "CURLOPT_CAINFO_BLOB
 * overrides CURLOPT_CAINFO"; CAPATH is kept), so a blob starts with the bundle it would have used:
 * $SSL_CERT_FILE, else libcurl's built-in default. */
static int add_base_bundle(cnb__buf *blob, const char *ca_file, cnb_error **err)
{
	char *builtin = NULL;
	CURL *curl = ca_file ? NULL : curl_easy_init();
	if (curl)
		curl_easy_getinfo(curl, CURLINFO_CAINFO, &builtin);
	_cleanup_free_ char *path = ca_file ? strdup(ca_file) : builtin ? strdup(builtin) : NULL;
	if (curl)
		curl_easy_cleanup(curl);
	return path ? add_ca_file(blob, path, ca_file != NULL, err) : 0;
}

int cnb__oci_tls_load(cnb__oci_tls *out, const char *registry, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	out->verify = true;
	_cleanup_buf_ cnb__buf blob = CNB_BUF_INIT;
	walk w = { .t = out, .blob = &blob, .err = err };
	const char *file = getenv("SSL_CERT_FILE");
	if (file && *file && access(file, R_OK) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "SSL_CERT_FILE=%s", file);
	_cleanup_free_ char *dirs = getenv("SSL_CERT_DIR") ? strdup(getenv("SSL_CERT_DIR")) : NULL;
	_cleanup_free_ char *roots = certs_d_roots();
	if (!roots || (file && *file && !(out->ca_file = strdup(file)))) {
		cnb__oci_tls_clear(out);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	int rc = 0;
	_cleanup_buf_ cnb__buf capath = CNB_BUF_INIT;
	for (char *save = NULL, *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d && rc == 0; d = strtok_r(NULL, ":", &save)) {
		if (!dir_is_hashed(d))
			rc = each_file(d, add_any, &w, err);
		else if (cnb__buf_printf(&capath, "%s%s", capath.len ? ":" : "", d) < 0)
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	for (char *save = NULL, *root = strtok_r(roots, ":", &save); root && rc == 0; root = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *dir = NULL;
		struct stat st;
		if (asprintf(&dir, "%s/%s", root, registry) < 0) {
			dir = NULL;
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
			break;
		}
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (!out->certs_dir)
			out->certs_dir = strdup(dir);
		rc = each_file(dir, add_certs_d_entry, &w, err);
		if (rc < 0)
			cnb__error_prefix(err, "%s", dir);
	}
	if (rc == 0 && blob.len) {
		_cleanup_buf_ cnb__buf extra = blob;
		blob = (cnb__buf)CNB_BUF_INIT;
		rc = add_base_bundle(&blob, out->ca_file, err);
		if (rc == 0 && cnb__buf_append(&blob, extra.data, extra.len) < 0)
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (rc < 0) {
		cnb__oci_tls_clear(out);
		return rc;
	}
	out->ca_path = capath.len ? cnb__buf_steal(&capath) : NULL;
	out->ca_blob_len = blob.len;
	out->ca_blob = blob.len ? cnb__buf_steal(&blob) : NULL;
	return 0;
}

void cnb__oci_tls_clear(cnb__oci_tls *t)
{
	if (!t)
		return;
	free(t->ca_file);
	free(t->ca_blob);
	free(t->ca_path);
	free(t->client_cert);
	free(t->client_key);
	free(t->certs_dir);
	memset(t, 0, sizeof(*t));
}

void cnb__oci_tls_apply(const cnb__oci_tls *t, CURL *curl)
{
	if (!t)
		return;
	if (!t->verify) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (t->ca_blob) {
		/* The blob holds the base bundle too (see add_base_bundle). */
		struct curl_blob blob = { .data = t->ca_blob, .len = t->ca_blob_len, .flags = CURL_BLOB_NOCOPY };
		curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
	} else if (t->ca_file) {
		curl_easy_setopt(curl, CURLOPT_CAINFO, t->ca_file);
	}
	if (t->ca_path)
		curl_easy_setopt(curl, CURLOPT_CAPATH, t->ca_path);
	if (t->client_cert) {
		curl_easy_setopt(curl, CURLOPT_SSLCERT, t->client_cert);
		curl_easy_setopt(curl, CURLOPT_SSLKEY, t->client_key);
	}
}

cnb__oci_tls_problem cnb__oci_tls_classify(long curl_code, const char *message)
{
	switch (curl_code) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return CNB__OCI_TLS_UNTRUSTED;
	case CURLE_SSL_CERTPROBLEM:
		return CNB__OCI_TLS_CLIENT_CERT;
	default:
		break;
	}
	/* A server that wants a client certificate says so with a TLS alert, seen at handshake or first read. */
	if (message && (strstr(message, "alert certificate required") || strstr(message, "alert bad certificate") ||
			strstr(message, "alert handshake failure") || strstr(message, "alert unknown ca")))
		return CNB__OCI_TLS_CLIENT_CERT;
	return CNB__OCI_TLS_OK;
}

char *cnb__oci_tls_explain(const cnb__oci_tls *t, const char *registry, cnb__oci_tls_problem problem, const char *why)
{
	char *out = NULL;
	_cleanup_free_ char *roots = certs_d_roots();
	const char *root = roots ? roots : "/etc/docker/certs.d";
	int rootlen = (int)strcspn(root, ":");
	int n;
	if (problem == CNB__OCI_TLS_CLIENT_CERT)
		n = t && t->client_cert
			    ? asprintf(&out, "registry %s refused or could not use the client certificate %s (%s)", registry,
				       t->client_cert, why)
			    : asprintf(&out,
				       "registry %s wants a client certificate (%s); put client.cert and client.key in %.*s/%s/",
				       registry, why, rootlen, root, registry);
	else if (t && t->certs_dir)
		n = asprintf(&out,
			     "registry %s: its TLS certificate is not trusted (%s). This is a certificate problem, not a "
			     "network one: the CAs in %s/ do not sign it; add the one that does there (as a .crt), or point "
			     "SSL_CERT_FILE at a PEM bundle (SSL_CERT_DIR at a directory) that holds it; --insecure-registry %s "
			     "skips verification",
			     registry, why, t->certs_dir, registry);
	else
		n = asprintf(&out,
			     "registry %s: its TLS certificate is not trusted (%s). This is a certificate problem, not a "
			     "network one: put the CA that signed it in %.*s/%s/ca.crt, or point SSL_CERT_FILE at a PEM bundle "
			     "(SSL_CERT_DIR at a directory) that holds it; --insecure-registry %s skips verification",
			     registry, why, rootlen, root, registry, registry);
	return n < 0 ? NULL : out;
}
