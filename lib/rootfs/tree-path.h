/*
 * Paths inside a tree being built from untrusted layers. Every lookup walks one component at a
 * time from the tree's root fd with O_NOFOLLOW, so no symlink (ours or the layer's) is ever
 * followed and nothing outside the tree can be reached.
 */
#ifndef CNB_ROOTFS_TREE_PATH_H
#define CNB_ROOTFS_TREE_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>

typedef struct cnb__rootfs_tree {
	int root_fd;
	bool mapped;      /* directories created on the way get mapped-xattr metadata */
	char *cached_dir; /* the last directory opened, and its fd (tar entries come grouped by directory) */
	int cached_fd;
} cnb__rootfs_tree;

/* root_fd stays owned by the caller. */
void cnb__rootfs_tree_init(cnb__rootfs_tree *t, int root_fd, bool mapped);
void cnb__rootfs_tree_release(cnb__rootfs_tree *t);

/* Forgets the cached directory: call after anything in the tree was removed or replaced. */
void cnb__rootfs_tree_forget(cnb__rootfs_tree *t);

/*
 * Normalizes a tar entry name to a relative path without "", "." components or trailing
 * slashes ("" is the root). Leading slashes are dropped: absolute names are rooted at the tree,
 * as in every image tool. A ".." component is refused (CNB_EUNSAFE).
 */
int cnb__rootfs_tree_clean_path(const char *name, char **out, cnb_error **err);

/*
 * Opens directory `dir` (clean, `len` bytes, "" = root). With `create`, missing directories are
 * made (0755, root-owned as the guest sees it). A component that is a symlink or not a directory
 * is refused with CNB_EUNSAFE; a missing one without `create` is CNB_ENOTFOUND.
 * *out_fd is borrowed: valid until the next call on `t`.
 */
int cnb__rootfs_tree_open_dir(cnb__rootfs_tree *t, const char *dir, size_t len, bool create, int *out_fd, cnb_error **err);

/* Splits a clean path into its directory length and leaf name ("a/b/c" → 3, "c"). */
size_t cnb__rootfs_tree_dir_len(const char *path, const char **leaf);

#endif
