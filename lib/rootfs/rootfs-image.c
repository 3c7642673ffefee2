/* Image model → rootfs layers. */
#include "rootfs-image.h"
#include "rootfs-cache.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <stdlib.h>

int cnb__rootfs_layers_of(const cnb__oci_image *img, cnb__rootfs_layer **out, cnb_error **err)
{
	cnb__rootfs_layer *layers = calloc(img->n_layers + 1, sizeof(*layers));
	if (!layers)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < img->n_layers; i++) {
		const cnb__oci_layer *l = &img->layers[i];
		if (!l->path) {
			free(layers);
			return cnb__error_set(err, CNB_EINVAL, "layer %s is not local: pull the image's layers first", l->digest);
		}
		layers[i] = (cnb__rootfs_layer){ l->path, l->media_type, l->digest, l->diff_id };
	}
	*out = layers;
	return 0;
}

int cnb__rootfs_assemble_image(const cnb_ctx *ctx, const cnb__oci_image *img, bool mapped, char **out_path,
			       int *out_lock_fd, cnb_error **err)
{
	_cleanup_free_ cnb__rootfs_layer *layers = NULL;
	int r = cnb__rootfs_layers_of(img, &layers, err);
	return r < 0 ? r : cnb__rootfs_assemble(ctx, layers, img->n_layers, mapped, out_path, out_lock_fd, err);
}
