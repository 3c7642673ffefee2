/* Word splitting, quoting and variable expansion for Dockerfile arguments (see dockerfile-words.h). */
#include "dockerfile-words.h"
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/strv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *cnb__extend_df_var(const char *const *vars, const char *name, size_t name_len)
{
	const char *found = NULL;
	for (const char *const *v = vars; v && *v; v++)
		if (!strncmp(*v, name, name_len) && (*v)[name_len] == '=')
			found = *v + name_len + 1;
	return found;
}

typedef struct lexer {
	const char *s;
	const char *const *vars;
	cnb__buf word;
	bool in_word; /* quotes make a word even when empty: "" is one */
	cnb_error **err;
} lexer;

static bool name_char(char c, bool first)
{
	return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

static int put(lexer *l, const char *s, size_t n)
{
	if (l->word.len + n > CNB_DF_WORDS_MAX_BYTES)
		return cnb__error_set(l->err, CNB_EINVAL, "expands to more than %u bytes", CNB_DF_WORDS_MAX_BYTES);
	l->in_word = true;
	return cnb__buf_append(&l->word, s, n) < 0 ? cnb__error_set(l->err, CNB_ENOMEM, "out of memory") : 0;
}

/* ${NAME:-word} and ${NAME:+word}: the word is taken literally up to the closing brace (nested
 * expansions in it are not supported: an extension's Dockerfile has no need for them). */
static int expand_braced(lexer *l)
{
	const char *p = l->s + 2, *name = p;
	while (name_char(*p, p == name))
		p++;
	size_t name_len = (size_t)(p - name);
	const char *close = strchr(p, '}');
	if (!name_len || !close)
		return cnb__error_set(l->err, CNB_EINVAL, "bad variable reference \"%.40s\": write ${NAME}", l->s);
	const char *value = cnb__extend_df_var(l->vars, name, name_len);
	int r = 0;
	if (p == close)
		r = value ? put(l, value, strlen(value)) : 0;
	else if (p[0] == ':' && (p[1] == '-' || p[1] == '+')) {
		bool set = value && *value;
		const char *alt = p + 2;
		if (p[1] == '-')
			r = set ? put(l, value, strlen(value)) : put(l, alt, (size_t)(close - alt));
		else if (set)
			r = put(l, alt, (size_t)(close - alt));
	} else
		r = cnb__error_set(l->err, CNB_EINVAL, "unsupported variable modifier in \"%.*s\" (only :- and :+)",
				   (int)(close - l->s + 1), l->s);
	l->in_word = true;
	l->s = close + 1;
	return r;
}

static int expand(lexer *l)
{
	if (l->s[1] == '{')
		return expand_braced(l);
	const char *p = l->s + 1;
	while (name_char(*p, p == l->s + 1))
		p++;
	if (p == l->s + 1) { /* a lone $ is itself */
		l->s++;
		return put(l, "$", 1);
	}
	const char *value = cnb__extend_df_var(l->vars, l->s + 1, (size_t)(p - l->s - 1));
	l->s = p;
	l->in_word = true;
	return value ? put(l, value, strlen(value)) : 0;
}

static int quoted(lexer *l, char q)
{
	l->s++;
	l->in_word = true;
	while (*l->s && *l->s != q) {
		int r;
		if (q == '"' && *l->s == '\\' && l->s[1] && strchr("\\\"$", l->s[1])) {
			r = put(l, l->s + 1, 1);
			l->s += 2;
		} else if (q == '"' && *l->s == '$') {
			r = expand(l);
		} else {
			r = put(l, l->s++, 1);
		}
		if (r < 0)
			return r;
	}
	if (!*l->s)
		return cnb__error_set(l->err, CNB_EINVAL, "unterminated %s quote", q == '"' ? "double" : "single");
	l->s++;
	return 0;
}

static int end_word(lexer *l, cnb__strv_list *words)
{
	if (!l->in_word)
		return 0;
	char *w = strndup(l->word.data ? l->word.data : "", l->word.len);
	l->word.len = 0;
	l->in_word = false;
	return !w || cnb__strv_push_take(words, w) < 0 ? cnb__error_set(l->err, CNB_ENOMEM, "out of memory") : 0;
}

int cnb__extend_df_words(const char *raw, const char *const *vars, bool split, char ***out, cnb_error **err)
{
	lexer l = { .s = raw, .vars = vars, .err = err };
	_cleanup_strv_list_ cnb__strv_list words = CNB_STRV_LIST_INIT;
	int r = 0;
	while (r == 0 && *l.s) {
		char c = *l.s;
		if (split && (c == ' ' || c == '\t')) {
			r = end_word(&l, &words);
			l.s++;
		} else if (c == '"' || c == '\'') {
			r = quoted(&l, c);
		} else if (c == '\\' && l.s[1]) {
			r = put(&l, l.s + 1, 1);
			l.s += 2;
		} else if (c == '$') {
			r = expand(&l);
		} else {
			r = put(&l, l.s++, 1);
		}
	}
	if (r == 0)
		r = end_word(&l, &words);
	cnb__buf_reset(&l.word);
	if (r < 0)
		return r;
	*out = cnb__strv_steal(&words);
	return *out ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}
