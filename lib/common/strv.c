#include "strv.h"

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
