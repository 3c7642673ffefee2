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

/* Removes the entries named `tag` from index.json (atomically). CNB_ENOTFOUND when there is none. */
int cnb__oci_layout_untag(const char *dir, const char *tag, cnb_error **err);

/* The names (org.opencontainers.image.ref.name) in index.json, in index order, NULL-terminated
 * (cnb__strv_free). A missing layout is an empty list. */
int cnb__oci_layout_names(const char *dir, char ***out, cnb_error **err);

/* Deletes the blobs no index.json entry reaches (through manifests and indexes) and that were not
 * modified in the last `min_age_s` seconds: a writer puts blobs first and index.json last, so a fresh
 * blob may belong to an image being written. *freed gets the bytes removed. */
int cnb__oci_layout_gc(const char *dir, long min_age_s, uint64_t *freed, cnb_error **err);

#endif
