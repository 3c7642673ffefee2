/* cnb unpack IMAGE DIR: an image's layers applied into a directory (like `umoci unpack`'s rootfs). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "Usage: cnb unpack [--mapped-xattr|--real] [--platform OS/ARCH] IMAGE DIR\n\n"
		   "IMAGE is docker://REF or oci:DIR[:TAG]. DIR must not exist or be empty.\n"
		   "  --mapped-xattr  ownership and modes as QEMU 9p mapped-xattr user.virtfs.* xattrs\n"
		   "                  (default when not root)\n"
		   "  --real          real owners, modes and device nodes (default as root)\n");
}

int cnb_cmd_unpack(int argc, char **argv)
{
	cnb_image_unpack_opts opts = CNB_IMAGE_UNPACK_OPTS_INIT;
	const char *pos[2];
	int n = 0;
	for (int i = 1; i < argc; i++) {
		int c = cnb_cli_common_flag(argc, argv, &i);
		if (c < 0)
			return CNB_EXIT_USAGE;
		if (c)
			continue;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return CNB_EXIT_OK;
		} else if (!strcmp(argv[i], "--mapped-xattr"))
			opts.metadata = CNB_ROOTFS_METADATA_MAPPED_XATTR;
		else if (!strcmp(argv[i], "--real"))
			opts.metadata = CNB_ROOTFS_METADATA_REAL;
		else if (!strcmp(argv[i], "--platform") && i + 1 < argc)
			opts.platform = argv[++i];
		else if (argv[i][0] != '-' && n < 2)
			pos[n++] = argv[i];
		else {
			usage(stderr);
			return CNB_EXIT_USAGE;
		}
	}
	if (n != 2) {
		usage(stderr);
		return CNB_EXIT_USAGE;
	}
	cnb_ctx *ctx;
	int rc = cnb_cli_ctx(&ctx);
	if (rc)
		return rc;
	cnb_error *err = NULL;
	rc = cnb_image_unpack(ctx, pos[0], pos[1], &opts, &err) < 0 ? cnb_cli_fail("unpack", err) : CNB_EXIT_OK;
	cnb_ctx_free(ctx);
	return rc;
}
