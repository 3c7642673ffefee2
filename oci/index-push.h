/* Pushing a multi-platform image: every platform's image, then one OCI image index naming them. */
#ifndef CNB_OCI_INDEX_PUSH_H
#define CNB_OCI_INDEX_PUSH_H

#include "image.h"

#include <cnb/ctx.h>
#include <cnb/error.h>

/*
 * Pushes imgs[0..n) (each with its config's os/architecture/variant) and then an OCI image index
 * (image-spec image-index.md) referencing them, under `dst` (a registry reference or oci:DIR[:TAG]).
 * In a registry the platform images are pushed by digest, so the tag only ever names the index.
 * *out_digest (may be NULL; caller frees) is the index's digest, *out_size (may be NULL) its length.
 * CNB_EINVAL for an empty list, a docker-archive destination or two images of the same platform.
 */
int cnb__oci_index_push(cnb_ctx *ctx, cnb__oci_image *const *imgs, size_t n, const char *dst, char **out_digest,
			size_t *out_size, cnb_error **err);

#endif
