/* Token protocol facts (docker/distribution docs): GET <realm>?service=<s>&scope=<s>..., with basic
 * credentials when we have them; answer {"token" | "access_token", "expires_in" (default 60 s)}. */
#include "auth.h"
#include "challenge.h"
#include "docker-config.h"
#include "http.h"
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKEN_MAX (1u << 20)
#define MAX_TOKENS 32

typedef struct token {
	char *scope;
	char *value;
	time_t expires;
} token;

struct cnb__oci_auth {
	pthread_mutex_t lock;
	char *registry;
	bool insecure;
	const struct cnb__oci_tls *tls;
	cnb__oci_challenge challenge;
	bool creds_loaded;
	cnb__oci_creds creds;
	token tokens[MAX_TOKENS];
	size_t n_tokens;
	bool refused_once;
};

int cnb__oci_auth_new(cnb__oci_auth **out, const char *registry, bool insecure, const struct cnb__oci_tls *tls,
		      cnb_error **err)
{
	cnb__oci_auth *a = calloc(1, sizeof(*a));
	if (!a || !(a->registry = strdup(registry))) {
		free(a);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&a->lock, NULL);
	a->insecure = insecure;
	a->tls = tls;
	*out = a;
	return 0;
}

static void token_clear(token *t)
{
	free(t->scope);
	free(t->value);
	memset(t, 0, sizeof(*t));
}

void cnb__oci_auth_free(cnb__oci_auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_tokens; i++)
		token_clear(&a->tokens[i]);
	cnb__oci_challenge_clear(&a->challenge);
	cnb__oci_creds_clear(&a->creds);
	pthread_mutex_destroy(&a->lock);
	free(a->registry);
	free(a);
}

int cnb__oci_auth_challenge(cnb__oci_auth *a, const char *www_authenticate, cnb_error **err)
{
	cnb__oci_challenge c;
	if (cnb__oci_challenge_parse(&c, www_authenticate, err) < 0)
		return cnb__error_prefix(err, "%s", a->registry);
	pthread_mutex_lock(&a->lock);
	/* The scope in a 401 is per request; keep realm and service, which are per registry. */
	bool same = a->challenge.scheme == c.scheme && (c.scheme != CNB__OCI_AUTH_BEARER ||
		    (a->challenge.realm && !strcmp(a->challenge.realm, c.realm)));
	if (!same || c.scheme != CNB__OCI_AUTH_NONE) {
		cnb__oci_challenge_clear(&a->challenge);
		a->challenge = c;
	} else {
		cnb__oci_challenge_clear(&c);
	}
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static int load_creds(cnb__oci_auth *a, cnb_error **err)
{
	if (a->creds_loaded)
		return 0;
	int rc = cnb__oci_creds_lookup(&a->creds, a->registry, err);
	if (rc < 0)
		return cnb__error_prefix(err, "credentials for %s", a->registry);
	a->creds_loaded = true;
	return 0;
}

static char *basic_value(const cnb__oci_creds *c)
{
	if (c->authorization && !strncasecmp(c->authorization, "Basic ", 6))
		return strdup(c->authorization);
	if (!c->username)
		return NULL;
	_cleanup_free_ char *pair = NULL;
	if (asprintf(&pair, "%s:%s", c->username, c->password ? c->password : "") < 0)
		return NULL;
	size_t n = strlen(pair);
	char *out = malloc(6 + 4 * ((n + 2) / 3) + 1);
	if (!out)
		return NULL;
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)pair, (int)n);
	explicit_bzero(pair, n);
	return out;
}

static token *find_token(cnb__oci_auth *a, const char *scope)
{
	for (size_t i = 0; i < a->n_tokens; i++)
		if (!strcmp(a->tokens[i].scope, scope))
			return &a->tokens[i];
	return NULL;
}

