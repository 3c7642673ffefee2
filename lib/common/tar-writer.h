/*
 * A deterministic tar writer (POSIX ustar + PAX extended headers for long names/links and big
 * sizes). Used where layers are made: in the guest by the exporter and on the host for builders.
 * Reproducible by construction: the caller chooses ownership and mtime; trees are walked in
 * byte-wise sorted order; hardlinks are written as regular files; no uname/gname, no atime/ctime.
 * Output is buffered (1 MiB) and reaches the fd in large writes; cnb__tar_finish() flushes it.
 */
#ifndef CNB_TAR_WRITER_H
#define CNB_TAR_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <cnb/error.h>

typedef struct cnb__tar cnb__tar;

/* 1980-01-01T00:00:01Z: the CNB reproducible-build timestamp (Platform spec, Build Reproducibility). */
#define CNB_TAR_EPOCH 315532801

/* Normalization applied to every entry added from the file system. */
typedef struct cnb__tar_norm {
	uint32_t uid, gid;  /* owner recorded for every entry */
	int64_t mtime;      /* recorded for every entry */
	size_t *setid_stripped; /* non-NULL: setuid/setgid bits are dropped from every entry, and the
				 * entries that had one counted here (untrusted files must not carry them) */
} cnb__tar_norm;

/* Starts a tar stream on fd (not closed by the writer). */
int cnb__tar_open(cnb__tar **out, int fd, cnb_error **err);

/* Explicit entries. `path` is the in-archive path ("/cnb/lifecycle/launcher" or "cnb/..."): a
 * leading "/" is kept as given (the CNB exporter writes absolute paths). */
int cnb__tar_add_dir(cnb__tar *t, const char *path, mode_t mode, const cnb__tar_norm *n, cnb_error **err);
int cnb__tar_add_symlink(cnb__tar *t, const char *path, const char *target, mode_t mode, const cnb__tar_norm *n,
			 cnb_error **err);
int cnb__tar_add_data(cnb__tar *t, const char *path, mode_t mode, const void *data, size_t len,
		      const cnb__tar_norm *n, cnb_error **err);
/* The symlink `name` in `dirfd` (its target read, never followed) as `path`. */
int cnb__tar_add_symlink_at(cnb__tar *t, int dirfd, const char *name, const char *path, const cnb__tar_norm *n,
			    cnb_error **err);
/* A regular file's content from an open fd of known size. */
int cnb__tar_add_fd(cnb__tar *t, const char *path, mode_t mode, int fd, uint64_t size,
		    const cnb__tar_norm *n, cnb_error **err);

/* Adds the parent directories of `path` ("/a/b/c" adds "/a" and "/a/b") that were not added yet. */
int cnb__tar_add_parents(cnb__tar *t, const char *path, mode_t mode, const cnb__tar_norm *n, cnb_error **err);

/*
 * Adds the tree below `dirfd`/`src` (not following symlinks) under in-archive prefix `dest`
 * (the directory itself included as `dest`), entries in sorted order. Sockets, devices and fifos
 * are skipped (they do not belong in a layer).
 */
int cnb__tar_add_tree(cnb__tar *t, int dirfd, const char *src, const char *dest, const cnb__tar_norm *n,
		      cnb_error **err);

/* Whether the entry at `rel` (relative to the tree's root: "a/b") goes into the archive; a directory
 * left out is not descended into. */
typedef bool (*cnb__tar_keep_fn)(const char *rel, bool is_dir, void *userdata);

/* Like cnb__tar_add_tree() for the entries below `dirfd` (not the directory itself), under `dest`,
 * keeping those `keep` accepts (NULL: all). */
int cnb__tar_add_contents(cnb__tar *t, int dirfd, const char *dest, const cnb__tar_norm *n, cnb__tar_keep_fn keep,
			  void *userdata, cnb_error **err);

/* Called with the in-archive path before each entry a tree walk adds and after each chunk of file
 * data read from an fd: a negative return (err set) stops the stream with that error. How a
 * caller cancels a long archive. */
typedef int (*cnb__tar_check_fn)(const char *path, void *userdata, cnb_error **err);
void cnb__tar_set_check(cnb__tar *t, cnb__tar_check_fn check, void *userdata);

/* Writes the end-of-archive blocks and frees the writer. On error the stream is unusable. */
int cnb__tar_finish(cnb__tar *t, cnb_error **err);

/* Frees without finishing (after an error). Accepts NULL. */
void cnb__tar_free(cnb__tar *t);

/* Bytes written so far. */
uint64_t cnb__tar_written(const cnb__tar *t);

#endif
