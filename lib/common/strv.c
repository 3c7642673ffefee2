#include "strv.h"

#include <cnb/error.h>
#include <stdlib.h>
#include <string.h>

void cnb__strv_free(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

char **cnb__strv_dup(const char *const *list)
{
	size_t n = 0;
	while (list && list[n])
		n++;
	char **out = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; out && i < n; i++)
		if (!(out[i] = strdup(list[i]))) {
			cnb__strv_free(out);
			return NULL;
		}
	return out;
}

bool cnb__strv_contains(char *const *list, const char *s)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

void cnb__strv_list_free(cnb__strv_list *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int cnb__strv_push_take(cnb__strv_list *s, char *str)
{
	char **v = str ? realloc(s->v, (s->n + 2) * sizeof(*v)) : NULL;
	if (!v) {
		free(str);
		return CNB_ENOMEM;
	}
	v[s->n++] = str;
	v[s->n] = NULL;
	s->v = v;
	return 0;
}

int cnb__strv_push(cnb__strv_list *s, const char *str)
{
	return cnb__strv_push_take(s, strdup(str));
}

int cnb__strv_extend(cnb__strv_list *s, char *const *strs, size_t n)
{
	size_t old = s->n;
	for (size_t i = 0; i < n; i++) {
		if (cnb__strv_push(s, strs[i]) == 0)
			continue;
		while (s->n > old)
			free(s->v[--s->n]);
		if (s->v)
			s->v[s->n] = NULL;
		return CNB_ENOMEM;
	}
	return 0;
}

char *const *cnb__strv_argv(const cnb__strv_list *s)
{
	static char *const empty[] = { NULL };
	return s->n ? s->v : empty;
}

char **cnb__strv_steal(cnb__strv_list *s)
{
	char **v = s->v ? s->v : calloc(1, sizeof(char *));
	if (v) {
		s->v = NULL;
		s->n = 0;
	}
	return v;
}

char *cnb__strv_join(const cnb__strv_list *s, const char *sep)
{
	size_t len = 1, sep_len = strlen(sep);
	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + (i ? sep_len : 0);
	char *out = malloc(len), *p = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			p = mempcpy(p, sep, sep_len);
		p = mempcpy(p, s->v[i], strlen(s->v[i]));
	}
	*p = '\0';
	return out;
}
