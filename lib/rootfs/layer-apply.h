/* Applying image layers (tar, tar+gzip, tar+zstd) in order onto a directory tree. */
#ifndef CNB_ROOTFS_LAYER_APPLY_H
#define CNB_ROOTFS_LAYER_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

/* One layer as the blob store holds it. Strings are borrowed. */
typedef struct cnb__rootfs_layer {
	const char *blob_path;
	const char *media_type; /* NULL: trust the magic bytes alone */
	const char *digest;     /* "sha256:<hex>" of the blob: verified while reading, named in errors */
	const char *diff_id;    /* "sha256:<hex>" of the uncompressed tar (chain id); may be NULL here */
} cnb__rootfs_layer;

/* Ceiling on what one image may write (a decompression bomb must not fill the disk). */
#define CNB_ROOTFS_MAX_BYTES (64ull << 30)

/*
 * Applies `layers` in order onto the directory `root_fd` (usually empty). `mapped`: write QEMU
 * mapped-xattr metadata instead of real ownership (see mapped-xattr.h); otherwise the caller
 * must be root. Every entry is untrusted: see tree-path.h. Errors name the layer and entry.
 */
int cnb__rootfs_apply_layers(const cnb_ctx *ctx, int root_fd, const cnb__rootfs_layer *layers, size_t n,
			     bool mapped, cnb_error **err);

/* True when `media_type` is a layer type we can read (OCI or Docker, tar with any of our compressions). */
bool cnb__rootfs_media_type_ok(const char *media_type);

#endif
