/* cnb copy SRC DST: copy an image between registries and OCI layouts, keeping its digest. */
#include "cli.h"
#include "cli-opts.h"

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

static const cnb_cli_opt copy_opts[] = {
	{ "platform", CNB_CLI_LONG_ONLY, "OS/ARCH[/VARIANT]" },
	{ NULL, 0, NULL },
};

typedef struct copy_args {
	cnb_image_copy_opts opts;
	cnb_cli_args pos; /* SRC DST */
} copy_args;

static int copy_option(int key, const char *value, void *state)
{
	cnb_image_copy_opts *opts = state;
	opts->platform = value; /* the only option: --platform */
	return 0;
}

static int copy_image(char **digest, cnb_ctx *ctx, void *args, cnb_error **err)
{
	copy_args *c = args;
	return cnb_image_copy(digest, ctx, c->pos.v[0], c->pos.v[1], &c->opts, err);
}

int cnb_cmd_copy(int argc, char **argv)
{
	copy_args c = { .opts = CNB_IMAGE_COPY_OPTS_INIT, .pos = { .max = 2 } };
	const cnb_cli_parser p = { "copy", copy_usage, copy_opts, copy_option, &c.opts, false, &c.pos };
	int r = cnb_cli_parse(&p, argc, argv, NULL);
	if (r != CNB_CLI_PARSED)
		return r;
	if (c.pos.n != 2) {
		fprintf(stderr, "cnb copy: SRC and DST are required\n\n%s", copy_usage);
		return CNB_EXIT_USAGE;
	}
	return cnb_cli_make_image("copy", copy_image, &c, NULL);
}
