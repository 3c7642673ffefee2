/* The rootfs tree cache: assembly under a lock, listing, pruning. */
#include "rootfs-cache.h"
#include "chain-id.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/clock.h"
#include "lib/common/error-internal.h"
#include "lib/common/buf.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"
#include "lib/os/os.h"
#include "lib/executor/vm-snapshot.h"
#include "oci/pull-memo.h"
#include "oci/store-gc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMP_PREFIX ".tmp-"
#define BLOBS_SUFFIX ".blobs"

static char *cache_root(const cnb_ctx *ctx)
{
	return cnb__path_join(ctx->cache_dir, "rootfs");
}

static char *sibling(const char *root, const char *name, const char *suffix)
{
	char *out = NULL;
	return asprintf(&out, "%s/%s%s", root, name, suffix) < 0 ? NULL : out;
}

static _Thread_local uint64_t walk_total;

static int add_usage(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path, (void)flag, (void)ftw;
	walk_total += (uint64_t)st->st_blocks * 512 / (st->st_nlink > 1 && !S_ISDIR(st->st_mode) ? st->st_nlink : 1);
	return 0;
}

uint64_t cnb__rootfs_tree_size(const char *path)
{
	walk_total = 0;
	nftw(path, add_usage, 64, FTW_PHYS);
	return walk_total;
}

static int lock_open(const char *root, const char *name, int op, cnb_error **err)
{
	_cleanup_free_ char *path = sibling(root, name, ".lock");
	return path ? cnb__lock_file(path, name, op, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

static bool tree_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Builds the tree in a temp dir beside `final` and renames it into place. */
static int build(const cnb_ctx *ctx, const char *root, const char *name, const char *final,
		 const cnb__rootfs_layer *layers, size_t n, bool mapped, cnb_error **err)
{
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s/" TMP_PREFIX "%s-XXXXXX", root, name) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (!mkdtemp(tmp))
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", tmp);
	uint64_t t0 = cnb__monotonic_ms();
	_cleanup_close_ int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = fd < 0 ? cnb__error_errno(err, CNB_EIO, errno, "open %s", tmp)
		       : cnb__rootfs_apply_layers(ctx, fd, layers, n, mapped, err);
	/* Durable before visible: after a crash the name must never point at a half-written tree. */
	if (r == 0 && cnb__os_syncfs(fd) < 0)
		r = cnb__error_errno(err, CNB_EIO, errno, "sync %s", tmp);
	_cleanup_free_ char *size_path = sibling(root, name, ".size");
	if (r == 0) {
		char text[32];
		int len = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)cnb__rootfs_tree_size(tmp));
		r = !size_path ? cnb__error_set(err, CNB_ENOMEM, "out of memory")
			       : cnb__write_file_atomic(size_path, text, (size_t)len, 0644, err);
	}
	if (r == 0 && rename(tmp, final) < 0) {
		/* Someone who did not see our lock (the lock file was pruned meanwhile) won the race:
		 * both trees are the same chain id, keep theirs. */
		if (errno != EEXIST && errno != ENOTEMPTY)
			r = cnb__error_errno(err, CNB_EIO, errno, "rename %s to %s", tmp, final);
		cnb__rm_rf(tmp, NULL);
	}
	if (r < 0) {
		cnb__rm_rf(tmp, NULL);
		return r;
	}
	cnb__api_log(ctx, CNB_LOG_INFO, "rootfs %.19s… assembled from %zu layers in %.2f s", name, n,
		 (double)(cnb__monotonic_ms() - t0) / 1e3);
	return 0;
}

/* <name>.blobs: the layer blobs the tree came from, one digest a line. Prune keeps them in the
 * blob store while the tree lives (the next build of that image finds them local). Best effort. */
static void record_blobs(const char *root, const char *name, const cnb__rootfs_layer *layers, size_t n)
{
	_cleanup_free_ char *path = sibling(root, name, BLOBS_SUFFIX);
	_cleanup_buf_ cnb__buf text = CNB_BUF_INIT;
	for (size_t i = 0; path && i < n; i++)
		if (layers[i].digest)
			cnb__buf_printf(&text, "%s\n", layers[i].digest);
	if (path && text.data)
		cnb__write_file_atomic(path, text.data, text.len, 0644, NULL);
}

/* Adds the digests of `name`'s .blobs file to `keep`. */
static void add_recorded_blobs(const char *root, const char *name, cnb__strv_list *keep)
{
	_cleanup_free_ char *path = sibling(root, name, BLOBS_SUFFIX);
	_cleanup_free_ char *text = NULL;
	if (!path || cnb__read_file(path, 1 << 20, &text, NULL, NULL) < 0)
		return;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (cnb__strv_push(keep, line) < 0)
			return;
}

