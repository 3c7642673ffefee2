/* cnb unpack IMAGE DIR: an image's layers applied into a directory (like `umoci unpack`'s rootfs). */
#include "cli.h"
#include "cli-opts.h"

#include <stdio.h>
#include <string.h>

static const char unpack_usage[] =
	"Usage: cnb unpack [--mapped-xattr|--real] [--platform OS/ARCH] IMAGE DIR\n\n"
	"IMAGE is docker://REF or oci:DIR[:TAG]. DIR must not exist or be empty.\n"
	"  --mapped-xattr  ownership and modes as QEMU 9p mapped-xattr user.virtfs.* xattrs\n"
	"                  (default when not root)\n"
	"  --real          real owners, modes and device nodes (default as root)\n";

enum { KEY_MAPPED = CNB_CLI_LONG_ONLY, KEY_REAL, KEY_PLATFORM };

static const cnb_cli_opt unpack_opts[] = {
	{ "mapped-xattr", KEY_MAPPED, NULL },
	{ "real", KEY_REAL, NULL },
	{ "platform", KEY_PLATFORM, "OS/ARCH" },
	{ NULL, 0, NULL },
};

static int unpack_option(int key, const char *value, void *state)
{
	cnb_image_unpack_opts *opts = state;
	switch (key) {
	case KEY_MAPPED: opts->metadata = CNB_ROOTFS_METADATA_MAPPED_XATTR; return 0;
	case KEY_REAL: opts->metadata = CNB_ROOTFS_METADATA_REAL; return 0;
	case KEY_PLATFORM: opts->platform = value; return 0;
	}
	return 0;
}

int cnb_cmd_unpack(int argc, char **argv)
{
	cnb_image_unpack_opts opts = CNB_IMAGE_UNPACK_OPTS_INIT;
	cnb_cli_args pos = { .max = 2 };
	const cnb_cli_parser p = { "unpack", unpack_usage, unpack_opts, unpack_option, &opts, false, &pos };
	int r = cnb_cli_parse(&p, argc, argv, NULL);
	if (r != CNB_CLI_PARSED)
		return r;
	if (pos.n != 2) {
		fputs(unpack_usage, stderr);
		return CNB_EXIT_USAGE;
	}
	cnb_ctx *ctx;
	int rc = cnb_cli_ctx(&ctx);
	if (rc)
		return rc;
	cnb_error *err = NULL;
	rc = cnb_image_unpack(ctx, pos.v[0], pos.v[1], &opts, &err) < 0 ? cnb_cli_fail("unpack", err) : CNB_EXIT_OK;
	cnb_ctx_free(ctx);
	return rc;
}
