/* cnb copy SRC DST: copy an image between registries and OCI layouts, keeping its digest. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char copy_usage[] =
	"Usage: cnb copy [OPTIONS] SRC DST\n"
	"\n"
	"Copy one image between registries and OCI layouts. SRC and DST are docker://REF, oci:DIR[:TAG]\n"
	"or a bare REF (= docker://REF). The manifest is copied byte for byte: the digest stays the same.\n"
	"Prints the manifest digest.\n"
	"\n"
	"Options:\n"
	"      --platform OS/ARCH[/VARIANT]  image to take from a multi-platform index (default: this host's)\n"
	"      --insecure-registry HOST      allow plain HTTP to HOST (loopback always is)\n"
	"  -q, --quiet / -v, --verbose\n";

int cnb_cmd_copy(int argc, char **argv)
{
	cnb_image_copy_opts opts = CNB_IMAGE_COPY_OPTS_INIT;
	const char *args[2];
	int n = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int std = cnb_cli_standard_flag(argc, argv, &i, copy_usage);
		if (std == CNB_CLI_TAKEN)
			continue;
		if (std != CNB_CLI_NEXT)
			return std;
		if (!strcmp(a, "--platform") && i + 1 < argc) {
			opts.platform = argv[++i];
		} else if (a[0] == '-' || n == 2) {
			fprintf(stderr, "cnb copy: unexpected argument %s\n\n%s", a, copy_usage);
			return CNB_EXIT_USAGE;
		} else {
			args[n++] = a;
		}
	}
	if (n != 2) {
		fprintf(stderr, "cnb copy: SRC and DST are required\n\n%s", copy_usage);
		return CNB_EXIT_USAGE;
	}
	cnb_ctx *ctx = NULL;
	int rc = cnb_cli_ctx(&ctx);
	if (rc != 0)
		return rc;
	cnb_error *err = NULL;
	char *digest = NULL;
	if (cnb_image_copy(&digest, ctx, args[0], args[1], &opts, &err) < 0) {
		cnb_ctx_free(ctx);
		return cnb_cli_fail("copy", err);
	}
	printf("%s\n", digest);
	cnb_free(digest);
	cnb_ctx_free(ctx);
	return CNB_EXIT_OK;
}
