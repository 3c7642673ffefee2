/* The `cnb build` flags that choose buildpacks beyond the builder's order, and --volume. */
#include "cmd-build.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int add_item(int key, const char *value, void *state)
{
	cnb_cli_build *b = state;
	if (key == CNB_BUILD_KEY_PRE_BUILDPACK)
		return cnb_cli_list_add(&b->pre_buildpacks, value, "--pre-buildpack");
	if (key == CNB_BUILD_KEY_POST_BUILDPACK)
		return cnb_cli_list_add(&b->post_buildpacks, value, "--post-buildpack");
	return cnb_cli_list_add(&b->buildpacks, value, "--buildpack");
}

int cnb_cli_build_buildpack_flag(cnb_cli_build *b, int key, const char *value)
{
	/* A volume's host path may hold a comma: one value per flag, as pack takes it. */
	if (key == CNB_BUILD_KEY_VOLUME)
		return cnb_cli_list_add(&b->volumes, value, "--volume");
	/* pack takes -b, --pre-buildpack and --post-buildpack as lists: "-b a,b" is "-b a -b b". */
	char *list = strdup(value); /* split in place; lives until exit */
	return list ? cnb_cli_each_comma_item(list, key, add_item, b) : CNB_EXIT_FAILURE;
}
