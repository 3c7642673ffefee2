/* cnb version */
#include "cli.h"

#include <stdio.h>

int cnb_cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("cnb %s (libcnb %s)\n", CNB_VERSION_STRING, cnb_version());
	return CNB_EXIT_OK;
}
