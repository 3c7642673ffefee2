/* Dockerfile text → instructions (see dockerfile.h for what is accepted and why). */
#include "dockerfile.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/strv.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


static const char *const kind_names[] = {
	[CNB_DF_ARG] = "ARG",	[CNB_DF_FROM] = "FROM", [CNB_DF_ENV] = "ENV",	    [CNB_DF_LABEL] = "LABEL",
	[CNB_DF_RUN] = "RUN",	[CNB_DF_SHELL] = "SHELL", [CNB_DF_USER] = "USER", [CNB_DF_WORKDIR] = "WORKDIR",
	[CNB_DF_COPY] = "COPY", [CNB_DF_ADD] = "ADD",
};

const char *cnb__extend_df_kind_name(cnb__extend_df_kind kind)
{
	return kind_names[kind];
}

void cnb__extend_dockerfile_free(cnb__extend_dockerfile *df)
{
	if (!df)
		return;
	for (size_t i = 0; i < df->n; i++) {
		free(df->instrs[i].raw);
		cnb__strv_free(df->instrs[i].argv);
	}
	free(df->instrs);
	free(df);
}

typedef struct parser {
	const char *name;
	cnb__extend_dockerfile *df;
	char *buf;       /* the instruction being read, continuation lines joined */
	size_t len;
	unsigned start;  /* its first line */
	bool seen_instr; /* parser directives only come before the first instruction */
} parser;

static int fail(const parser *p, unsigned line, cnb_error **err, const char *what)
{
	return cnb__error_set(err, CNB_EINVAL, "%s line %u: %s", p->name, line, what);
}

/* The exec form: a JSON array of at least one string without NUL. *argv NULL when the text is no
 * such array (then it is the shell form, as docker reads it). -1 only when out of memory. */
static int json_argv(const char *raw, char ***argv)
{
	*argv = NULL;
	json_t *a = json_loads(raw, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	size_t n = json_array_size(a);
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(a, i);
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			n = 0;
	}
	char **v = n ? calloc(n + 1, sizeof(char *)) : NULL;
	int r = n && !v ? -1 : 0;
	for (size_t i = 0; v && i < n; i++)
		if (!(v[i] = strdup(json_string_value(json_array_get(a, i))))) {
			cnb__strv_free(v);
			v = NULL;
			r = -1;
		}
	json_decref(a);
	*argv = v;
	return r;
}

static const char *refusal(const char *word)
{
	static const struct {
		const char *word, *why;
	} refused[] = {
		{ "CMD", "CMD is not allowed in an image extension's Dockerfile (image_extension.md, Dockerfile Requirements)" },
		{ "ENTRYPOINT", "ENTRYPOINT is not allowed in an image extension's Dockerfile (image_extension.md, "
				"Dockerfile Requirements)" },
		{ "ONBUILD", "ONBUILD is not allowed in an image extension's Dockerfile" },
	};
	for (size_t i = 0; i < CNB_ARRAY_SIZE(refused); i++)
		if (!strcasecmp(word, refused[i].word))
			return refused[i].why;
	return NULL;
}

