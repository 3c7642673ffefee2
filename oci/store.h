/* Content-addressed blob directories shaped like an OCI layout: <root>/blobs/sha256/<hex>.
 * The cache (<cache_dir>) and every OCI layout use the same code. A blob becomes visible only
 * after its bytes were hashed and matched: written to a temp or .partial file, then renamed. */
#ifndef CNB_OCI_STORE_H
#define CNB_OCI_STORE_H

#include "digest.h"

#include <cnb/error.h>
#include <stdbool.h>
#include <stdint.h>

/* "<root>/blobs/sha256/<hex>" (malloc'd, NULL on OOM). `digest` must be valid. */
char *cnb__oci_store_path(const char *root, const char *digest);

/* True when the blob is there with `size` bytes (size UINT64_MAX: any). Existence is trusted: nothing
 * unverified is ever renamed into place. */
bool cnb__oci_store_has(const char *root, const char *digest, uint64_t size);

typedef struct cnb__oci_blob_writer {
	int fd;
	int lock_fd;          /* the .partial file, flock'd so concurrent processes do not interleave */
	char *tmp_path;       /* .partial (known digest) or a mkstemp name (digest computed at commit) */
	char *final_path;     /* NULL until known */
	char *root;
	char expect[CNB_OCI_DIGEST_SIZE]; /* "" when unknown */
	uint64_t expect_size;  /* UINT64_MAX when unknown */
	uint64_t written;      /* bytes in the file, including resumed ones */
	cnb__oci_hash hash;
	bool present;          /* another writer finished the same blob meanwhile: nothing to do */
} cnb__oci_blob_writer;

/*
 * Starts writing a blob. With `expect_digest`, bytes go to "<hex>.partial"; when `resume` is true an
 * existing partial is kept (its bytes are re-hashed) and w->written says where to continue, otherwise it
 * is truncated. Without a digest (e.g. a layer being compressed), a temp file is used.
 * If the blob is already present (maybe after waiting for another process), w->present is set.
 */
int cnb__oci_blob_writer_open(cnb__oci_blob_writer *w, const char *root, const char *expect_digest, uint64_t expect_size,
			      bool resume, cnb_error **err);
int cnb__oci_blob_writer_write(cnb__oci_blob_writer *w, const void *data, size_t len, cnb_error **err);
/* Drops what was written so far and starts over at byte 0 (a resume that went wrong). */
int cnb__oci_blob_writer_restart(cnb__oci_blob_writer *w, cnb_error **err);
/* Checks size and digest, then renames into place. On mismatch the partial is deleted: CNB_EDIGEST.
 * `out_digest` (may be NULL) receives the digest. The writer is closed either way. */
int cnb__oci_blob_writer_commit(cnb__oci_blob_writer *w, char out_digest[CNB_OCI_DIGEST_SIZE], cnb_error **err);
/* Closes without committing; keeps a .partial for a later resume when `keep_partial`. Idempotent. */
void cnb__oci_blob_writer_abort(cnb__oci_blob_writer *w, bool keep_partial);

/* Makes the blob at `src_path` appear in `dst_root` (hard link, else copy through a temp file). */
int cnb__oci_store_import(const char *src_path, const char *dst_root, const char *digest, cnb_error **err);

/* Stores a small in-memory blob (config, manifest); *digest_out (may be NULL) receives its digest. */
int cnb__oci_store_put_bytes(const char *root, const void *data, size_t len, char digest_out[CNB_OCI_DIGEST_SIZE],
			     cnb_error **err);

/* Reads a small blob (≤ max bytes) and checks it against its digest. Caller frees *data. */
int cnb__oci_store_read_bytes(const char *root, const char *digest, size_t max, char **data, size_t *len,
			      cnb_error **err);

#endif
