/* run.Dockerfile scanning for run image selection (platform.md "detector"; image_extension.md "Dockerfile Requirements"). */
#include "run-dockerfile.h"

#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cnb__lifecycle_run_dockerfile_free(cnb__lifecycle_run_dockerfile *d)
{
	free(d->base);
	memset(d, 0, sizeof(*d));
}

typedef struct scan {
	const char *where;
	size_t line;         /* where the instruction started */
	bool seen_from;
	char *args[16];      /* ARG name=default before FROM, as "name=default" */
	size_t n_args;
	cnb__lifecycle_run_dockerfile *out;
} scan;

static char *next_token(char **p)
{
	while (**p && isspace((unsigned char)**p))
		(*p)++;
	if (!**p)
		return NULL;
	char *start = *p;
	while (**p && !isspace((unsigned char)**p))
		(*p)++;
	if (**p)
		*(*p)++ = '\0';
	return start;
}

static bool is_base_image_ref(const char *s)
{
	return !strcmp(s, "${base_image}") || !strcmp(s, "$base_image");
}

/* `${name}` / `$name` whole-token ARG references resolve to the ARG's default (docker's meta args). */
static const char *resolve_arg(const scan *s, const char *token)
{
	size_t len = strlen(token);
	const char *name = NULL;
	size_t n = 0;
	if (len > 3 && !strncmp(token, "${", 2) && token[len - 1] == '}')
		name = token + 2, n = len - 3;
	else if (len > 1 && token[0] == '$')
		name = token + 1, n = len - 1;
	for (size_t i = 0; name && i < s->n_args; i++)
		if (!strncmp(s->args[i], name, n) && s->args[i][n] == '=')
			return s->args[i] + n + 1;
	return token;
}

static int instruction(scan *s, char *text, cnb_error **err)
{
	char *p = text;
	char *word = next_token(&p);
	if (!word)
		return 0;
	if (!strcasecmp(word, "FROM")) {
		if (s->seen_from)
			return cnb__error_set(err, CNB_EPARSE,
					      "%s:%zu: a second FROM: multi-stage run.Dockerfiles are not permitted", s->where,
					      s->line);
		s->seen_from = true;
		char *image = next_token(&p);
		while (image && !strncmp(image, "--", 2))
			image = next_token(&p);
		if (!image)
			return cnb__error_set(err, CNB_EPARSE, "%s:%zu: FROM names no image", s->where, s->line);
		if (is_base_image_ref(image))
			return 0;
		const char *resolved = resolve_arg(s, image);
		if (!*resolved)
			return cnb__error_set(err, CNB_EPARSE, "%s:%zu: FROM %s names no image (an empty ARG)", s->where,
					      s->line, image);
		if (strchr(resolved, '$'))
			return cnb__error_set(err, CNB_EPARSE,
					      "%s:%zu: FROM %s: only ${base_image} or an image name (or an ARG with a default "
					      "naming one) is understood",
					      s->where, s->line, image);
		return (s->out->base = strdup(resolved)) ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (s->seen_from) {
		s->out->extend = true;
		return 0;
	}
	if (strcasecmp(word, "ARG"))
		return cnb__error_set(err, CNB_EPARSE, "%s:%zu: %s before FROM: only ARG may come first", s->where, s->line,
				      word);
	for (char *a; (a = next_token(&p)) && s->n_args < CNB_ARRAY_SIZE(s->args);)
		if (strchr(a, '=') && !(s->args[s->n_args++] = strdup(a)))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

int cnb__lifecycle_run_dockerfile_parse(cnb__lifecycle_run_dockerfile *out, const char *text, size_t len, const char *where,
			      cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	scan s = { .where = where, .out = out };
	_cleanup_buf_ cnb__buf cur = CNB_BUF_INIT;
	int rc = 0;
	size_t lineno = 0;
	for (size_t pos = 0; rc == 0 && pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *line = text + pos;
		size_t n = end - pos;
		pos = nl ? end + 1 : len;
		lineno++;
		if (memchr(line, '\0', n)) {
			rc = cnb__error_set(err, CNB_EPARSE, "%s:%zu: a NUL byte: not a Dockerfile", where, lineno);
			break;
		}
		size_t lead = 0;
		while (lead < n && isspace((unsigned char)line[lead]))
			lead++;
		if (lead == n || line[lead] == '#')
			continue; /* blank lines and comments, inside a continuation too (as docker reads them) */
		while (n > lead && isspace((unsigned char)line[n - 1]))
			n--;
		bool more = line[n - 1] == '\\';
		if (!cur.len)
			s.line = lineno;
		if (cnb__buf_append(&cur, line + lead, n - lead - (more ? 1 : 0)) < 0 || cnb__buf_puts(&cur, " ") < 0) {
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
			break;
		}
		if (more)
			continue;
		rc = instruction(&s, cur.data, err);
		cnb__buf_reset(&cur);
	}
	if (rc == 0 && cur.len)
		rc = instruction(&s, cur.data, err);
	if (rc == 0 && !s.seen_from)
		rc = cnb__error_set(err, CNB_EPARSE, "%s: has no FROM: a run.Dockerfile needs exactly one", where);
	for (size_t i = 0; i < s.n_args; i++)
		free(s.args[i]);
	if (rc)
		cnb__lifecycle_run_dockerfile_free(out);
	return rc;
}

int cnb__lifecycle_run_dockerfile_read(cnb__lifecycle_run_dockerfile *out, const char *path, cnb_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int rc = cnb__read_file(path, CNB_DOCKERFILE_MAX, &text, &len, err);
	return rc ? rc : cnb__lifecycle_run_dockerfile_parse(out, text, len, path, err);
}
