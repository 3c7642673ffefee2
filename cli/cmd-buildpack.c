/* cnb buildpack package: make a buildpackage (.cnb file or image) from pack's package.toml. */
#include "cli.h"
#include "cli-opts.h"
#include <cnb/buildpack.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"Usage: cnb buildpack package OUT --config package.toml [--format image|file] [--publish] [--platform OS/ARCH]\n"
	"\n"
	"Package a buildpack and its dependencies as a buildpackage: one layer per buildpack, with pack's\n"
	"io.buildpacks.buildpack.layers and io.buildpacks.buildpackage.metadata labels. Builders list it in\n"
	"builder.toml as [[buildpacks]] uri = \"OUT\" and share its layers.\n"
	"--format file writes OUT as a .cnb file (an OCI image layout in a tar). --format image (the default)\n"
	"makes OUT an image: --publish pushes it to its registry, else it goes to the local image store.\n"
	"The same inputs give the same digest.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE          package.toml (required)\n"
	"  -f, --format image|file    what OUT is (default: image)\n"
	"      --publish              push the image OUT to its registry\n"
	"      --platform OS/ARCH     platform of the package (default: the host's)\n"
	"      --insecure-registry HOST\n"
	"  -q, --quiet / -v, --verbose\n";

typedef struct package_args {
	cnb_buildpack_package_opts opts;
	cnb_cli_args pos; /* OUT */
	const char *out;
	bool publish;
} package_args;

enum { KEY_PLATFORM = CNB_CLI_LONG_ONLY, KEY_PUBLISH };

static const cnb_cli_opt package_opts[] = {
	{ "config", 'c', "FILE" },
	{ "format", 'f', "image|file" },
	{ "platform", KEY_PLATFORM, "OS/ARCH" },
	{ "publish", KEY_PUBLISH, NULL },
	{ NULL, 0, NULL },
};

static int package_option(int key, const char *v, void *state)
{
	package_args *a = state;
	switch (key) {
	case 'c': a->opts.config_path = v; return 0;
	case 'f':
		if (strcmp(v, "image") && strcmp(v, "file")) {
			fprintf(stderr, "cnb buildpack package: --format is image or file, not '%s'\n", v);
			return CNB_EXIT_USAGE;
		}
		a->opts.format = !strcmp(v, "file") ? CNB_BUILDPACK_PACKAGE_FILE : CNB_BUILDPACK_PACKAGE_IMAGE;
		return 0;
	case KEY_PLATFORM: a->opts.platform = v; return 0;
	case KEY_PUBLISH: a->publish = true; return 0;
	}
	return 0;
}

/* CNB_CLI_PARSED, or the exit code to return (after --help, or a usage error already reported). */
static int parse_args(package_args *a, int argc, char **argv)
{
	const cnb_cli_parser p = { "buildpack package", usage_text, package_opts, package_option, a, false, &a->pos };
	int r = cnb_cli_parse(&p, argc, argv, NULL);
	if (r != CNB_CLI_PARSED)
		return r;
	if (!(a->out = a->pos.v[0]) || !a->opts.config_path) {
		fprintf(stderr, "cnb buildpack package: OUT and --config are required\n\n%s", usage_text);
		return CNB_EXIT_USAGE;
	}
	if (a->publish && a->opts.format == CNB_BUILDPACK_PACKAGE_FILE) {
		fprintf(stderr, "cnb buildpack package: --publish is for --format image\n");
		return CNB_EXIT_USAGE;
	}
	return CNB_CLI_PARSED;
}

/* Where OUT goes: the file itself, the registry (--publish) or the local image store. */
static char *destination(const package_args *a)
{
	if (a->opts.format == CNB_BUILDPACK_PACKAGE_FILE || !strncmp(a->out, "oci:", 4))
		return strdup(a->out);
	if (!a->publish)
		return cnb_cli_local_image(a->out);
	char *dest = NULL;
	if (!strncmp(a->out, "docker://", 9))
		return strdup(a->out);
	return asprintf(&dest, "docker://%s", a->out) < 0 ? NULL : dest;
}

static int make_package(char **digest, cnb_ctx *ctx, void *opts, cnb_error **err)
{
	return cnb_buildpack_package(digest, ctx, opts, err);
}

/* Prints "DEST@DIGEST" on success, like `cnb builder create`. */
static int package(int argc, char **argv)
{
	package_args a = { .opts = CNB_BUILDPACK_PACKAGE_OPTS_INIT, .pos = { .max = 1 } };
	int rc = parse_args(&a, argc, argv);
	if (rc != CNB_CLI_PARSED)
		return rc;
	char *dest = destination(&a);
	if (!dest)
		return CNB_EXIT_FAILURE;
	a.opts.destination = dest;
	rc = cnb_cli_make_image("buildpack package", make_package, &a.opts, dest);
	free(dest);
	return rc;
}

int cnb_cmd_buildpack(int argc, char **argv)
{
	static const cnb_cli_subcommand subs[] = { { "package", package }, { NULL, NULL } };
	return cnb_cli_run_subcommand("buildpack", usage_text, subs, argc, argv);
}
