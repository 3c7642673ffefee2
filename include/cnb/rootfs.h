/* libcnb — the cache of flattened image trees that build VMs share read-only over 9p
 * (cnb_image_unpack() in image.h writes one such tree into a directory of the caller's). */
#ifndef CNB_ROOTFS_H
#define CNB_ROOTFS_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

CNB_BEGIN_DECLS

/** How ownership, modes and special files of an image are recorded on the host. */
typedef enum cnb_rootfs_metadata {
	CNB_ROOTFS_METADATA_AUTO = 0,         /**< REAL when running as root on Linux, else MAPPED_XATTR */
	CNB_ROOTFS_METADATA_REAL = 1,         /**< real owners, modes, setuid, device nodes (needs root) */
	CNB_ROOTFS_METADATA_MAPPED_XATTR = 2, /**< QEMU 9p security_model=mapped-xattr: files owned by the caller, what
	                                           the guest sees in user.virtfs.{uid,gid,mode,rdev}; symlinks, devices
	                                           and fifos become regular files (QEMU's form) */
} cnb_rootfs_metadata;

/* ---- cnb_rootfs_cache_get ---- */

#define CNB_ROOTFS_CACHE_GET_OPTS_VERSION 1

/** Options for cnb_rootfs_cache_get(). Initialise with cnb_rootfs_cache_get_opts_init() or CNB_ROOTFS_CACHE_GET_OPTS_INIT. */
typedef struct cnb_rootfs_cache_get_opts {
	unsigned int version; /**< CNB_ROOTFS_CACHE_GET_OPTS_VERSION */
	const char *platform; /**< "os/arch[/variant]" chosen from an index; NULL: the host's */
	int32_t metadata;     /**< a cnb_rootfs_metadata */
} cnb_rootfs_cache_get_opts;

#define CNB_ROOTFS_CACHE_GET_OPTS_INIT { CNB_ROOTFS_CACHE_GET_OPTS_VERSION, NULL, CNB_ROOTFS_METADATA_AUTO }

/**
 * Fills `opts` with the defaults of CNB_ROOTFS_CACHE_GET_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_ROOTFS_CACHE_GET_OPTS_VERSION.
 */
CNB_EXTERN int cnb_rootfs_cache_get_opts_init(cnb_rootfs_cache_get_opts *opts, unsigned int version);

/**
 * The cached flattened tree of `image_ref` (keyed by chain id and metadata form), assembled if
 * missing; concurrent callers for the same image wait for one assembly. *out_path: caller frees
 * with cnb_free(). The tree is shared: never write into it.
 * @return 0; CNB_EINVAL (missing argument, bad options, unknown metadata form), CNB_EUNSAFE (a layer
 *         entry would escape the tree), CNB_EIO, and the codes of cnb_image_copy() for reading the image.
 */
CNB_EXTERN int cnb_rootfs_cache_get(char **out_path, cnb_ctx *ctx, const char *image_ref,
				    const cnb_rootfs_cache_get_opts *opts, cnb_error **err);

/* ---- cnb_rootfs_cache_list ---- */

/** One cached tree. */
typedef struct cnb_rootfs_cache_entry {
	const char *id;    /**< "<chain id hex>-real" or "<chain id hex>-mapped" */
	const char *path;  /**< the tree's directory */
	int32_t metadata;  /**< CNB_ROOTFS_METADATA_REAL or CNB_ROOTFS_METADATA_MAPPED_XATTR */
	uint64_t size;     /**< bytes on disk */
	int64_t last_used; /**< Unix time of the last assembly or reuse */
} cnb_rootfs_cache_entry;

/**
 * Lists the cached trees: *out gets an array of *out_n entries; caller frees with
 * cnb_rootfs_cache_list_free().
 * @return 0; CNB_EINVAL (missing argument), CNB_EIO, CNB_ENOMEM.
 */
CNB_EXTERN int cnb_rootfs_cache_list(cnb_rootfs_cache_entry **out, uint32_t *out_n, cnb_ctx *ctx, cnb_error **err);

/** Frees what cnb_rootfs_cache_list() returned. Accepts NULL. */
CNB_EXTERN void cnb_rootfs_cache_list_free(cnb_rootfs_cache_entry *entries, uint32_t n);

/* ---- cnb_rootfs_cache_prune ---- */

#define CNB_ROOTFS_CACHE_PRUNE_OPTS_VERSION 1

/** Options for cnb_rootfs_cache_prune(). Initialise with cnb_rootfs_cache_prune_opts_init() or CNB_ROOTFS_CACHE_PRUNE_OPTS_INIT. */
typedef struct cnb_rootfs_cache_prune_opts {
	unsigned int version;  /**< CNB_ROOTFS_CACHE_PRUNE_OPTS_VERSION */
	int all;               /**< non-zero: remove every tree not in use */
	uint32_t older_than_s; /**< else: trees unused for at least this many seconds (default 30 days) */
} cnb_rootfs_cache_prune_opts;

#define CNB_ROOTFS_CACHE_PRUNE_OPTS_INIT { CNB_ROOTFS_CACHE_PRUNE_OPTS_VERSION, 0, 30 * 86400 }

/**
 * Fills `opts` with the defaults of CNB_ROOTFS_CACHE_PRUNE_OPTS_INIT for options version `version`.
 * @return 0, or CNB_EINVAL when opts is NULL or `version` is not 1..CNB_ROOTFS_CACHE_PRUNE_OPTS_VERSION.
 */
CNB_EXTERN int cnb_rootfs_cache_prune_opts_init(cnb_rootfs_cache_prune_opts *opts, unsigned int version);

/**
 * Removes cached trees (never one a build holds), and by the same rule (unused for older_than_s, or
 * all) the records of pulled references, unused blobs and VM snapshots. *out_freed (bytes, all of
 * these) and *out_removed (trees) may be NULL.
 * @return 0; CNB_EINVAL (missing context, bad options), CNB_EIO.
 */
CNB_EXTERN int cnb_rootfs_cache_prune(uint64_t *out_freed, uint32_t *out_removed, cnb_ctx *ctx,
				      const cnb_rootfs_cache_prune_opts *opts, cnb_error **err);

CNB_END_DECLS

#endif
