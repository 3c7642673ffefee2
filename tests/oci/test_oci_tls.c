/* Unit tests of oci/tls: where trust and client certificates come from (SSL_CERT_FILE, SSL_CERT_DIR,
 * certs.d with docker's rules), and how transport failures are classified. No network. */
#include "oci/tls.h"
#include "lib/common/cleanup.h"
#include "lib/common/fs.h"
#include "tests/lib/tap.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/cnb-test-tls-XXXXXX";

#define PEM(n) "-----BEGIN CERTIFICATE-----\nCERT" n "\n-----END CERTIFICATE-----\n"

static void put(const char *rel, const char *text)
{
	_cleanup_free_ char *p = cnb__path_join(dir, rel);
	_cleanup_free_ char *parent = strndup(p, strrchr(p, '/') - p);
	cnb__mkdir_p(parent, 0755, NULL);
	ok(cnb__write_file_atomic(p, text, strlen(text), 0644, NULL) == 0, "write %s", rel);
}

static void test_oci_tls__nothing_configured(void)
{
	cnb__oci_tls t;
	is_int(cnb__oci_tls_load(&t, "registry.example.com", NULL), 0, "no configuration: loads");
	ok(!t.ca_file && !t.ca_blob && !t.client_cert && t.verify, "no configuration: libcurl's defaults, verified");
	cnb__oci_tls_clear(&t);
}

static void test_oci_tls__env(void)
{
	_cleanup_free_ char *bundle = cnb__path_join(dir, "bundle.pem");
	_cleanup_free_ char *dirs = NULL;
	put("bundle.pem", PEM("0"));
	put("d1/any-name.pem", PEM("1"));
	put("d1/README", "not a certificate\n");
	put("d2/other", PEM("2"));
	put("d3/0a1b2c3d.0", PEM("3"));
	ok(asprintf(&dirs, "%s/d1:%s/missing:%s/d2:%s/d3", dir, dir, dir, dir) > 0, "dirs");
	setenv("SSL_CERT_FILE", bundle, 1);
	setenv("SSL_CERT_DIR", dirs, 1);
	cnb__oci_tls t;
	cnb_error *err = NULL;
	is_int(cnb__oci_tls_load(&t, "registry.example.com", &err), 0, "SSL_CERT_FILE + SSL_CERT_DIR load (%s)",
	       cnb_error_message(err));
	is_str(t.ca_file, bundle, "SSL_CERT_FILE is the bundle");
	ok(t.ca_blob && !strncmp(t.ca_blob, PEM("0"), strlen(PEM("0"))), "the CA blob starts with the bundle (libcurl uses one or the other)");
	ok(t.ca_blob && strstr(t.ca_blob, "CERT1") && strstr(t.ca_blob, "CERT2"),
	   "every PEM file of every SSL_CERT_DIR directory is read, hash names or not");
	ok(t.ca_blob && !strstr(t.ca_blob, "not a certificate"), "files without a certificate are skipped");
	ok(t.ca_blob && !strstr(t.ca_blob, "CERT3") && t.ca_path && strstr(t.ca_path, "/d3") && !strstr(t.ca_path, "/d1"),
	   "a hashed directory (c_rehash) goes to CAPATH, not into the blob (%s)", t.ca_path);
	cnb__oci_tls_clear(&t);
	cnb_error_free(err), err = NULL;
	_cleanup_free_ char *missing = cnb__path_join(dir, "nope.pem");
	setenv("SSL_CERT_FILE", missing, 1);
	is_int(cnb__oci_tls_load(&t, "registry.example.com", &err), CNB_EIO, "an unreadable SSL_CERT_FILE is an error");
	ok(err && strstr(cnb_error_message(err), "SSL_CERT_FILE="), "naming the variable (%s)", cnb_error_message(err));
	cnb_error_free(err);
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
}

