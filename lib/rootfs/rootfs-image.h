/* Root filesystems of images from the OCI image model (oci/image.h). */
#ifndef CNB_ROOTFS_IMAGE_H
#define CNB_ROOTFS_IMAGE_H

#include <stdbool.h>
#include "layer-apply.h"
#include "oci/image.h"

/* The image's layers as cnb__rootfs_layer (strings borrowed from img). Every layer must be local
 * (cnb__oci_image_pull fetched it). Caller frees the array. */
int cnb__rootfs_layers_of(const cnb__oci_image *img, cnb__rootfs_layer **out, cnb_error **err);

/* cnb__rootfs_assemble() of the image's layers: the cached tree (see rootfs-cache.h). */
int cnb__rootfs_assemble_image(const cnb_ctx *ctx, const cnb__oci_image *img, bool mapped, char **out_path,
			       int *out_lock_fd, cnb_error **err);

#endif
