/* Deleting what whiteout entries hide. */
#include "whiteout.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cnb__rootfs_whiteout_is(const char *leaf)
{
	return !strncmp(leaf, CNB_WHITEOUT_PREFIX, strlen(CNB_WHITEOUT_PREFIX));
}

static bool spared(const cnb__rootfs_path_set *layer_entries, const char *dir, size_t dir_len, const char *name)
{
	char full[PATH_MAX];
	int n = dir_len ? snprintf(full, sizeof(full), "%.*s/%s", (int)dir_len, dir, name) : snprintf(full, sizeof(full), "%s", name);
	return n > 0 && (size_t)n < sizeof(full) && cnb__rootfs_path_set_has(layer_entries, full, (size_t)n);
}

static int empty_lower_entries(cnb__rootfs_tree *t, int dir_fd, const char *dir, size_t dir_len,
			       const cnb__rootfs_path_set *layer_entries, cnb_error **err)
{
	_cleanup_closedir_ DIR *d = cnb__opendir_at(dir_fd, ".", 0);
	if (!d)
		return cnb__error_errno(err, CNB_EIO, errno, "open '%.*s'", (int)dir_len, dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || spared(layer_entries, dir, dir_len, de->d_name))
			continue;
		if (cnb__rm_rf_at(dirfd(d), de->d_name, err) < 0)
			return cnb__error_prefix(err, "opaque directory '%.*s'", (int)dir_len, dir);
	}
	return 0;
}

int cnb__rootfs_whiteout_apply(cnb__rootfs_tree *t, const char *path, const cnb__rootfs_path_set *layer_entries, cnb_error **err)
{
	const char *leaf;
	size_t dir_len = cnb__rootfs_tree_dir_len(path, &leaf);
	int dir_fd;
	int r = cnb__rootfs_tree_open_dir(t, path, dir_len, false, &dir_fd, err);
	if (r == CNB_ENOTFOUND) {
		cnb__error_clear(err); /* nothing below to hide */
		return 0;
	}
	if (r < 0)
		return r;
	if (!strcmp(leaf, CNB_WHITEOUT_OPAQUE)) {
		r = empty_lower_entries(t, dir_fd, path, dir_len, layer_entries, err);
		cnb__rootfs_tree_forget(t);
		return r;
	}
	const char *hidden = leaf + strlen(CNB_WHITEOUT_PREFIX);
	/* ".wh.." and ".wh..." would remove the directory itself or its parent: for an entry at the
	 * top of the tree that is everything beside the tree (found by fuzz_layer_apply). */
	if (!strcmp(hidden, ".") || !strcmp(hidden, ".."))
		return cnb__error_set(err, CNB_EUNSAFE, "whiteout of '%s' refused", hidden);
	if (cnb__rootfs_whiteout_is(hidden) || !*hidden)
		return 0;
	if (spared(layer_entries, path, dir_len, hidden))
		return 0;
	r = cnb__rm_rf_at(dir_fd, hidden, err);
	cnb__rootfs_tree_forget(t);
	return r;
}
