/* Unit tests of oci/docker-config: config.json auths, credHelpers, credsStore (a fake helper on PATH),
 * CNB_REGISTRY_AUTH. */
#include "oci/docker-config.h"
#include "lib/common/cleanup.h"
#include "lib/common/fs.h"
#include "tests/lib/tap.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/cnb-test-docker-config-XXXXXX";

static void write_config(const char *json)
{
	_cleanup_free_ char *p = cnb__path_join(dir, "config.json");
	ok(cnb__write_file_atomic(p, json, strlen(json), 0600, NULL) == 0, "write config.json");
}

static void lookup(const char *registry, const char *user, const char *pass, const char *what)
{
	cnb__oci_creds c;
	cnb_error *err = NULL;
	int rc = cnb__oci_creds_lookup(&c, registry, &err);
	ok(rc == 0, "%s: lookup succeeds (%s)", what, cnb_error_message(err));
	is_str(c.username, user, "%s: user", what);
	is_str(c.password, pass, "%s: password", what);
	cnb_error_free(err);
	cnb__oci_creds_clear(&c);
}

static void test_oci_docker_config__auths(void)
{
	/* "dXNlcjpwYTpzcw==" is base64("user:pa:ss"): the password may contain a colon. */
	write_config("{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"aHViOmh1YnB3\"},"
		     " \"registry.example.com\": {\"auth\": \"dXNlcjpwYTpzcw==\"},"
		     " \"http://127.0.0.1:5000\": {\"username\": \"u2\", \"password\": \"p2\"}}}");
	lookup("registry.example.com", "user", "pa:ss", "auths by host");
	lookup("docker.io", "hub", "hubpw", "docker hub under its legacy URL");
	lookup("127.0.0.1:5000", "u2", "p2", "username/password fields, URL key with scheme");
	lookup("other.example.com", NULL, NULL, "no entry: anonymous");

	write_config("{\"auths\": {\"bad.example.com\": {\"auth\": \"!!!\"}}}");
	cnb__oci_creds c;
	cnb_error *err = NULL;
	is_int(cnb__oci_creds_lookup(&c, "bad.example.com", &err), CNB_EPARSE, "bad base64 is an error");
	cnb_error_free(err), err = NULL;
	write_config("{not json");
	is_int(cnb__oci_creds_lookup(&c, "x.example.com", &err), CNB_EPARSE, "malformed config.json is an error");
	ok(err && strstr(cnb_error_message(err), "config.json"), "error names the file");
	cnb_error_free(err);
}

static void test_oci_docker_config__helpers(void)
{
	/* A credential helper speaking the docker protocol: server URL on stdin, JSON on stdout. */
	_cleanup_free_ char *helper = cnb__path_join(dir, "docker-credential-test");
	const char *script = "#!/bin/sh\n"
			     "[ \"$1\" = get ] || exit 2\n"
			     "read url\n"
			     "case \"$url\" in\n"
			     "  helped.example.com) echo '{\"ServerURL\":\"'$url'\",\"Username\":\"helper-user\",\"Secret\":\"helper-secret\"}' ;;\n"
			     "  https://index.docker.io/v1/) echo '{\"Username\":\"hubhelper\",\"Secret\":\"s\"}' ;;\n"
			     "  broken.example.com) echo 'helper exploded' >&2; exit 3 ;;\n"
			     "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
			     "esac\n";
	ok(cnb__write_file_atomic(helper, script, strlen(script), 0755, NULL) == 0, "write fake helper");
	_cleanup_free_ char *path = NULL;
	ok(asprintf(&path, "%s:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin") > 0, "PATH");
	setenv("PATH", path, 1);

	write_config("{\"credHelpers\": {\"helped.example.com\": \"test\", \"broken.example.com\": \"test\"},"
		     " \"auths\": {\"helped.example.com\": {\"auth\": \"aHViOmh1YnB3\"}}}");
	lookup("helped.example.com", "helper-user", "helper-secret", "credHelpers wins over auths");
	cnb__oci_creds c;
	cnb_error *err = NULL;
	is_int(cnb__oci_creds_lookup(&c, "broken.example.com", &err), CNB_EAUTH, "failing helper is an auth error");
	ok(err && strstr(cnb_error_message(err), "docker-credential-test"), "error names the helper (%s)", cnb_error_message(err));
	cnb_error_free(err), err = NULL;

	write_config("{\"credsStore\": \"test\"}");
	lookup("helped.example.com", "helper-user", "helper-secret", "credsStore");
	lookup("docker.io", "hubhelper", "s", "credsStore gets docker hub's legacy URL");
	lookup("unknown.example.com", NULL, NULL, "helper says not found: anonymous");

	write_config("{\"credsStore\": \"does-not-exist\"}");
	is_int(cnb__oci_creds_lookup(&c, "x.example.com", &err), CNB_EAUTH, "missing helper program is an auth error");
	cnb_error_free(err);
}

static void test_oci_docker_config__env(void)
{
	write_config("{\"auths\": {\"env.example.com\": {\"auth\": \"aHViOmh1YnB3\"}}}");
	setenv("CNB_REGISTRY_AUTH", "{\"env.example.com\": \"Basic ZW52OnB3\"}", 1);
	cnb__oci_creds c;
	ok(cnb__oci_creds_lookup(&c, "env.example.com", NULL) == 0, "env lookup");
	is_str(c.authorization, "Basic ZW52OnB3", "CNB_REGISTRY_AUTH wins and is used as the header value");
	ok(!c.username, "no user from config.json then");
	cnb__oci_creds_clear(&c);
	lookup("other.example.com", NULL, NULL, "env without the host falls through");
	setenv("CNB_REGISTRY_AUTH", "[1,2]", 1);
	cnb_error *err = NULL;
	is_int(cnb__oci_creds_lookup(&c, "env.example.com", &err), CNB_EPARSE, "malformed CNB_REGISTRY_AUTH");
	ok(err && strstr(cnb_error_message(err), "CNB_REGISTRY_AUTH"), "error names the variable");
	cnb_error_free(err);
	unsetenv("CNB_REGISTRY_AUTH");
}

int main(void)
{
	if (!mkdtemp(dir))
		tap_skip_all("mkdtemp failed");
	setenv("DOCKER_CONFIG", dir, 1);
	unsetenv("CNB_REGISTRY_AUTH");
	test_oci_docker_config__auths();
	test_oci_docker_config__helpers();
	test_oci_docker_config__env();
	cnb__rm_rf(dir, NULL);
	return tap_done();
}
