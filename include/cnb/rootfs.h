/* libcnb — image root filesystems: unpacking an image into a directory, and the cache of
 * flattened builder trees that build VMs share read-only over 9p. */
#ifndef CNB_ROOTFS_H
#define CNB_ROOTFS_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

CNB_BEGIN_DECLS

/** How ownership, modes and special files of the image are recorded on the host. */
typedef enum cnb_rootfs_metadata {
	CNB_ROOTFS_METADATA_AUTO = 0,   /**< REAL when running as root on Linux, else MAPPED_XATTR */
	CNB_ROOTFS_METADATA_REAL = 1,   /**< real owners, modes, setuid, device nodes (needs root) */
	/** QEMU 9p security_model=mapped-xattr: files owned by the caller, what the guest sees in
	 *  user.virtfs.{uid,gid,mode,rdev}; symlinks, devices and fifos become regular files (QEMU's form) */
	CNB_ROOTFS_METADATA_MAPPED_XATTR = 2,
} cnb_rootfs_metadata;

#define CNB_UNPACK_OPTS_VERSION 1

/** Options for cnb_image_unpack() and cnb_rootfs_cache_get(). Fields only ever grow at the end. */
typedef struct cnb_unpack_opts {
	unsigned int version; /**< CNB_UNPACK_OPTS_VERSION */
	const char *platform; /**< "os/arch[/variant]" chosen from an index; NULL = the host's */
	int metadata;         /**< a cnb_rootfs_metadata */
} cnb_unpack_opts;

#define CNB_UNPACK_OPTS_INIT { CNB_UNPACK_OPTS_VERSION, NULL, CNB_ROOTFS_METADATA_AUTO }

/**
 * Pulls `image_ref` ("docker://REF", "oci:DIR[:TAG]" or a bare REF) and applies its layers into
 * `dest_dir`, which must not exist or be empty (like `umoci unpack`'s rootfs). Layer entries are
 * untrusted: anything that would write outside `dest_dir` fails with CNB_EUNSAFE.
 */
CNB_EXTERN int cnb_image_unpack(cnb_ctx *ctx, const char *image_ref, const char *dest_dir, const cnb_unpack_opts *opts,
				cnb_error **err);

/**
 * The cached flattened tree of `image_ref` (keyed by chain id and metadata form), assembled if
 * missing; concurrent callers for the same image wait for one assembly. *out_path: caller frees
 * with cnb_free(). The tree is shared: never write into it.
 */
CNB_EXTERN int cnb_rootfs_cache_get(char **out_path, cnb_ctx *ctx, const char *image_ref, const cnb_unpack_opts *opts,
				    cnb_error **err);

/** One cached tree. */
typedef struct cnb_rootfs_cache_entry {
	const char *id;     /**< "<chain id hex>-real" or "<chain id hex>-mapped" */
	const char *path;
	int metadata;       /**< CNB_ROOTFS_METADATA_REAL or _MAPPED_XATTR */
	uint64_t size;      /**< bytes on disk */
	int64_t last_used;  /**< Unix time of the last assembly or reuse */
} cnb_rootfs_cache_entry;

/** Lists the cached trees. Caller frees with cnb_rootfs_cache_list_free(). */
CNB_EXTERN int cnb_rootfs_cache_list(cnb_rootfs_cache_entry **out, size_t *out_n, cnb_ctx *ctx, cnb_error **err);
CNB_EXTERN void cnb_rootfs_cache_list_free(cnb_rootfs_cache_entry *entries, size_t n);

#define CNB_ROOTFS_PRUNE_OPTS_VERSION 1

/** Options for cnb_rootfs_cache_prune(). */
typedef struct cnb_rootfs_prune_opts {
	unsigned int version;        /**< CNB_ROOTFS_PRUNE_OPTS_VERSION */
	int all;                     /**< remove every tree not in use */
	int64_t older_than_seconds;  /**< else: trees unused for at least this long */
} cnb_rootfs_prune_opts;

#define CNB_ROOTFS_PRUNE_OPTS_INIT { CNB_ROOTFS_PRUNE_OPTS_VERSION, 0, 30 * 86400 }

/** Removes cached trees (never one a build holds); reports bytes freed and trees removed (may be NULL). */
CNB_EXTERN int cnb_rootfs_cache_prune(uint64_t *out_freed, size_t *out_removed, cnb_ctx *ctx,
				      const cnb_rootfs_prune_opts *opts, cnb_error **err);

CNB_END_DECLS

#endif
