/* cnb builder create: make a builder image from pack's builder.toml, no daemon. */
#include "cli.h"
#include "cli-opts.h"
#include <cnb/builder.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"Usage: cnb builder create IMAGE --config builder.toml [--publish | --output oci:DIR[:TAG]] [--platform OS/ARCH]\n"
	"       cnb builder inspect BUILDER [-o human|json]   (see cnb builder inspect --help)\n"
	"\n"
	"Create a builder image from pack's builder.toml: the build image, one layer per buildpack,\n"
	"/cnb/order.toml, run.toml, stack.toml and build-config env, with pack's labels.\n"
	"--publish pushes IMAGE to its registry; --output writes an OCI layout; with neither, the builder\n"
	"goes to the local image store, where `cnb-build --builder IMAGE` finds it.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE          builder.toml (required)\n"
	"      --publish              push IMAGE to its registry\n"
	"      --output DEST          oci:DIR[:TAG]\n"
	"      --platform OS/ARCH     one platform, one of builder.toml's [[targets]] if it has any (default:\n"
	"                             every target, one manifest each under an OCI index; no targets: the host's)\n"
	"      --insecure-registry HOST\n"
	"  -q, --quiet / -v, --verbose\n";

enum { KEY_OUTPUT = CNB_CLI_LONG_ONLY, KEY_PLATFORM, KEY_PUBLISH };

static const cnb_cli_opt create_opts[] = {
	{ "config", 'c', "FILE" },
	{ "output", KEY_OUTPUT, "DEST" },
	{ "platform", KEY_PLATFORM, "OS/ARCH" },
	{ "publish", KEY_PUBLISH, NULL },
	{ NULL, 0, NULL },
};

typedef struct create_args {
	cnb_builder_create_opts opts;
	const char *output;
	bool publish;
} create_args;

static int create_option(int key, const char *v, void *state)
{
	create_args *c = state;
	switch (key) {
	case 'c': c->opts.config_path = v; return 0;
	case KEY_OUTPUT: c->output = v; return 0;
	case KEY_PLATFORM: c->opts.platform = v; return 0;
	case KEY_PUBLISH: c->publish = true; return 0;
	}
	return 0;
}

static int create_builder(char **digest, cnb_ctx *ctx, void *opts, cnb_error **err)
{
	return cnb_builder_create(digest, ctx, opts, err);
}

static int create(int argc, char **argv)
{
	create_args c = { .opts = CNB_BUILDER_CREATE_OPTS_INIT };
	cnb_cli_args pos = { .max = 1 };
	const cnb_cli_parser p = { "builder create", usage_text, create_opts, create_option, &c, false, &pos };
	int r = cnb_cli_parse(&p, argc, argv, NULL);
	if (r != CNB_CLI_PARSED)
		return r;
	cnb_builder_create_opts opts = c.opts;
	const char *image = pos.v[0], *output = c.output;
	bool publish = c.publish;
	if (!image || !opts.config_path) {
		fprintf(stderr, "cnb builder create: IMAGE and --config are required\n\n%s", usage_text);
		return CNB_EXIT_USAGE;
	}
	if (publish && output) {
		fprintf(stderr, "cnb builder create: --publish and --output exclude each other\n");
		return CNB_EXIT_USAGE;
	}
	char *dest = NULL;
	if (publish)
		dest = strncmp(image, "docker://", 9) ? (asprintf(&dest, "docker://%s", image) < 0 ? NULL : dest) : strdup(image);
	else
		dest = output ? strdup(output) : cnb_cli_local_image(image);
	if (!dest)
		return CNB_EXIT_FAILURE;
	opts.destination = dest;
	int rc = cnb_cli_make_image("builder create", create_builder, &opts, dest);
	free(dest);
	return rc;
}

int cnb_cmd_builder(int argc, char **argv)
{
	static const cnb_cli_subcommand subs[] = {
		{ "create", create },
		{ "inspect", cnb_cmd_builder_inspect },
		{ NULL, NULL },
	};
	return cnb_cli_run_subcommand("builder", usage_text, subs, argc, argv);
}
