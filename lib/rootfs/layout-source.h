/*
 * Interim image source for `oci:DIR[:TAG]` (an OCI image layout on disk) until the registry
 * client's cnb__oci_image_pull() (oci/image.h) lands; then this file goes and callers take the
 * layers from the image model. Layout content is untrusted: digests are validated before they
 * become file names, and blobs are verified while they are applied.
 */
#ifndef CNB_ROOTFS_LAYOUT_SOURCE_H
#define CNB_ROOTFS_LAYOUT_SOURCE_H

#include <jansson.h>
#include <stddef.h>
#include <cnb/ctx.h>
#include "layer-apply.h"

typedef struct cnb__rootfs_source {
	cnb__rootfs_layer *layers; /* strings owned by the source */
	size_t n_layers;
	json_t *config;            /* the image config document */
	char *name;                /* the reference, for messages */
} cnb__rootfs_source;

/* `ref`: "oci:DIR[:TAG]" (TAG may be omitted when the layout holds one image). `platform`
 * "os/arch" picks from a nested index (NULL: linux and the host's architecture). */
int cnb__rootfs_source_open(const cnb_ctx *ctx, const char *ref, const char *platform, cnb__rootfs_source **out,
			    cnb_error **err);
void cnb__rootfs_source_free(cnb__rootfs_source *s);
static inline void cnb__rootfs_source_freep(cnb__rootfs_source **s) { cnb__rootfs_source_free(*s); }
#define _cleanup_rootfs_source_ __attribute__((cleanup(cnb__rootfs_source_freep)))

#endif
