/* cnb version */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cnb_cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs("Usage: cnb version\n\nPrint the version of cnb and of the libcnb it runs with (also: cnb --version).\n",
		      stdout);
		return CNB_EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "cnb version: unexpected argument %s\n", argv[1]);
		return CNB_EXIT_USAGE;
	}
	printf("cnb %s (libcnb %s)\n", CNB_VERSION_STRING, cnb_version());
	return CNB_EXIT_OK;
}
