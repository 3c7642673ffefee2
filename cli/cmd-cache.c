/* cnb cache ls | prune | add: the cache of flattened builder trees. */
#include "cli.h"
#include "cli-opts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char cache_usage[] =
	"Usage: cnb cache ls\n"
	"       cnb cache prune [--all | --older-than DAYS]   (default: 30 days)\n"
	"       cnb cache add [--mapped-xattr|--real] IMAGE    (assembles the tree, prints its path)\n";

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

enum { KEY_ALL = CNB_CLI_LONG_ONLY, KEY_OLDER_THAN, KEY_MAPPED, KEY_REAL };

static const cnb_cli_opt cache_opts[] = {
	{ "all", KEY_ALL, NULL },
	{ "older-than", KEY_OLDER_THAN, "DAYS" },
	{ "mapped-xattr", KEY_MAPPED, NULL },
	{ "real", KEY_REAL, NULL },
	{ NULL, 0, NULL },
};

typedef struct cache_args {
	cnb_cli_args pos; /* subcommand, IMAGE */
	cnb_rootfs_cache_prune_opts prune;
	cnb_rootfs_cache_get_opts add;
	bool prune_opts, add_opts;
} cache_args;

static int cache_option(int key, const char *v, void *state)
{
	cache_args *c = state;
	char *end;
	double days;
	switch (key) {
	case KEY_ALL: c->prune.all = 1; c->prune_opts = true; return 0;
	case KEY_OLDER_THAN:
		days = strtod(v, &end);
		/* the API takes seconds as uint32_t: 49710 days */
		if (*end || end == v || !(days >= 0 && days * 86400 <= UINT32_MAX)) { /* also NaN */
			fprintf(stderr, "cnb cache prune: --older-than takes a number of days from 0 to 49710, not '%s'\n", v);
			return CNB_EXIT_USAGE;
		}
		c->prune.older_than_s = (uint32_t)(days * 86400);
		c->prune_opts = true;
		return 0;
	case KEY_MAPPED: c->add.metadata = CNB_ROOTFS_METADATA_MAPPED_XATTR; c->add_opts = true; return 0;
	case KEY_REAL: c->add.metadata = CNB_ROOTFS_METADATA_REAL; c->add_opts = true; return 0;
	}
	return 0;
}

static int cache_prune(cnb_ctx *ctx, const cnb_rootfs_cache_prune_opts *opts)
{
	uint64_t freed = 0;
	uint32_t removed = 0;
	cnb_error *err = NULL;
	if (cnb_rootfs_cache_prune(&freed, &removed, ctx, opts, &err) < 0)
		return cnb_cli_fail("cache prune", err);
	printf("removed %" PRIu32 " trees, %.1f MB freed\n", removed, freed / 1e6);
	return CNB_EXIT_OK;
}

static int cache_add(cnb_ctx *ctx, const char *image, const cnb_rootfs_cache_get_opts *opts)
{
	char *path = NULL;
	cnb_error *err = NULL;
	if (cnb_rootfs_cache_get(&path, ctx, image, opts, &err) < 0)
		return cnb_cli_fail("cache add", err);
	printf("%s\n", path);
	cnb_free(path);
	return CNB_EXIT_OK;
}

/* Which subcommand, and whether its options and arguments fit it: 'l', 'p', 'a', or 0. */
static int subcommand(const cache_args *c)
{
	const char *sub = c->pos.n ? c->pos.v[0] : "";
	if (!strcmp(sub, "ls") && c->pos.n == 1 && !c->prune_opts && !c->add_opts)
		return 'l';
	if (!strcmp(sub, "prune") && c->pos.n == 1 && !c->add_opts)
		return 'p';
	if (!strcmp(sub, "add") && c->pos.n == 2 && !c->prune_opts)
		return 'a';
	return 0;
}

int cnb_cmd_cache(int argc, char **argv)
{
	cache_args c = { .pos = { .max = 2 }, .prune = CNB_ROOTFS_CACHE_PRUNE_OPTS_INIT,
			 .add = CNB_ROOTFS_CACHE_GET_OPTS_INIT };
	const cnb_cli_parser p = { "cache", cache_usage, cache_opts, cache_option, &c, false, &c.pos };
	int rc = cnb_cli_parse(&p, argc, argv, NULL);
	if (rc != CNB_CLI_PARSED)
		return rc;
	int sub = subcommand(&c);
	if (!sub) {
		fputs(cache_usage, stderr);
		return CNB_EXIT_USAGE;
	}
	cnb_ctx *ctx;
	if ((rc = cnb_cli_ctx(&ctx)))
		return rc;
	rc = sub == 'l' ? cache_ls(ctx) : sub == 'p' ? cache_prune(ctx, &c.prune) : cache_add(ctx, c.pos.v[1], &c.add);
	cnb_ctx_free(ctx);
	return rc;
}
