/* cnb sbom download IMAGE: the launch SBOMs of an app image, laid out as pack sbom download does. */
#include "cli.h"
#include "cli-image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"Usage: cnb sbom download IMAGE [--output-dir DIR] [--remote]\n"
	"\n"
	"Write the launch SBOM files of an app image built by buildpacks under DIR, as pack sbom download\n"
	"does: DIR/layers/sbom/launch/<buildpack>/[<layer>/]sbom.<cdx|spdx|syft>.json. Only the SBOM layer is\n"
	"downloaded. A bare IMAGE is looked up in the local image store first, then in its registry.\n"
	"\n"
	"Options:\n"
	"  -o, --output-dir DIR       where to write (default: the current directory)\n"
	"      --remote               read IMAGE from its registry, not the local image store\n"
	"      --insecure-registry HOST\n"
	"  -q, --quiet / -v, --verbose\n";

static int download(int argc, char **argv)
{
	const char *image = NULL, *dir = ".";
	bool remote = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int std = cnb_cli_standard_flag(argc, argv, &i, usage_text);
		if (std == CNB_CLI_TAKEN)
			continue;
		if (std != CNB_CLI_NEXT)
			return std;
		if (!strcmp(a, "-o") || !strcmp(a, "--output-dir")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "cnb sbom download: %s needs a value\n", a);
				return CNB_EXIT_USAGE;
			}
			dir = argv[++i];
		} else if (!strncmp(a, "--output-dir=", 13)) {
			dir = a + 13;
		} else if (!strcmp(a, "--remote")) {
			remote = true;
		} else if (a[0] == '-' || image) {
			fprintf(stderr, "cnb sbom download: unexpected argument %s\n\n%s", a, usage_text);
			return CNB_EXIT_USAGE;
		} else {
			image = a;
		}
	}
	if (!image) {
		fprintf(stderr, "cnb sbom download: IMAGE is required\n\n%s", usage_text);
		return CNB_EXIT_USAGE;
	}
	cnb_ctx *ctx = NULL;
	int rc = cnb_cli_ctx(&ctx);
	if (rc != 0)
		return rc;
	char *location = remote ? strdup(image) : cnb_cli_resolve_image(ctx, image, NULL);
	cnb_error *err = NULL;
	if (!location)
		rc = CNB_EXIT_FAILURE;
	else if (cnb_image_sbom_download(ctx, location, dir, &err) < 0)
		rc = cnb_cli_fail("sbom download", err);
	else
		fprintf(stderr, "SBOM of %s written to %s/layers/sbom\n", location, dir);
	free(location);
	cnb_ctx_free(ctx);
	return rc;
}

int cnb_cmd_sbom(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CNB_EXIT_USAGE : CNB_EXIT_OK;
	}
	if (!strcmp(argv[1], "download"))
		return download(argc - 1, argv + 1);
	fprintf(stderr, "cnb sbom: unknown subcommand '%s' (try: cnb sbom download --help)\n", argv[1]);
	return CNB_EXIT_USAGE;
}
