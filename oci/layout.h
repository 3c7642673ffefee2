/* OCI image layouts (image-spec image-layout.md): oci-layout, index.json, blobs/sha256/. */
#ifndef CNB_OCI_LAYOUT_H
#define CNB_OCI_LAYOUT_H

#include "image.h"
#include "platform.h"

#include <cnb/error.h>
#include <stdint.h>

#define CNB_OCI_REF_NAME "org.opencontainers.image.ref.name"

/* Loads the image named `tag` (NULL: the layout's only image) from `dir`, narrowing an index to `want`.
 * Manifest and config are verified; layers[].path point into the layout (not verified here). */
int cnb__oci_layout_read(const char *dir, const char *tag, const cnb__oci_platform *want, cnb__oci_image **out,
			 cnb_error **err);

/* Names a manifest (its blob already in the layout) `tag` in index.json, replacing an entry with that name
 * (tag NULL: entries without a name). Creates oci-layout when missing. index.json is replaced atomically. */
int cnb__oci_layout_tag(const char *dir, const char *tag, const char *media_type, const char *digest, uint64_t size,
			cnb_error **err);

#endif
