/*
 * The .cnb file of a buildpackage (distribution.md "Buildpackage"): an OCI image layout in a tar
 * (oci-layout, index.json, blobs/sha256/<hex>), as `pack buildpack package --format file` writes it.
 */
#ifndef CNB_BUILDPACK_PACKAGE_ARCHIVE_H
#define CNB_BUILDPACK_PACKAGE_ARCHIVE_H

#include <cnb/error.h>
#include "oci/image.h"

/* Bounds for .cnb files from elsewhere. */
#define CNB_BP_ARCHIVE_MAX_ENTRIES 4096
#define CNB_BP_ARCHIVE_MAX_BYTES (8ull << 30)

/*
 * Writes `img` (every layer local) as a .cnb at `path`, atomically. Byte-identical for the same image:
 * fixed entry order, owner 0:0, mtime at the reproducible-build epoch.
 */
int cnb__builder_bp_archive_write(cnb__oci_image *img, const char *path, cnb_error **err);

/*
 * Unpacks the .cnb at `path` into a new OCI layout directory `layout_dir`. Only oci-layout,
 * index.json (bounded) and blobs/sha256/<64 hex> regular files are taken, under those fixed names
 * (nothing else from the tar names a file); each blob must match its digest. Other entries are
 * ignored. Not a tar, or no index.json: CNB_EINVAL.
 */
int cnb__builder_bp_archive_unpack(const char *path, const char *layout_dir, cnb_error **err);

/* Reading an untrusted tar (maybe gzipped) entry by entry with libarchive, for .cnb files and
 * buildpack archives alike. */
struct archive;
struct archive_entry;
int cnb__builder_bp_archive_open(struct archive **out, int fd, cnb_error **err);
void cnb__builder_bp_archive_reader_free(struct archive **a);
/* The next header: 1, 0 at the end, or CNB_EINVAL (not a tar; entry `n` is past CNB_BP_ARCHIVE_MAX_ENTRIES). */
int cnb__builder_bp_archive_next(struct archive *a, struct archive_entry **e, size_t n, cnb_error **err);

#endif
