/* cnb buildpack package: make a buildpackage (.cnb file or image) from pack's package.toml. */
#include "cli.h"
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
	"      --platform OS/ARCH     platform of the package (default: linux/amd64)\n"
	"      --insecure-registry HOST\n"
	"  -q, --quiet / -v, --verbose\n";

typedef struct package_args {
	cnb_buildpack_package_opts opts;
	const char *out;
	bool publish;
} package_args;

/* 0, or the exit code for a usage error (already reported). */
static int parse_args(package_args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int common = cnb_cli_common_flag(argc, argv, &i);
		if (common < 0)
			return CNB_EXIT_USAGE;
		if (common > 0)
			continue;
		const char *const with_value[] = { "-c", "--config", "-f", "--format", "--platform" };
		for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
			if (!strcmp(arg, with_value[k]) && i + 1 >= argc) {
				fprintf(stderr, "cnb buildpack package: %s needs a value\n", arg);
				return CNB_EXIT_USAGE;
			}
		if (!strcmp(arg, "-c") || !strcmp(arg, "--config")) {
			a->opts.config_path = argv[++i];
		} else if (!strcmp(arg, "-f") || !strcmp(arg, "--format")) {
			const char *f = argv[++i];
			if (strcmp(f, "image") && strcmp(f, "file")) {
				fprintf(stderr, "cnb buildpack package: --format is image or file, not '%s'\n", f);
				return CNB_EXIT_USAGE;
			}
			a->opts.format = !strcmp(f, "file") ? CNB_BUILDPACK_PACKAGE_FILE : CNB_BUILDPACK_PACKAGE_IMAGE;
		} else if (!strcmp(arg, "--platform")) {
			a->opts.platform = argv[++i];
		} else if (!strcmp(arg, "--publish")) {
			a->publish = true;
		} else if (arg[0] == '-') {
			fprintf(stderr, "cnb buildpack package: unknown option %s\n\n%s", arg, usage_text);
			return CNB_EXIT_USAGE;
		} else if (a->out) {
			fprintf(stderr, "cnb buildpack package: one OUT only\n");
			return CNB_EXIT_USAGE;
		} else {
			a->out = arg;
		}
	}
	if (!a->out || !a->opts.config_path) {
		fprintf(stderr, "cnb buildpack package: OUT and --config are required\n\n%s", usage_text);
		return CNB_EXIT_USAGE;
	}
	if (a->publish && a->opts.format == CNB_BUILDPACK_PACKAGE_FILE) {
		fprintf(stderr, "cnb buildpack package: --publish is for --format image\n");
		return CNB_EXIT_USAGE;
	}
	return 0;
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

/* Prints "DEST@DIGEST" on success, like `cnb builder create`. */
static int run_package(cnb_ctx *ctx, const cnb_buildpack_package_opts *opts)
{
	cnb_error *err = NULL;
	char *digest = NULL;
	if (cnb_buildpack_package(&digest, ctx, opts, &err) < 0)
		return cnb_cli_fail("buildpack package", err);
	printf("%s@%s\n", opts->destination, digest);
	cnb_free(digest);
	return CNB_EXIT_OK;
}

static int package(int argc, char **argv)
{
	package_args a = { .opts = CNB_BUILDPACK_PACKAGE_OPTS_INIT };
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return CNB_EXIT_OK;
		}
	int rc = parse_args(&a, argc, argv);
	char *dest = rc ? NULL : destination(&a);
	cnb_ctx *ctx = NULL;
	if (!rc && !dest)
		rc = CNB_EXIT_FAILURE;
	if (!rc)
		rc = cnb_cli_ctx(&ctx);
	if (!rc) {
		a.opts.destination = dest;
		rc = run_package(ctx, &a.opts);
	}
	cnb_ctx_free(ctx);
	free(dest);
	return rc;
}

int cnb_cmd_buildpack(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	if (sub && !strcmp(sub, "package"))
		return package(argc - 1, argv + 1);
	bool help = sub && (!strcmp(sub, "--help") || !strcmp(sub, "-h"));
	if (sub && !help)
		fprintf(stderr, "cnb buildpack: unknown subcommand '%s' (try: cnb buildpack package --help)\n", sub);
	else
		fputs(usage_text, help ? stdout : stderr);
	return help ? CNB_EXIT_OK : CNB_EXIT_USAGE;
}
