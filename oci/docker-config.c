/* Formats: docker's config.json ("auths", "credsStore", "credHelpers") and the credential-helper
 * protocol (server URL on stdin; {"Username","Secret"} on stdout; "credentials not found" = none). */
#include "docker-config.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/os/os.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONFIG_MAX (1u << 20)
#define HELPER_OUTPUT_MAX (64u << 10)

extern char **environ;

void cnb__oci_creds_clear(cnb__oci_creds *c)
{
	free(c->username);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->authorization);
	memset(c, 0, sizeof(*c));
}

static bool is_docker_hub(const char *registry)
{
	return !strcmp(registry, "docker.io") || !strcmp(registry, "index.docker.io") ||
	       !strcmp(registry, "registry-1.docker.io");
}

/* Docker Hub credentials are filed under this legacy URL by `docker login`. */
static const char *server_url(const char *registry)
{
	return is_docker_hub(registry) ? "https://index.docker.io/v1/" : registry;
}

/* A config.json key ("https://host/v1/", "host") names `registry` when its host part is equal. */
static bool key_matches(const char *key, const char *registry)
{
	const char *k = key;
	if (!strncmp(k, "https://", 8))
		k += 8;
	else if (!strncmp(k, "http://", 7))
		k += 7;
	size_t len = strcspn(k, "/");
	if (is_docker_hub(registry))
		return (len == 15 && !strncmp(k, "index.docker.io", len)) || (len == 9 && !strncmp(k, "docker.io", len)) ||
		       (len == 20 && !strncmp(k, "registry-1.docker.io", len));
	return strlen(registry) == len && !strncmp(k, registry, len);
}

static json_t *find_entry(json_t *obj, const char *registry)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
		if (key_matches(key, registry))
			return v;
	return NULL;
}

static int set_pair(cnb__oci_creds *out, const char *user, size_t ulen, const char *pass, cnb_error **err)
{
	out->username = strndup(user, ulen);
	out->password = strdup(pass);
	if (!out->username || !out->password) {
		cnb__oci_creds_clear(out);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

static int decode_auth(cnb__oci_creds *out, const char *b64, const char *where, cnb_error **err)
{
	size_t n = strlen(b64);
	_cleanup_free_ unsigned char *raw = malloc(n / 4 * 3 + 4);
	if (!raw)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
	if (len < 0 || n % 4)
		return cnb__error_set(err, CNB_EPARSE, "%s: \"auth\" is not valid base64", where);
	/* EVP_DecodeBlock counts padding as zero bytes. */
	while (n > 0 && b64[n - 1] == '=') {
		n--;
		len--;
	}
	raw[len] = '\0';
	char *colon = memchr(raw, ':', (size_t)len);
	if (!colon)
		return cnb__error_set(err, CNB_EPARSE, "%s: \"auth\" does not decode to user:password", where);
	int rc = set_pair(out, (const char *)raw, (size_t)(colon - (char *)raw), colon + 1, err);
	explicit_bzero(raw, (size_t)len);
	return rc;
}

static int run_helper(cnb__oci_creds *out, const char *helper, const char *registry, cnb_error **err)
{
	_cleanup_free_ char *prog = NULL;
	if (asprintf(&prog, "docker-credential-%s", helper) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int in[2], outp[2];
	if (cnb__os_pipe(in, 0) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "pipe");
	if (cnb__os_pipe(outp, 0) < 0) {
		close(in[0]);
		close(in[1]);
		return cnb__error_errno(err, CNB_EIO, errno, "pipe");
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	char *argv[] = { prog, (char *)"get", NULL };
	pid_t pid;
	int sp = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(outp[1]);
	_cleanup_close_ int wfd = in[1];
	_cleanup_close_ int rfd = outp[0];
	if (sp != 0)
		return cnb__error_errno(err, CNB_EAUTH, sp, "credential helper %s (configured in docker config.json)", prog);
	const char *url = server_url(registry);
	/* The helper may exit without reading; a SIGPIPE must not take down the host process. */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGPIPE, &ign, &old);
	(void)!cnb__write_all(wfd, url, strlen(url));
	sigaction(SIGPIPE, &old, NULL);
	close(TAKE_FD(wfd));
	char buf[HELPER_OUTPUT_MAX + 1];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(rfd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len >= sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int rc = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (strstr(buf, "credentials not found"))
			rc = 0;
		else
			rc = cnb__error_set(err, CNB_EAUTH, "credential helper %s get %s failed (exit %d): %.200s", prog, url,
					    WIFEXITED(status) ? WEXITSTATUS(status) : -1, buf);
	} else {
		json_t *j = json_loadb(buf, len, 0, NULL);
		const char *user = json_string_value(json_object_get(j, "Username"));
		const char *secret = json_string_value(json_object_get(j, "Secret"));
		if (!user || !secret)
			rc = cnb__error_set(err, CNB_EAUTH, "credential helper %s: output is not {\"Username\",\"Secret\"} JSON", prog);
		else
			rc = set_pair(out, user, strlen(user), secret, err);
		json_decref(j);
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static int from_env(cnb__oci_creds *out, const char *registry, bool *found, cnb_error **err)
{
	const char *env = getenv("CNB_REGISTRY_AUTH");
	*found = false;
	if (!env || !*env)
		return 0;
	json_error_t je;
	json_t *j = json_loads(env, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		return cnb__error_set(err, CNB_EPARSE,
				      "CNB_REGISTRY_AUTH: expected a JSON object like {\"registry.example.com\": \"Basic <base64 user:password>\"}");
	}
	const char *value = json_string_value(find_entry(j, registry));
	int rc = 0;
	if (value) {
		*found = true;
		if (!(out->authorization = strdup(value)))
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	json_decref(j);
	return rc;
}

static char *config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");
	char *p = NULL;
	if (dir && *dir)
		return asprintf(&p, "%s/config.json", dir) < 0 ? NULL : p;
	if (home && *home)
		return asprintf(&p, "%s/.docker/config.json", home) < 0 ? NULL : p;
	return NULL;
}

int cnb__oci_creds_lookup(cnb__oci_creds *out, const char *registry, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	bool found;
	if (from_env(out, registry, &found, err) < 0 || found)
		return cnb__error_code(err, 0);
	_cleanup_free_ char *path = config_path();
	if (!path || access(path, F_OK) < 0)
		return 0;
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (cnb__read_file(path, CONFIG_MAX, &data, &len, err) < 0)
		return cnb__error_prefix(err, "docker config");
	json_error_t je;
	json_t *cfg = json_loadb(data, len, 0, &je);
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		return cnb__error_set(err, CNB_EPARSE, "%s: malformed JSON (line %d: %s)", path, je.line, je.text);
	}
	int rc = 0;
	const char *helper = json_string_value(find_entry(json_object_get(cfg, "credHelpers"), registry));
	json_t *entry = find_entry(json_object_get(cfg, "auths"), registry);
	const char *store = json_string_value(json_object_get(cfg, "credsStore"));
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	const char *user = json_string_value(json_object_get(entry, "username"));
	const char *pass = json_string_value(json_object_get(entry, "password"));
	if (helper && *helper)
		rc = run_helper(out, helper, registry, err);
	else if (auth && *auth)
		rc = decode_auth(out, auth, path, err);
	else if (user && pass)
		rc = set_pair(out, user, strlen(user), pass, err);
	else if (store && *store)
		rc = run_helper(out, store, registry, err);
	json_decref(cfg);
	return rc;
}
