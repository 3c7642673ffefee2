/* cnb: the command-line front end of libcnb. Every command lives in its own cmd-*.c file. */
#include "cli.h"

#include <libgen.h>
#include <stdio.h>
#include <string.h>

static const cnb_cli_command commands[] = {
	{ "copy", "copy an image between registries and OCI layouts (digest kept)", cnb_cmd_copy },
	{ "inspect", "show an app image's run image, buildpacks and processes (as pack inspect)", cnb_cmd_inspect },
	{ "sbom", "download an app image's launch SBOMs (sbom download IMAGE)", cnb_cmd_sbom },
	{ "image", "list or remove images in the local image store (image ls|rm)", cnb_cmd_image },
	{ "images", "list the local image store (the same as image ls)", cnb_cmd_image },
	{ "rebase", "put an app image on a new run image (manifest surgery, no rebuild)", cnb_cmd_rebase },
	{ "build", "build an app image from source (also installed as cnb-build)", cnb_cmd_build },
	{ "run", "run an image's process in a throw-away VM (the daemonless docker run)", cnb_cmd_run },
	{ "builder", "create or inspect builder images (builder create|inspect)", cnb_cmd_builder },
	{ "buildpack", "package buildpacks as .cnb files or images (buildpack package)", cnb_cmd_buildpack },
	{ "unpack", "unpack an image's layers into a directory (IMAGE DIR)", cnb_cmd_unpack },
	{ "cache", "list, prune or fill the rootfs tree cache (ls, prune, add)", cnb_cmd_cache },
	{ "config", "defaults: default builder, registry mirrors (config.toml)", cnb_cmd_config },
	{ "vm", "run a command in the build VM over a rootfs (vm run --rootfs DIR -- CMD)", cnb_cmd_vm },
	{ "version", "print the version of cnb and libcnb", cnb_cmd_version },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: cnb COMMAND [OPTIONS]\n\nBuild OCI images from source with Cloud Native Buildpacks, no daemon.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'cnb COMMAND --help' for the options of a command. Exit codes: docs/cli.md.\n");
}

static const cnb_cli_command *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	/* Installed as cnb-build too: the same program, running `cnb build`. */
	if (!strcmp(basename(argv[0]), "cnb-build")) {
		const cnb_cli_command *build = find("build");
		if (!build) {
			fprintf(stderr, "cnb-build: this build of cnb has no build command\n");
			return CNB_EXIT_FAILURE;
		}
		argv[0] = (char *)"build";
		return build->run(argc, argv);
	}
	if (argc < 2) {
		usage(stderr);
		return CNB_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CNB_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		return cnb_cmd_version(1, argv + 1);
	const cnb_cli_command *cmd = find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "cnb: unknown command '%s'. Run 'cnb --help' for the list.\n", argv[1]);
		return CNB_EXIT_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
