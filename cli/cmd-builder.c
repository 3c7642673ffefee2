/* cnb builder create: make a builder image from pack's builder.toml, no daemon. */
#include "cli.h"
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
	"      --platform OS/ARCH     platform of the build image (default: linux/amd64)\n"
	"      --insecure-registry HOST\n"
	"  -q, --quiet / -v, --verbose\n";

static int create(int argc, char **argv)
{
	cnb_builder_create_opts opts = CNB_BUILDER_CREATE_OPTS_INIT;
	const char *image = NULL, *output = NULL;
	bool publish = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int std = cnb_cli_standard_flag(argc, argv, &i, usage_text);
		if (std == CNB_CLI_TAKEN)
			continue;
		if (std != CNB_CLI_NEXT)
			return std;
		bool takes_value = !strcmp(a, "-c") || !strcmp(a, "--config") || !strcmp(a, "--output") ||
				   !strcmp(a, "--platform");
		if (takes_value && i + 1 >= argc) {
			fprintf(stderr, "cnb builder create: %s needs a value\n", a);
			return CNB_EXIT_USAGE;
		}
		if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			opts.config_path = argv[++i];
		} else if (!strcmp(a, "--output")) {
			output = argv[++i];
		} else if (!strcmp(a, "--platform")) {
			opts.platform = argv[++i];
		} else if (!strcmp(a, "--publish")) {
			publish = true;
		} else if (a[0] == '-') {
			fprintf(stderr, "cnb builder create: unknown option %s\n\n%s", a, usage_text);
			return CNB_EXIT_USAGE;
		} else if (!image) {
			image = a;
		} else {
			fprintf(stderr, "cnb builder create: one IMAGE only\n");
			return CNB_EXIT_USAGE;
		}
	}
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
	cnb_ctx *ctx = NULL;
	int rc = cnb_cli_ctx(&ctx);
	if (rc) {
		free(dest);
		return rc;
	}
	cnb_error *err = NULL;
	char *digest = NULL;
	if (cnb_builder_create(&digest, ctx, &opts, &err) < 0)
		rc = cnb_cli_fail("builder create", err);
	else
		printf("%s@%s\n", dest, digest);
	cnb_free(digest);
	cnb_ctx_free(ctx);
	free(dest);
	return rc;
}

int cnb_cmd_builder(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CNB_EXIT_USAGE : CNB_EXIT_OK;
	}
	if (!strcmp(argv[1], "create"))
		return create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inspect"))
		return cnb_cmd_builder_inspect(argc - 1, argv + 1);
	fprintf(stderr, "cnb builder: unknown subcommand '%s' (try: cnb builder create --help, cnb builder inspect --help)\n",
		argv[1]);
	return CNB_EXIT_USAGE;
}
