/* cnb inspect REF: print an image's digest, platform, config and layers as JSON, without pulling layers. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char inspect_usage[] =
	"Usage: cnb inspect [OPTIONS] IMAGE\n"
	"\n"
	"Print an image as JSON: name, digest, mediaType, platform, configDigest, config, layers,\n"
	"annotations. IMAGE is docker://REF, oci:DIR[:TAG] or a bare REF. Layers are not downloaded.\n"
	"\n"
	"Options:\n"
	"      --platform OS/ARCH[/VARIANT]  image to describe from a multi-platform index (default: this host's)\n"
	"      --insecure-registry HOST\n"
	"  -q, --quiet / -v, --verbose\n";

int cnb_cmd_inspect(int argc, char **argv)
{
	cnb_image_inspect_opts opts = CNB_IMAGE_INSPECT_OPTS_INIT;
	const char *image = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int std = cnb_cli_standard_flag(argc, argv, &i, inspect_usage);
		if (std == CNB_CLI_TAKEN)
			continue;
		if (std != CNB_CLI_NEXT)
			return std;
		if (!strcmp(a, "--platform") && i + 1 < argc) {
			opts.platform = argv[++i];
		} else if (a[0] == '-' || image) {
			fprintf(stderr, "cnb inspect: unexpected argument %s\n\n%s", a, inspect_usage);
			return CNB_EXIT_USAGE;
		} else {
			image = a;
		}
	}
	if (!image) {
		fprintf(stderr, "cnb inspect: IMAGE is required\n\n%s", inspect_usage);
		return CNB_EXIT_USAGE;
	}
	cnb_ctx *ctx = NULL;
	int rc = cnb_cli_ctx(&ctx);
	if (rc != 0)
		return rc;
	cnb_error *err = NULL;
	char *json = NULL;
	if (cnb_image_inspect(&json, ctx, image, &opts, &err) < 0) {
		cnb_ctx_free(ctx);
		return cnb_cli_fail("inspect", err);
	}
	printf("%s\n", json);
	cnb_free(json);
	cnb_ctx_free(ctx);
	return CNB_EXIT_OK;
}