static int fetch_token(cnb__oci_auth *a, CURL *curl, const char *scope, token *out, cnb_error **err)
{
	_cleanup_buf_ cnb__buf url = CNB_BUF_INIT;
	const cnb__oci_challenge *c = &a->challenge;
	cnb__buf_printf(&url, "%s%s", c->realm, strchr(c->realm, '?') ? "&" : "?");
	if (c->service) {
		char *s = curl_easy_escape(curl, c->service, 0);
		cnb__buf_printf(&url, "service=%s", s ? s : "");
		curl_free(s);
	}
	_cleanup_free_ char *scopes = strdup(scope);
	if (!scopes)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (char *save = NULL, *tok = strtok_r(scopes, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *s = curl_easy_escape(curl, tok, 0);
		cnb__buf_printf(&url, "&scope=%s", s ? s : "");
		curl_free(s);
	}
	if (!url.data)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (strncmp(url.data, "https://", 8) && !(a->insecure && !strncmp(url.data, "http://", 7)))
		return cnb__error_set(err, CNB_EAUTH, "%s: token realm %s is not https; refusing to send credentials", a->registry,
				      c->realm);
	struct curl_slist *headers = NULL;
	_cleanup_free_ char *basic = basic_value(&a->creds);
	_cleanup_free_ char *line = NULL;
	if (basic && asprintf(&line, "Authorization: %s", basic) >= 0)
		headers = curl_slist_append(headers, line);
	cnb__oci_http_req req = CNB_HTTP_REQ_INIT;
	req.url = url.data;
	req.headers = headers;
	req.max_body = TOKEN_MAX;
	req.tls = a->tls;
	_cleanup_http_resp_ cnb__oci_http_resp resp = { 0 };
	int rc = cnb__oci_http_perform(curl, &req, &resp, err);
	curl_slist_free_all(headers);
	if (line)
		explicit_bzero(line, strlen(line));
	if (rc < 0)
		return cnb__error_prefix(err, "%s: token", a->registry);
	if (resp.status == 401 || resp.status == 403)
		return cnb__oci_auth_refused(a, "token server refused the credentials", err);
	if (resp.status != 200) {
		_cleanup_free_ char *why = cnb__oci_http_describe(&resp);
		return cnb__error_set(err, CNB_EREGISTRY, "%s: token server %s: %s", a->registry, c->realm, why ? why : "error");
	}
	json_t *j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	const char *value = json_string_value(json_object_get(j, "token"));
	if (!value || !*value)
		value = json_string_value(json_object_get(j, "access_token"));
	json_int_t expires_in = json_integer_value(json_object_get(j, "expires_in"));
	if (!value || !*value) {
		json_decref(j);
		return cnb__error_set(err, CNB_EREGISTRY, "%s: token server %s answered without a token", a->registry, c->realm);
	}
	out->value = strdup(value);
	out->scope = strdup(scope);
	/* Refresh a little early so a token does not expire in flight. */
	out->expires = time(NULL) + (expires_in >= 60 ? expires_in : 60) - 10;
	json_decref(j);
	if (!out->value || !out->scope) {
		token_clear(out);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

static int header_locked(cnb__oci_auth *a, CURL *curl, const char *scope, char **out_line, cnb_error **err)
{
	*out_line = NULL;
	if (a->challenge.scheme == CNB__OCI_AUTH_NONE)
		return 0;
	if (load_creds(a, err) < 0)
		return cnb__error_code(err, CNB_EAUTH);
	const char *env = a->creds.authorization;
	_cleanup_free_ char *value = NULL;
	if (env && !strncasecmp(env, "Bearer ", 7)) {
		value = strdup(env);
	} else if (a->challenge.scheme == CNB__OCI_AUTH_BASIC) {
		value = basic_value(&a->creds);
		if (!value)
			return 0;
	} else {
		token *t = find_token(a, scope);
		if (t && t->expires <= time(NULL)) {
			token_clear(t);
			*t = a->tokens[--a->n_tokens];
			t = NULL;
		}
		if (!t) {
			token fresh = { 0 };
			if (fetch_token(a, curl, scope, &fresh, err) < 0)
				return cnb__error_code(err, CNB_EAUTH);
			if (a->n_tokens == MAX_TOKENS)
				token_clear(&a->tokens[--a->n_tokens]);
			a->tokens[a->n_tokens] = fresh;
			t = &a->tokens[a->n_tokens++];
		}
		if (asprintf(&value, "Bearer %s", t->value) < 0)
			value = NULL;
	}
	if (!value || asprintf(out_line, "Authorization: %s", value) < 0) {
		*out_line = NULL;
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	explicit_bzero(value, strlen(value));
	return 0;
}

int cnb__oci_auth_header(cnb__oci_auth *a, CURL *curl, const char *scope, char **out_line, cnb_error **err)
{
	pthread_mutex_lock(&a->lock);
	int rc = header_locked(a, curl, scope, out_line, err);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

bool cnb__oci_auth_invalidate(cnb__oci_auth *a, const char *scope)
{
	pthread_mutex_lock(&a->lock);
	bool retry = false;
	token *t = find_token(a, scope);
	if (t) {
		token_clear(t);
		*t = a->tokens[--a->n_tokens];
		retry = true;
	} else if (!a->refused_once) {
		/* First refusal without a token: the challenge (just learned) may change how we ask. */
		a->refused_once = true;
		retry = true;
	}
	pthread_mutex_unlock(&a->lock);
	return retry;
}

int cnb__oci_auth_refused(cnb__oci_auth *a, const char *what, cnb_error **err)
{
	if (a->creds.username)
		return cnb__error_set(err, CNB_EAUTH,
				      "%s: %s: access denied for user \"%s\" (check the password with docker login %s, or CNB_REGISTRY_AUTH)",
				      a->registry, what, a->creds.username, a->registry);
	if (a->creds.authorization)
		return cnb__error_set(err, CNB_EAUTH, "%s: %s: access denied with the credentials from CNB_REGISTRY_AUTH",
				      a->registry, what);
	return cnb__error_set(err, CNB_EAUTH,
			      "%s: %s: authentication required and no credentials found (run docker login %s, or set CNB_REGISTRY_AUTH)",
			      a->registry, what, a->registry);
}
