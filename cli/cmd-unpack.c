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

typedef struct unpack_args {
	cnb_image_unpack_opts opts;
	const char *pos[2];
	int n;
} unpack_args;

static int unpack_option(int key, const char *value, void *state)
{
	unpack_args *u = state;
	switch (key) {
	case KEY_MAPPED: u->opts.metadata = CNB_ROOTFS_METADATA_MAPPED_XATTR; return 0;
	case KEY_REAL: u->opts.metadata = CNB_ROOTFS_METADATA_REAL; return 0;
	case KEY_PLATFORM: u->opts.platform = value; return 0;
	default:
		if (u->n < 2) {
			u->pos[u->n++] = value;
			return 0;
		}
		fputs(unpack_usage, stderr);
		return CNB_EXIT_USAGE;
	}
}

int cnb_cmd_unpack(int argc, char **argv)
{
	unpack_args u = { .opts = CNB_IMAGE_UNPACK_OPTS_INIT };
	const cnb_cli_parser p = { "unpack", unpack_usage, unpack_opts, unpack_option, &u, false };
	int r = cnb_cli_parse(&p, argc, argv, NULL);
	if (r != CNB_CLI_PARSED)
		return r;
	if (u.n != 2) {
		fputs(unpack_usage, stderr);
		return CNB_EXIT_USAGE;
	}
	cnb_image_unpack_opts opts = u.opts;
	const char *pos[2] = { u.pos[0], u.pos[1] };
	cnb_ctx *ctx;
	int rc = cnb_cli_ctx(&ctx);
	if (rc)
		return rc;
	cnb_error *err = NULL;
	rc = cnb_image_unpack(ctx, pos[0], pos[1], &opts, &err) < 0 ? cnb_cli_fail("unpack", err) : CNB_EXIT_OK;
	cnb_ctx_free(ctx);
	return rc;
}
