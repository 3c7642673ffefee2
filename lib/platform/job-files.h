/*
 * Files the host puts into a job directory for the lifecycle in the guest: the app source, the
 * platform env, empty directories the CNB user must own. Ownership is written in the form the
 * executor shows to the guest: real chown for the host executor (root; to the ids its user
 * namespaces map the guest's to, see cnb__platform_job_owner), QEMU mapped-xattr
 * attributes for the VM's 9p shares (that model keeps owners, modes and symlinks as QEMU stores
 * them, whoever runs it; see cnb__platform_executor_uses_mapped_xattr). Trees the VM keeps in its own
 * memory (the app, the initial /layers) travel as tars instead, owners in their headers.
 */
#ifndef CNB_PLATFORM_JOB_FILES_H
#define CNB_PLATFORM_JOB_FILES_H

#include <stdbool.h>
#include <stdint.h>
#include <cnb/ctx.h>
#include <cnb/error.h>
#include "app-filter.h"

typedef struct cnb__platform_owner {
	uint32_t uid, gid;
	bool mapped; /* write user.virtfs.* xattrs instead of chown */
} cnb__platform_owner;

/*
 * A new job directory $TMPDIR/cnb-job-XXXXXX (/tmp without an absolute TMPDIR), mode 0700, with
 * the lock file cnb-job-XXXXXX.lock beside it, flock'd through *out_lock for the job's life. A
 * build that dies (kill -9, crash) leaves both; cnb__platform_job_dirs_clean_stale() removes them at the
 * next run, and never a directory whose lock a live build holds. *out_dir: caller frees.
 */
int cnb__platform_job_dir_create(char **out_dir, int *out_lock, cnb_error **err);

/* Removes the directory, then its lock file, and closes the lock (either may be NULL / -1). */
void cnb__platform_job_dir_remove(const char *dir, int lock_fd);

/* Removes job directories (and lone lock files) of this user that no live build holds; a
 * directory without a lock file only after a day. Returns how many were removed. */
size_t cnb__platform_job_dirs_clean_stale(void);

/* Whether an executor ("vm", "host", NULL = vm) reads trees in QEMU's mapped-xattr form: the VM
 * does (its 9p shares use security_model=mapped-xattr, which reads symlinks as files holding the
 * target); the host executor needs real owners, modes and links. */
bool cnb__platform_executor_uses_mapped_xattr(const char *executor);

/* The owner, as *out, of what steps of `executor` running as uid:gid are to write: the VM's in mapped
 * form, the host executor's by the host ids its user namespaces map them to (lib/executor/host-idmap.h). */
int cnb__platform_job_owner(cnb__platform_owner *out, const char *executor, uint32_t uid, uint32_t gid, cnb_error **err);

/* Owns an existing file (of mode S_IFREG|0644 as the guest sees it) by `owner`. */
int cnb__platform_job_chown_file(const char *path, const cnb__platform_owner *owner, cnb_error **err);

/* Creates `path` (mode 0755) owned by `owner` as the guest will see it. Existing dirs are re-owned. */
int cnb__platform_job_mkdir_owned(const char *path, const cnb__platform_owner *owner, cnb_error **err);

/*
 * Copies the app source tree `src` into the existing directory `dst` for the host executor (an
 * `owner` in mapped form is refused: the VM gets the app as a tar, cnb__platform_job_pack_tree): regular
 * files, directories and symlinks (never followed), modes kept, every entry owned by `owner`. Sockets, fifos and
 * devices are skipped. A `.git` directory at the top is skipped too (pack does the same by
 * default only through project.toml; we keep builds independent of VCS state). `filter` (may be
 * NULL) applies project.toml's include/exclude (checked against its bounds first). A cancel of
 * `ctx` (may be NULL) stops the copy within one 64 KiB chunk with CNB_ECANCELED.
 */
int cnb__platform_job_copy_app(const cnb_ctx *ctx, const char *src, const char *dst, const cnb__platform_owner *owner,
		      const cnb__platform_app_filter *filter, cnb_error **err);

/*
 * Writes the tar that seeds a guest-local directory (cnb__executor_job_mount.seed) with the tree below
 * `src`: the root as "." (mode 0755), every entry owned by `owner` (numeric ids), mtime `mtime`,
 * in one sequential stream. `is_app`: `src` is the app source, packed as cnb__platform_job_copy_app()
 * copies it (no `.git` at the top; `filter`, which may be NULL, checked against its bounds and
 * applied); else everything goes. A cancel of `ctx` (may be NULL) stops it within one entry or
 * one 1 MiB chunk with CNB_ECANCELED.
 */
int cnb__platform_job_pack_tree(const cnb_ctx *ctx, const char *src, const char *tar_path, const cnb__platform_owner *owner,
		       bool is_app, const cnb__platform_app_filter *filter, int64_t mtime, cnb_error **err);

/* Writes <platform>/env/<NAME> files from "NAME=VALUE" entries (value verbatim, no newline). */
int cnb__platform_job_write_platform_env(const char *platform_dir, const char *const *env, const cnb__platform_owner *owner,
				cnb_error **err);

#endif