int cnb__rootfs_assemble(const cnb_ctx *ctx, const cnb__rootfs_layer *layers, size_t n, bool mapped,
			 char **out_path, int *out_lock_fd, cnb_error **err)
{
	char chain[CNB_CHAIN_ID_SIZE];
	if (cnb__rootfs_chain_id(layers, n, chain, err) < 0)
		return cnb__error_code(err, CNB_EINVAL);
	char name[128];
	snprintf(name, sizeof(name), "%s-%s", chain + strlen("sha256:"), mapped ? "mapped" : "real");
	_cleanup_free_ char *root = cache_root(ctx);
	if (!root)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = cnb__mkdir_p(root, 0755, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *final = cnb__path_join(root, name);
	if (!final)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_close_ int lock = lock_open(root, name, LOCK_EX, err);
	if (lock < 0)
		return lock;
	if (tree_exists(final))
		cnb__api_log(ctx, CNB_LOG_DEBUG, "rootfs %s: cached", name);
	else if ((r = build(ctx, root, name, final, layers, n, mapped, err)) < 0)
		return cnb__error_prefix(err, "assemble rootfs %s", name);
	record_blobs(root, name, layers, n);
	futimens(lock, NULL); /* last use, for prune --older-than */
	if (flock(lock, LOCK_SH) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "lock %s", name);
	if (out_lock_fd)
		*out_lock_fd = TAKE_FD(lock);
	*out_path = TAKE_PTR(final);
	return 0;
}

/* Length of the tree name ("<64 hex>-mapped" or "<64 hex>-real") that `s` starts with, or 0. */
static size_t tree_name_len(const char *s, bool *mapped)
{
	if (strspn(s, "0123456789abcdef") != 64)
		return 0;
	*mapped = !strncmp(s + 64, "-mapped", 7);
	return *mapped ? 71 : !strncmp(s + 64, "-real", 5) ? 69 : 0;
}

static bool is_tree_name(const char *name, bool *mapped)
{
	size_t len = tree_name_len(name, mapped);
	return len && !name[len];
}

void cnb__rootfs_cache_entries_free(cnb__rootfs_cache_entry *entries, size_t n)
{
	for (size_t i = 0; entries && i < n; i++) {
		free(entries[i].name);
		free(entries[i].path);
	}
	free(entries);
}

int cnb__rootfs_cache_list(const cnb_ctx *ctx, cnb__rootfs_cache_entry **out, size_t *out_n, cnb_error **err)
{
	*out = NULL;
	*out_n = 0;
	_cleanup_free_ char *root = cache_root(ctx);
	if (!root)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_closedir_ DIR *d = opendir(root);
	if (!d)
		return errno == ENOENT ? 0 : cnb__error_errno(err, CNB_EIO, errno, "open %s", root);
	cnb__rootfs_cache_entry *list = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		bool mapped;
		if (!is_tree_name(de->d_name, &mapped))
			continue;
		cnb__rootfs_cache_entry *grown = realloc(list, (n + 1) * sizeof(*list));
		if (!grown) {
			cnb__rootfs_cache_entries_free(list, n);
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
		list = grown;
		cnb__rootfs_cache_entry *e = &list[n++];
		*e = (cnb__rootfs_cache_entry){ strdup(de->d_name), cnb__path_join(root, de->d_name), mapped };
		_cleanup_free_ char *lock_path = sibling(root, de->d_name, ".lock");
		_cleanup_free_ char *size_path = sibling(root, de->d_name, ".size");
		_cleanup_free_ char *size_text = NULL;
		struct stat st;
		if (!e->name || !e->path || !lock_path || !size_path) {
			cnb__rootfs_cache_entries_free(list, n);
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
		e->last_used = stat(lock_path, &st) == 0 ? st.st_mtime : 0;
		e->size = cnb__read_file(size_path, 64, &size_text, NULL, NULL) == 0 ? strtoull(size_text, NULL, 10)
										    : cnb__rootfs_tree_size(e->path);
	}
	*out = list;
	*out_n = n;
	return 0;
}

/* Removes `name` (a tree or a temp dir) unless its lock is held; renamed away first so that a
 * half-deleted tree is never visible under its name. */
static int remove_unlocked(const char *root, const char *name, const char *lock_name, uint64_t *freed, cnb_error **err)
{
	cnb_error *busy = NULL;
	_cleanup_close_ int lock = lock_open(root, lock_name, LOCK_EX | LOCK_NB, &busy);
	if (lock < 0) {
		int code = cnb__error_code(&busy, lock);
		cnb__error_clear(&busy);
		return code == CNB_EEXIST ? 0 : code; /* in use: skipped */
	}
	_cleanup_free_ char *path = cnb__path_join(root, name);
	_cleanup_free_ char *doomed = NULL;
	if (!path || asprintf(&doomed, "%s/" TMP_PREFIX "prune-%s", root, name) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	uint64_t size = cnb__rootfs_tree_size(path);
	if (rename(path, doomed) < 0)
		return errno == ENOENT ? 0 : cnb__error_errno(err, CNB_EIO, errno, "rename %s", path);
	if (cnb__rm_rf(doomed, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	*freed += size;
	_cleanup_free_ char *size_path = sibling(root, lock_name, ".size");
	_cleanup_free_ char *blobs_path = sibling(root, lock_name, BLOBS_SUFFIX);
	if (size_path && blobs_path && strcmp(lock_name, name) == 0)
		unlink(size_path), unlink(blobs_path);
	return 1;
}

int cnb__rootfs_cache_prune(const cnb_ctx *ctx, bool all, int64_t older_than, uint64_t *out_freed,
			    size_t *out_removed, cnb_error **err)
{
	uint64_t freed = 0;
	size_t removed = 0;
	_cleanup_free_ char *root = cache_root(ctx);
	if (!root)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_closedir_ DIR *d = opendir(root);
	if (!d && errno != ENOENT)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", root);
	time_t now = time(NULL);
	struct dirent *de;
	_cleanup_strv_list_ cnb__strv_list keep = CNB_STRV_LIST_INIT; /* blobs of the trees and records that stay */
	while (d && (de = readdir(d))) {
		bool mapped;
		char lock_name[256];
		if (is_tree_name(de->d_name, &mapped)) {
			_cleanup_free_ char *lock_path = sibling(root, de->d_name, ".lock");
			struct stat st;
			time_t used = lock_path && stat(lock_path, &st) == 0 ? st.st_mtime : 0;
			if (!all && now - used < older_than) {
				add_recorded_blobs(root, de->d_name, &keep);
				continue;
			}
			snprintf(lock_name, sizeof(lock_name), "%s", de->d_name);
		} else if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
			/* ".tmp-<name>-XXXXXX" of an assembly that died, or ".tmp-prune-<name>" of a prune
			 * that did; a live assembly holds the lock, so remove_unlocked() leaves it alone. */
			const char *inner = de->d_name + strlen(TMP_PREFIX);
			if (!strncmp(inner, "prune-", 6))
				inner += 6;
			size_t len = tree_name_len(inner, &mapped);
			if (!len)
				continue;
			snprintf(lock_name, sizeof(lock_name), "%.*s", (int)len, inner);
		} else
			continue;
		int r = remove_unlocked(root, de->d_name, lock_name, &freed, err);
		if (r < 0)
			return r;
		if (r == 0 && is_tree_name(de->d_name, &mapped)) /* in use: it stays, and so do its blobs */
			add_recorded_blobs(root, de->d_name, &keep);
		removed += (size_t)r;
	}
	size_t refs = 0, snapshots = 0;
	uint64_t snapshot_bytes = 0;
	int r = cnb__oci_pull_memo_prune(ctx->cache_dir, all, older_than, &keep, &refs, err);
	if (r < 0)
		return r;
	cnb__api_log(ctx, CNB_LOG_INFO, "references: removed %zu unused or stale records", refs);
	cnb__oci_gc_stats blobs = { 0 };
	r = cnb__oci_store_gc(ctx->cache_dir, (const char *const *)keep.v, keep.n, all, older_than, &blobs, err);
	if (r < 0)
		return r;
	freed += blobs.freed;
	cnb__executor_vm_snapshot_prune(ctx, all, older_than, &snapshot_bytes, &snapshots);
	freed += snapshot_bytes;
	cnb__api_log(ctx, CNB_LOG_INFO, "VM snapshots: removed %zu (%.1f MB)", snapshots, (double)snapshot_bytes / 1e6);
	if (blobs.busy)
		cnb__api_log(ctx, CNB_LOG_INFO, "blob store: a build is using it, unused blobs left for the next prune");
	else
		cnb__api_log(ctx, CNB_LOG_INFO, "blob store: removed %zu unused blobs and temp files (%.1f MB)", blobs.removed,
			 (double)blobs.freed / 1e6);
	if (out_freed)
		*out_freed = freed;
	if (out_removed)
		*out_removed = removed;
	return 0;
}
