/* The `cnb build` flags that choose buildpacks beyond the builder's order, and --volume. */
#include "cmd-build.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_buildpack(int key, const char *value, void *state)
{
	(void)key;
	return cnb_cli_list_add(&((cnb_cli_build *)state)->buildpacks, value, "--buildpack");
}

int cnb_cli_build_buildpack_flag(cnb_cli_build *b, int key, const char *value)
{
	switch (key) {
	case CNB_BUILD_KEY_BUILDPACK: {
		char *list = strdup(value); /* split in place; lives until exit */
		return list ? cnb_cli_each_comma_item(list, key, add_buildpack, b) : CNB_EXIT_FAILURE;
	}
	case CNB_BUILD_KEY_PRE_BUILDPACK:
	case CNB_BUILD_KEY_POST_BUILDPACK:
		fprintf(stderr, "cnb build: --%s-buildpack is not supported yet: list the buildpacks in order with -b\n",
			key == CNB_BUILD_KEY_PRE_BUILDPACK ? "pre" : "post");
		return CNB_EXIT_USAGE;
	default:
		fprintf(stderr, "cnb build: --volume is not supported yet: put the files in the app directory\n");
		return CNB_EXIT_USAGE;
	}
}