static void test_oci_tls__certs_d(void)
{
	_cleanup_free_ char *roots = NULL;
	ok(asprintf(&roots, "%s/none:%s/etc:%s/home", dir, dir, dir) > 0, "roots");
	setenv("CNB_CERTS_D", roots, 1);
	put("etc/reg.example.com:5000/ca.crt", PEM("A"));
	put("etc/reg.example.com:5000/b-client.cert", "B CERT");
	put("etc/reg.example.com:5000/b-client.key", "B KEY");
	put("etc/reg.example.com:5000/a-client.cert", "A CERT");
	put("etc/reg.example.com:5000/a-client.key", "A KEY");
	put("home/reg.example.com:5000/extra.crt", PEM("H"));
	put("etc/reg.example.com/ca.crt", PEM("NOPORT"));
	cnb__oci_tls t;
	cnb_error *err = NULL;
	is_int(cnb__oci_tls_load(&t, "reg.example.com:5000", &err), 0, "certs.d loads (%s)", cnb_error_message(err));
	ok(t.ca_blob && strstr(t.ca_blob, "CERTA") && strstr(t.ca_blob, "CERTH"), "*.crt of every root's HOST:PORT directory");
	ok(t.ca_blob && !strstr(t.ca_blob, "CERTNOPORT"), "the directory is HOST:PORT exactly, as docker's");
	ok(t.client_cert && strstr(t.client_cert, "/a-client.cert"), "the first client pair in name order");
	ok(t.client_key && strstr(t.client_key, "/a-client.key"), "with its key");
	ok(t.certs_dir && strstr(t.certs_dir, "/etc/reg.example.com:5000"), "the first directory found is named");
	cnb__oci_tls_clear(&t);

	put("etc/half.example.com/lonely.cert", "C");
	is_int(cnb__oci_tls_load(&t, "half.example.com", &err), CNB_EINVAL, "a .cert without its .key is an error");
	ok(err && strstr(cnb_error_message(err), "lonely.cert has no key"), "naming the file (%s)", cnb_error_message(err));
	cnb_error_free(err), err = NULL;
	put("etc/half2.example.com/lonely.key", "K");
	is_int(cnb__oci_tls_load(&t, "half2.example.com", &err), CNB_EINVAL, "a .key without its .cert is an error");
	cnb_error_free(err), err = NULL;
	put("etc/bad.example.com/ca.crt", "garbage");
	is_int(cnb__oci_tls_load(&t, "bad.example.com", &err), CNB_EINVAL, "a .crt with no PEM certificate is an error");
	cnb_error_free(err);
	unsetenv("CNB_CERTS_D");
}

static void test_oci_tls__classify(void)
{
	is_int(cnb__oci_tls_classify(CURLE_PEER_FAILED_VERIFICATION, "SSL certificate problem"), CNB__OCI_TLS_UNTRUSTED,
	       "verification failure: untrusted");
	is_int(cnb__oci_tls_classify(CURLE_SSL_CERTPROBLEM, "could not load PEM client certificate"),
	       CNB__OCI_TLS_CLIENT_CERT, "client certificate unusable");
	is_int(cnb__oci_tls_classify(CURLE_RECV_ERROR, "SSL_read: tlsv13 alert certificate required"),
	       CNB__OCI_TLS_CLIENT_CERT, "the server's alert: certificate required");
	is_int(cnb__oci_tls_classify(CURLE_SSL_CONNECT_ERROR, "wrong version number"), CNB__OCI_TLS_OK,
	       "plain HTTP on the port: not a certificate problem");
	is_int(cnb__oci_tls_classify(CURLE_COULDNT_CONNECT, "Connection refused"), CNB__OCI_TLS_OK, "refused: not one");
	cnb__oci_tls t = { .client_cert = NULL };
	_cleanup_free_ char *m = cnb__oci_tls_explain(&t, "r.example.com:5000", CNB__OCI_TLS_UNTRUSTED, "unable to get local issuer");
	ok(m && strstr(m, "r.example.com:5000") && strstr(m, "unable to get local issuer") && strstr(m, "SSL_CERT_FILE") &&
		   strstr(m, "/r.example.com:5000/ca.crt") && strstr(m, "--insecure-registry r.example.com:5000"),
	   "the untrusted message names host, cause, certs.d path, SSL_CERT_FILE and --insecure-registry:\n%s", m);
}

int main(void)
{
	if (!mkdtemp(dir))
		tap_skip_all("mkdtemp failed");
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	_cleanup_free_ char *empty = cnb__path_join(dir, "no-certs-d");
	setenv("CNB_CERTS_D", empty, 1);
	test_oci_tls__nothing_configured();
	test_oci_tls__env();
	test_oci_tls__certs_d();
	test_oci_tls__classify();
	cnb__rm_rf(dir, NULL);
	return tap_done();
}
