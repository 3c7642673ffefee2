/* What `cnb build` collects from its command line; shared by cmd-build.c (the flag table and the
 * run) and cmd-build-buildpacks.c (the flags that choose buildpacks beyond the builder's order). */
#ifndef CNB_CLI_CMD_BUILD_H
#define CNB_CLI_CMD_BUILD_H

#include "cli-opts.h"
#include <cnb/build.h>

#define CNB_BUILD_MAX_LIST 256

typedef struct cnb_cli_str_list {
	const char *items[CNB_BUILD_MAX_LIST + 1];
	int n;
} cnb_cli_str_list;

typedef struct cnb_cli_build {
	cnb_build_opts opts;
	cnb_cli_str_list env_file, env, tags, buildpacks, lifecycle_env, mirrors;
	int publish;
	int version;
	const char *report_json;
} cnb_cli_build;

/* Appends `s` (kept, not copied); prints "too many FLAG" and returns CNB_EXIT_USAGE when full. */
int cnb_cli_list_add(cnb_cli_str_list *l, const char *s, const char *flag);

/* Keys of the buildpack-choosing flags, handled by cnb_cli_build_buildpack_flag(). */
enum {
	CNB_BUILD_KEY_BUILDPACK = 'b',
	CNB_BUILD_KEY_PRE_BUILDPACK = CNB_CLI_LONG_ONLY + 0x80,
	CNB_BUILD_KEY_POST_BUILDPACK,
	CNB_BUILD_KEY_VOLUME,
};

/* -b/--buildpack (comma lists split), --pre-buildpack, --post-buildpack, --volume. */
int cnb_cli_build_buildpack_flag(cnb_cli_build *b, int key, const char *value);

#endif