static int add_instr(parser *p, cnb__extend_df_kind kind, const char *raw, cnb_error **err)
{
	if (p->df->n >= CNB_DOCKERFILE_MAX_INSTRUCTIONS)
		return cnb__error_set(err, CNB_EINVAL, "%s line %u: more than %d instructions", p->name, p->start,
				      CNB_DOCKERFILE_MAX_INSTRUCTIONS);
	if (!*raw)
		return cnb__error_set(err, CNB_EINVAL, "%s line %u: %s needs an argument", p->name, p->start,
				      kind_names[kind]);
	cnb__extend_df_instr in = { .kind = kind, .line = p->start };
	const char *form = raw;
	if (kind == CNB_DF_COPY || kind == CNB_DF_ADD) /* flags come before the JSON array */
		while (!strncmp(form, "--", 2)) {
			form += strcspn(form, " \t");
			form += strspn(form, " \t");
		}
	bool exec_form = kind == CNB_DF_RUN || kind == CNB_DF_SHELL || kind == CNB_DF_COPY || kind == CNB_DF_ADD;
	bool oom = exec_form && form[0] == '[' && json_argv(form, &in.argv) < 0;
	if (kind == CNB_DF_SHELL && !in.argv && !oom)
		return fail(p, p->start, err, "SHELL takes a JSON array of strings: SHELL [\"/bin/sh\", \"-c\"]");
	if (kind == CNB_DF_RUN && !strncmp(raw, "--", 2))
		return fail(p, p->start, err, "RUN flags (--mount, --network, --security) are not supported");
	if (kind == CNB_DF_RUN && !strncmp(raw, "<<", 2))
		return fail(p, p->start, err, "RUN heredocs are not supported: write the script on the RUN line");
	if (kind == CNB_DF_FROM && !strncmp(raw, "--", 2))
		return fail(p, p->start, err, "FROM flags (--platform) are not supported");
	cnb__extend_df_instr *grown = realloc(p->df->instrs, (p->df->n + 1) * sizeof(*grown));
	if (grown)
		p->df->instrs = grown;
	if (oom || !grown || !(in.raw = strdup(raw))) {
		cnb__strv_free(in.argv);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	p->df->instrs[p->df->n++] = in;
	return 0;
}

static int finish(parser *p, cnb_error **err)
{
	while (p->len && isspace((unsigned char)p->buf[p->len - 1]))
		p->len--;
	p->buf[p->len] = '\0';
	char *word = p->buf, *rest = word + strcspn(word, " \t");
	if (*rest)
		*rest++ = '\0';
	rest += strspn(rest, " \t");
	p->len = 0;
	p->seen_instr = true;
	for (size_t k = 0; k < CNB_ARRAY_SIZE(kind_names); k++)
		if (!strcasecmp(word, kind_names[k]))
			return add_instr(p, (cnb__extend_df_kind)k, rest, err);
	const char *why = refusal(word);
	if (why)
		return fail(p, p->start, err, why);
	return cnb__error_set(err, CNB_EINVAL,
			      "%s line %u: instruction \"%.32s\" is not supported in an image extension's Dockerfile (allowed: "
			      "ADD, ARG, COPY, ENV, FROM, LABEL, RUN, SHELL, USER, WORKDIR)", p->name, p->start, word);
}

/* "# escape=`" before the first instruction would change how every line reads: only "\" is ours. */
static int directive(parser *p, const char *text, size_t len, unsigned lineno, cnb_error **err)
{
	char line[64]; /* the line is not NUL-terminated; a directive is short */
	snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), text);
	const char *s = line + 1 + strspn(line + 1, " \t");
	if (p->seen_instr || strncasecmp(s, "escape", 6))
		return 0;
	s += 6 + strspn(s + 6, " \t");
	if (*s != '=')
		return 0;
	s += 1 + strspn(s + 1, " \t");
	return (s[0] == '\\' && (!s[1] || isspace((unsigned char)s[1])))
		       ? 0
		       : fail(p, lineno, err, "the escape directive must be \\ (no other escape character is supported)");
}

static int parse_line(parser *p, const char *line, size_t n, unsigned lineno, cnb_error **err)
{
	if (n && line[n - 1] == '\r')
		n--;
	size_t lead = 0;
	while (lead < n && isspace((unsigned char)line[lead]))
		lead++;
	bool continuing = p->len > 0;
	if (lead == n)
		return 0; /* blank, also inside a continued instruction (docker skips those too) */
	if (line[lead] == '#')
		return continuing ? 0 : directive(p, line + lead, n - lead, lineno, err);
	if (!continuing)
		p->start = lineno;
	const char *s = continuing ? line : line + lead;
	size_t len = n - (size_t)(s - line);
	size_t end = len;
	while (end && isspace((unsigned char)s[end - 1]))
		end--;
	bool more = end && s[end - 1] == '\\';
	if (more)
		len = end - 1;
	if (p->len + len + 1 > CNB_DOCKERFILE_MAX_LINE)
		return cnb__error_set(err, CNB_EINVAL, "%s line %u: instruction longer than %u bytes", p->name, p->start,
				      CNB_DOCKERFILE_MAX_LINE);
	memcpy(p->buf + p->len, s, len);
	p->len += len;
	if (more) {
		if (!p->len) /* a lone "\": keep the instruction open */
			p->buf[p->len++] = ' ';
		return 0;
	}
	return finish(p, err);
}

int cnb__extend_dockerfile_parse(cnb__extend_dockerfile **out, const char *text, size_t len, const char *name, cnb_error **err)
{
	*out = NULL;
	if (len > CNB_DOCKERFILE_MAX_BYTES)
		return cnb__error_set(err, CNB_EINVAL, "%s: %zu bytes, over the limit of %u", name, len,
				      CNB_DOCKERFILE_MAX_BYTES);
	if (memchr(text, '\0', len))
		return cnb__error_set(err, CNB_EINVAL, "%s: holds a NUL byte: not a text file", name);
	json_t *utf8 = json_stringn(text, len); /* jansson checks the encoding: image configs are JSON */
	if (!utf8)
		return cnb__error_set(err, CNB_EINVAL, "%s: not UTF-8 text", name);
	json_decref(utf8);
	_cleanup_free_ char *buf = malloc(CNB_DOCKERFILE_MAX_LINE + 1);
	parser p = { .name = name, .df = calloc(1, sizeof(cnb__extend_dockerfile)), .buf = buf };
	if (!buf || !p.df) {
		free(p.df);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) /* a UTF-8 byte order mark */
		text += 3, len -= 3;
	int r = 0;
	unsigned lineno = 0;
	for (size_t pos = 0; r == 0 && pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		r = parse_line(&p, text + pos, n, ++lineno, err);
		pos += n + 1;
	}
	if (r == 0 && p.len)
		r = finish(&p, err);
	if (r < 0) {
		cnb__extend_dockerfile_free(p.df);
		return r;
	}
	*out = p.df;
	return 0;
}
