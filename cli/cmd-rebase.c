/* cnb rebase IMAGE: put an app image on a new run image by rewriting its manifest (no build, no VM). */
#include "cli.h"
#include "cli-opts.h"

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

enum { KEY_RUN_IMAGE = CNB_CLI_LONG_ONLY, KEY_PREVIOUS_IMAGE, KEY_FORCE };

static const cnb_cli_opt rebase_opts[] = {
	{ "run-image", KEY_RUN_IMAGE, "REF" },
	{ "previous-image", KEY_PREVIOUS_IMAGE, "REF" },
	{ "force", KEY_FORCE, NULL },
	{ NULL, 0, NULL },
};

static int rebase_option(int key, const char *value, void *state)
{
	cnb_image_rebase_opts *o = state;
	switch (key) {
	case KEY_RUN_IMAGE: o->run_image = value; return 0;
	case KEY_PREVIOUS_IMAGE: o->previous_image = value; return 0;
	case KEY_FORCE: o->force = 1; return 0;
	}
	return 0;
}

static int rebase_image(char **digest, cnb_ctx *ctx, void *args, cnb_error **err)
{
	return cnb_image_rebase(digest, ctx, args, err);
}

int cnb_cmd_rebase(int argc, char **argv)
{
	cnb_image_rebase_opts opts = CNB_IMAGE_REBASE_OPTS_INIT;
	cnb_cli_args image = { .max = 1 };
	const cnb_cli_parser p = { "rebase", rebase_usage, rebase_opts, rebase_option, &opts, false, &image };
	int r = cnb_cli_parse(&p, argc, argv, NULL);
	if (r != CNB_CLI_PARSED)
		return r;
	if (!(opts.image = image.v[0])) {
		fprintf(stderr, "cnb rebase: IMAGE is required\n\n%s", rebase_usage);
		return CNB_EXIT_USAGE;
	}
	return cnb_cli_make_image("rebase", rebase_image, &opts, NULL);
}
