/* The bounded string lists of `cnb build`'s repeatable flags (cmd-build.h). */
#include "cmd-build.h"
#include "cli.h"

#include <stdio.h>

int cnb_cli_list_add(cnb_cli_str_list *l, const char *s, const char *flag)
{
	if (l->n >= CNB_BUILD_MAX_LIST) {
		fprintf(stderr, "cnb build: too many %s (at most %d)\n", flag, CNB_BUILD_MAX_LIST);
		return CNB_EXIT_USAGE;
	}
	l->items[l->n++] = s;
	l->items[l->n] = NULL;
	return 0;
}
