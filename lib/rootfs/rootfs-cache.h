/*
 * Flattened image trees cached by chain id: <cache_dir>/rootfs/<chainid-hex>-<real|mapped>.
 * A tree is complete or invisible (built in a temp dir beside it, renamed when done); builds
 * of the same image at once serialise on <name>.lock and the later ones reuse the tree. A
 * shared lock on that file marks a tree in use: prune skips it. The lock file's mtime is the
 * tree's last use.
 */
#ifndef CNB_ROOTFS_CACHE_H
#define CNB_ROOTFS_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <cnb/ctx.h>
#include "layer-apply.h"

typedef struct cnb__rootfs_cache_entry {
	char *name;  /* "<chainid-hex>-mapped" */
	char *path;
	bool mapped;
	uint64_t size;
	time_t last_used;
} cnb__rootfs_cache_entry;

/*
 * The cached tree of `layers` (every layer needs its diff_id), assembled now if missing.
 * *out_path: caller frees. out_lock_fd (may be NULL): a shared lock keeping prune away while
 * the caller uses the tree; close it when done.
 */
int cnb__rootfs_assemble(const cnb_ctx *ctx, const cnb__rootfs_layer *layers, size_t n, bool mapped,
			 char **out_path, int *out_lock_fd, cnb_error **err);

int cnb__rootfs_cache_list(const cnb_ctx *ctx, cnb__rootfs_cache_entry **out, size_t *out_n, cnb_error **err);
void cnb__rootfs_cache_entries_free(cnb__rootfs_cache_entry *entries, size_t n);

/* Removes trees not in use and (unless `all`) last used more than `older_than` seconds ago;
 * also leftovers of interrupted assemblies. By the same rule: the pull records of <cache>/refs
 * (oci/pull-memo.h), then unused blobs (oci/store-gc.h), then VM snapshots (vm-snapshot.h). */
int cnb__rootfs_cache_prune(const cnb_ctx *ctx, bool all, int64_t older_than, uint64_t *out_freed,
			    size_t *out_removed, cnb_error **err);

/* Disk usage of a tree (hardlinked inodes counted once). */
uint64_t cnb__rootfs_tree_size(const char *path);

#endif
