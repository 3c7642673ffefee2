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

typedef struct download_opts {
	const char *dir;
	bool remote;
} download_opts;

static int download_flag(int argc, char **argv, int *i, void *userdata)
{
	download_opts *o = userdata;
	const char *a = argv[*i];
	if (!strcmp(a, "--remote")) {
		o->remote = true;
	} else if (!strncmp(a, "--output-dir=", 13)) {
		o->dir = a + 13;
	} else if (!strcmp(a, "-o") || !strcmp(a, "--output-dir")) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "cnb sbom download: %s needs a value\n", a);
			return -1;
		}
		o->dir = argv[++*i];
	} else {
		return 0;
	}
	return 1;
}

static int download(int argc, char **argv)
{
	download_opts o = { .dir = "." };
	const cnb_cli_image_cmd cmd = { "sbom download", usage_text, "IMAGE", NULL, download_flag, &o, &o.remote };
	cnb_cli_image_run run;
	int rc = cnb_cli_image_start(&cmd, argc, argv, &run);
	if (rc >= 0)
		return rc;
	rc = CNB_EXIT_OK;
	cnb_error *err = NULL;
	if (cnb_image_sbom_download(run.ctx, run.location, o.dir, &err) < 0)
		rc = cnb_cli_fail("sbom download", err);
	else
		fprintf(stderr, "SBOM of %s written to %s/layers/sbom\n", run.location, o.dir);
	return cnb_cli_image_end(&run, rc);
}

int cnb_cmd_sbom(int argc, char **argv)
{
	static const cnb_cli_subcommand subs[] = { { "download", download }, { NULL, NULL } };
	return cnb_cli_run_subcommand("sbom", usage_text, subs, argc, argv);
}
