/* Feeds a layer blob to libarchive while hashing it, so the digest is checked in the same pass. */
#ifndef CNB_ROOTFS_BLOB_READER_H
#define CNB_ROOTFS_BLOB_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <cnb/error.h>

struct archive;

typedef struct cnb__rootfs_blob_reader {
	int fd;
	void *md;          /* EVP_MD_CTX, NULL when the digest is not sha256 or not given */
	char want_hex[65];
	unsigned char *buf;
	uint64_t done;     /* bytes read so far */
	uint64_t size;
	int read_errno;
} cnb__rootfs_blob_reader;

/* Opens `path`; `digest` "sha256:<hex>" (or NULL) is verified by cnb__rootfs_blob_reader_finish(). */
int cnb__rootfs_blob_reader_open(cnb__rootfs_blob_reader *r, const char *path, const char *digest, cnb_error **err);

/* Attaches the reader as `a`'s input (libarchive then detects gzip/zstd/plain by magic bytes). */
int cnb__rootfs_blob_reader_attach(cnb__rootfs_blob_reader *r, struct archive *a);

/* Reads what libarchive left (tar padding after the end marker) and compares the digest. */
int cnb__rootfs_blob_reader_finish(cnb__rootfs_blob_reader *r, cnb_error **err);

void cnb__rootfs_blob_reader_close(cnb__rootfs_blob_reader *r);

#endif
