/* cnb rebase IMAGE: put an app image on a new run image by rewriting its manifest (no build, no VM). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char rebase_usage[] =
	"Usage: cnb rebase [OPTIONS] IMAGE\n"
	"\n"
	"Replace the run-image layers of IMAGE (an app image built with buildpacks: docker://REF, REF or\n"
	"oci:DIR[:TAG]) with those of a new run image, and write the result back to IMAGE. Only the config and\n"
	"manifest are uploaded: the app layers keep their digests, the run image's layers are mounted.\n"
	"Prints the new manifest digest.\n"
	"\n"
	"Options:\n"
	"      --run-image REF          the new run image (default: the image's runImage.image, or its mirror\n"
	"                               on IMAGE's registry)\n"
	"      --previous-image REF     read the app image from REF instead of IMAGE\n"
	"      --force                  rebase even when the image is not rebasable, the run image is for another\n"
	"                               os/architecture or is not the image's run image or one of its mirrors\n"
	"      --insecure-registry HOST allow plain HTTP to HOST (loopback always is)\n"
	"  -q, --quiet / -v, --verbose\n";

int cnb_cmd_rebase(int argc, char **argv)
{
	cnb_image_rebase_opts opts = CNB_IMAGE_REBASE_OPTS_INIT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int std = cnb_cli_standard_flag(argc, argv, &i, rebase_usage);
		if (std == CNB_CLI_TAKEN)
			continue;
		if (std != CNB_CLI_NEXT)
			return std;
		if (!strcmp(a, "--run-image") && i + 1 < argc) {
			opts.run_image = argv[++i];
		} else if (!strcmp(a, "--previous-image") && i + 1 < argc) {
			opts.previous_image = argv[++i];
		} else if (!strcmp(a, "--force")) {
			opts.force = 1;
		} else if (a[0] == '-' || opts.image) {
			fprintf(stderr, "cnb rebase: unexpected argument %s\n\n%s", a, rebase_usage);
			return CNB_EXIT_USAGE;
		} else {
			opts.image = a;
		}
	}
	if (!opts.image) {
		fprintf(stderr, "cnb rebase: IMAGE is required\n\n%s", rebase_usage);
		return CNB_EXIT_USAGE;
	}
	cnb_ctx *ctx = NULL;
	int rc = cnb_cli_ctx(&ctx);
	if (rc != 0)
		return rc;
	cnb_error *err = NULL;
	char *digest = NULL;
	if (cnb_image_rebase(&digest, ctx, &opts, &err) < 0) {
		cnb_ctx_free(ctx);
		return cnb_cli_fail("rebase", err);
	}
	printf("%s\n", digest);
	cnb_free(digest);
	cnb_ctx_free(ctx);
	return CNB_EXIT_OK;
}
