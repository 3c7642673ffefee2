/*
 * Garbage in a blob store (<root>/blobs/sha256): temp files of writers that died (kill -9, a
 * crash), partial downloads nobody resumes, and blobs nothing uses any more.
 *
 * Liveness is a lock, never a guess: every temp or partial file is flock'd by its writer for as
 * long as it writes, so a file whose lock can be taken belongs to a dead process. Whole-store
 * collection takes <root>/blobs/gc.lock exclusively; a build holds it shared from start to push
 * (cnb__oci_store_use), so blobs it has just written are never collected under it.
 */
#ifndef CNB_OCI_STORE_GC_H
#define CNB_OCI_STORE_GC_H

#include <cnb/error.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cnb__oci_gc_stats {
	size_t removed;   /* files removed */
	uint64_t freed;   /* their bytes */
	bool busy;        /* a build held the store: blobs were left alone */
} cnb__oci_gc_stats;

/* Removes ".tmp-*" files no live writer holds; also unheld ".partial" files when `partials` and
 * they were last written at least `partial_age` seconds ago. Never fails: a file that cannot be
 * examined stays. */
void cnb__oci_store_clean_temps(const char *root, bool partials, int64_t partial_age, cnb__oci_gc_stats *stats);

/*
 * Removes blobs that are not in `keep` (n digests "sha256:<hex>", any order), have no other hard
 * link (an OCI layout, e.g. a stored image, shares the file: removing it would free nothing) and
 * were last written at least `older_than` seconds ago (`all`: any age). Temp and partial files are
 * cleaned as by cnb__oci_store_clean_temps with the same age. Skipped (stats->busy) while a build
 * uses the store.
 */
int cnb__oci_store_gc(const char *root, const char *const *keep, size_t n, bool all, int64_t older_than,
		      cnb__oci_gc_stats *stats, cnb_error **err);

/* A shared hold on the store for the length of a build: returns an fd to close when done. */
int cnb__oci_store_use(const char *root, cnb_error **err);

#endif
