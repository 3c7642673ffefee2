/* The auth-param grammar: scheme 1*SP param *( "," param ), param = token "=" ( token / quoted-string ). */
#include "challenge.h"
#include "lib/common/buf.h"
#include "lib/common/error-internal.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cnb__oci_challenge_clear(cnb__oci_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

static bool tchar(char c)
{
	return isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~/:", c);
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads a token or quoted string; returns the position after it or NULL on a syntax error. */
static const char *read_value(const char *p, cnb__buf *out)
{
	if (*p != '"') {
		const char *start = p;
		while (*p && tchar(*p))
			p++;
		if (p == start || cnb__buf_append(out, start, (size_t)(p - start)) < 0)
			return NULL;
		return p;
	}
	for (p++; *p != '"'; p++) {
		if (!*p)
			return NULL;
		if (*p == '\\' && p[1])
			p++;
		if (cnb__buf_append(out, p, 1) < 0)
			return NULL;
	}
	if (!out->data && cnb__buf_append(out, "", 0) < 0)
		return NULL;
	return p + 1;
}

int cnb__oci_challenge_parse(cnb__oci_challenge *out, const char *header, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	const char *p = header ? header : "";
	cnb__oci_challenge cur = { 0 };
	bool have = false;
	for (;;) {
		p = skip_ws(p);
		while (*p == ',')
			p = skip_ws(p + 1);
		if (!*p)
			break;
		const char *name = p;
		while (*p && tchar(*p) && *p != '=')
			p++;
		size_t nlen = (size_t)(p - name);
		const char *after = skip_ws(p);
		if (nlen == 0)
			goto syntax;
		if (*after != '=') {
			/* A new scheme begins: keep what we have if it is the better one. */
			if (have && cur.scheme == CNB__OCI_AUTH_BEARER)
				break;
			if (have && cur.scheme == CNB__OCI_AUTH_BASIC && out->scheme == CNB__OCI_AUTH_NONE) {
				*out = cur;
				memset(&cur, 0, sizeof(cur));
			} else {
				cnb__oci_challenge_clear(&cur);
			}
			have = true;
			if (nlen == 6 && !strncasecmp(name, "bearer", 6))
				cur.scheme = CNB__OCI_AUTH_BEARER;
			else if (nlen == 5 && !strncasecmp(name, "basic", 5))
				cur.scheme = CNB__OCI_AUTH_BASIC;
			else
				cur.scheme = CNB__OCI_AUTH_NONE;
			p = after;
			continue;
		}
		if (!have)
			goto syntax;
		cnb__buf value = CNB_BUF_INIT;
		p = read_value(skip_ws(after + 1), &value);
		if (!p) {
			cnb__buf_reset(&value);
			goto syntax;
		}
		char **slot = NULL;
		if (nlen == 5 && !strncasecmp(name, "realm", 5))
			slot = &cur.realm;
		else if (nlen == 7 && !strncasecmp(name, "service", 7))
			slot = &cur.service;
		else if (nlen == 5 && !strncasecmp(name, "scope", 5))
			slot = &cur.scope;
		else if (nlen == 5 && !strncasecmp(name, "error", 5))
			slot = &cur.error;
		if (slot) {
			free(*slot);
			*slot = cnb__buf_steal(&value);
		} else {
			cnb__buf_reset(&value);
		}
	}
	if (have && (cur.scheme == CNB__OCI_AUTH_BEARER || out->scheme == CNB__OCI_AUTH_NONE)) {
		cnb__oci_challenge_clear(out);
		*out = cur;
	} else {
		cnb__oci_challenge_clear(&cur);
	}
	if (out->scheme == CNB__OCI_AUTH_BEARER && (!out->realm || !*out->realm)) {
		cnb__oci_challenge_clear(out);
		return cnb__error_set(err, CNB_EPARSE, "WWW-Authenticate: Bearer challenge without realm");
	}
	return 0;
syntax:
	cnb__oci_challenge_clear(&cur);
	cnb__oci_challenge_clear(out);
	return cnb__error_set(err, CNB_EPARSE, "WWW-Authenticate: cannot parse \"%.200s\"", header);
}
