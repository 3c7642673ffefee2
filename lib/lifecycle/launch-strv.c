/* NULL-terminated string lists for the launcher. */
#include "launch-strv.h"

#include <cnb/error.h>
#include <stdlib.h>
#include <string.h>

void cnb__launch_strv_free(cnb__launch_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int cnb__launch_strv_push_take(cnb__launch_strv *s, char *str)
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

int cnb__launch_strv_push(cnb__launch_strv *s, const char *str)
{
	return cnb__launch_strv_push_take(s, strdup(str));
}

int cnb__launch_strv_extend(cnb__launch_strv *s, char *const *strs, size_t n)
{
	size_t old = s->n;
	for (size_t i = 0; i < n; i++) {
		if (cnb__launch_strv_push(s, strs[i]) == 0)
			continue;
		while (s->n > old)
			free(s->v[--s->n]);
		if (s->v)
			s->v[s->n] = NULL;
		return CNB_ENOMEM;
	}
	return 0;
}

char *const *cnb__launch_strv_argv(const cnb__launch_strv *s)
{
	static char *const empty[] = { NULL };
	return s->n ? s->v : empty;
}

char *cnb__launch_strv_join(const cnb__launch_strv *s, const char *sep)
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
