/* cnb cache ls | prune | add: the cache of flattened builder trees. */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
	fprintf(f, "Usage: cnb cache ls\n"
		   "       cnb cache prune [--all | --older-than DAYS]   (default: 30 days)\n"
		   "       cnb cache add [--mapped-xattr|--real] IMAGE    (assembles the tree, prints its path)\n");
}

static int cache_ls(cnb_ctx *ctx)
{
	cnb_rootfs_cache_entry *entries;
	uint32_t n;
	cnb_error *err = NULL;
	if (cnb_rootfs_cache_list(&entries, &n, ctx, &err) < 0)
		return cnb_cli_fail("cache ls", err);
	printf("%-24s %-7s %10s  %-20s %s\n", "CHAIN ID", "FORM", "SIZE", "LAST USED (UTC)", "PATH");
	for (uint32_t i = 0; i < n; i++) {
		char when[32] = "-";
		time_t t = (time_t)entries[i].last_used;
		struct tm tm;
		if (t && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("%-24.19s %-7s %8.1fMB  %-20s %s\n", entries[i].id,
		       entries[i].metadata == CNB_ROOTFS_METADATA_MAPPED_XATTR ? "mapped" : "real", entries[i].size / 1e6,
		       when, entries[i].path);
	}
	cnb_rootfs_cache_list_free(entries, n);
	return CNB_EXIT_OK;
}

static int cache_prune(cnb_ctx *ctx, int argc, char **argv)
{
	cnb_rootfs_cache_prune_opts opts = CNB_ROOTFS_CACHE_PRUNE_OPTS_INIT;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			opts.all = 1;
		else if (!strcmp(argv[i], "--older-than") && i + 1 < argc) {
			char *end;
			double days = strtod(argv[++i], &end);
			/* the API takes seconds as uint32_t: 49710 days */
			if (*end || end == argv[i] || !(days >= 0 && days * 86400 <= UINT32_MAX)) { /* also NaN */
				fprintf(stderr, "cnb cache prune: --older-than takes a number of days from 0 to 49710, not '%s'\n",
					argv[i]);
				return CNB_EXIT_USAGE;
			}
			opts.older_than_s = (uint32_t)(days * 86400);
		} else {
			usage(stderr);
			return CNB_EXIT_USAGE;
		}
	}
	uint64_t freed = 0;
	uint32_t removed = 0;
	cnb_error *err = NULL;
	if (cnb_rootfs_cache_prune(&freed, &removed, ctx, &opts, &err) < 0)
		return cnb_cli_fail("cache prune", err);
	printf("removed %" PRIu32 " trees, %.1f MB freed\n", removed, freed / 1e6);
	return CNB_EXIT_OK;
}

static int cache_add(cnb_ctx *ctx, int argc, char **argv)
{
	cnb_rootfs_cache_get_opts opts = CNB_ROOTFS_CACHE_GET_OPTS_INIT;
	const char *image = NULL;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--mapped-xattr"))
			opts.metadata = CNB_ROOTFS_METADATA_MAPPED_XATTR;
		else if (!strcmp(argv[i], "--real"))
			opts.metadata = CNB_ROOTFS_METADATA_REAL;
		else if (argv[i][0] != '-' && !image)
			image = argv[i];
		else
			image = NULL, i = argc;
	}
	if (!image) {
		usage(stderr);
		return CNB_EXIT_USAGE;
	}
	char *path = NULL;
	cnb_error *err = NULL;
	if (cnb_rootfs_cache_get(&path, ctx, image, &opts, &err) < 0)
		return cnb_cli_fail("cache add", err);
	printf("%s\n", path);
	cnb_free(path);
	return CNB_EXIT_OK;
}

int cnb_cmd_cache(int argc, char **argv)
{
	/* Common flags may come anywhere; the rest keep their order. */
	int kept = 1;
	for (int i = 1; i < argc; i++) {
		int c = cnb_cli_common_flag(argc, argv, &i);
		if (c < 0)
			return CNB_EXIT_USAGE;
		if (!c)
			argv[kept++] = argv[i];
	}
	argc = kept;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CNB_EXIT_USAGE : CNB_EXIT_OK;
	}
	cnb_ctx *ctx;
	int rc = cnb_cli_ctx(&ctx);
	if (rc)
		return rc;
	if (!strcmp(argv[1], "ls"))
		rc = cache_ls(ctx);
	else if (!strcmp(argv[1], "prune"))
		rc = cache_prune(ctx, argc, argv);
	else if (!strcmp(argv[1], "add"))
		rc = cache_add(ctx, argc, argv);
	else {
		usage(stderr);
		rc = CNB_EXIT_USAGE;
	}
	cnb_ctx_free(ctx);
	return rc;
}
