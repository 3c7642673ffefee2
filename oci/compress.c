/* Layer blobs from uncompressed tars. gzip through zlib at level 6 (what registries and docker expect);
 * deflateInit2 with windowBits 31 writes a gzip header without name or mtime, so output is reproducible.
 * The tar is read through one descriptor that was checked (regular file, opened without following a
 * link): the tar may come from an untrusted build, which could swap the path between check and read.
 * This file uses image.c (layers, appending); image.c never calls back here. */
#include "digest.h"
#include "image.h"
#include "manifest.h"
#include "store.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IN_CHUNK (1u << 20)
#define OUT_CHUNK (1u << 20)
#define GZIP_LEVEL 6

static void deflate_endp(z_stream **z)
{
	if (*z)
		deflateEnd(*z);
}

int cnb__oci_layer_from_fd(cnb_ctx *ctx, int fd, const char *tar_path, cnb__oci_layer *out, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ unsigned char *in = malloc(IN_CHUNK);
	_cleanup_free_ unsigned char *outbuf = malloc(OUT_CHUNK);
	z_stream zs = { 0 };
	_cleanup_(deflate_endp) z_stream *z = NULL;
	if (!in || !outbuf)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (deflateInit2(&zs, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return cnb__error_set(err, CNB_ENOMEM, "layer %s: zlib init failed", tar_path);
	z = &zs;
	cnb__oci_hash diff;
	if (cnb__oci_hash_init(&diff) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__oci_blob_writer w;
	if (cnb__oci_blob_writer_open(&w, ctx->cache_dir, NULL, UINT64_MAX, false, err) < 0) {
		cnb__oci_hash_free(&diff);
		return cnb__error_prefix(err, "layer %s", tar_path);
	}
	int rc = 0;
	uint64_t done = 0;
	char label[64];
	snprintf(label, sizeof(label), "compress %s", strrchr(tar_path, '/') ? strrchr(tar_path, '/') + 1 : tar_path);
	for (int flush = Z_NO_FLUSH; rc == 0 && flush != Z_FINISH;) {
		ssize_t n = read(fd, in, IN_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = cnb__error_errno(err, CNB_EIO, errno, "read %s", tar_path);
			break;
		}
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		cnb__oci_hash_update(&diff, in, (size_t)n);
		done += (uint64_t)n;
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		do {
			zs.next_out = outbuf;
			zs.avail_out = OUT_CHUNK;
			deflate(&zs, flush);
			rc = cnb__oci_blob_writer_write(&w, outbuf, OUT_CHUNK - zs.avail_out, err);
		} while (rc == 0 && zs.avail_out == 0);
		if (rc == 0 && cnb__api_progress(ctx, label, done, 0))
			rc = cnb__error_set(err, CNB_ECANCELED, "layer %s: canceled", tar_path);
	}
	char diff_id[CNB_OCI_DIGEST_SIZE], digest[CNB_OCI_DIGEST_SIZE];
	cnb__oci_hash_final(&diff, diff_id);
	if (rc < 0) {
		cnb__oci_blob_writer_abort(&w, false);
		return rc;
	}
	uint64_t size = w.written;
	if (cnb__oci_blob_writer_commit(&w, digest, err) < 0)
		return cnb__error_prefix(err, "layer %s", tar_path);
	out->digest = strdup(digest);
	out->diff_id = strdup(diff_id);
	out->media_type = strdup(CNB_OCI_MT_LAYER_GZIP);
	out->path = cnb__oci_store_path(ctx->cache_dir, digest);
	out->size = size;
	if (!out->digest || !out->diff_id || !out->media_type || !out->path) {
		cnb__oci_layer_clear(out);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

int cnb__oci_layer_from_tar(cnb_ctx *ctx, const char *tar_path, cnb__oci_layer *out, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_close_ int fd = open(tar_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC); /* a fifo must not block */
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "layer %s", tar_path);
	if (!S_ISREG(st.st_mode))
		return cnb__error_set(err, CNB_EUNSAFE, "layer %s is not a regular file", tar_path);
	return cnb__oci_layer_from_fd(ctx, fd, tar_path, out, err);
}

int cnb__oci_image_add_layer_tar(cnb_ctx *ctx, cnb__oci_image *img, const char *tar_path, cnb_error **err)
{
	cnb__oci_layer l = { 0 };
	int rc = cnb__oci_layer_from_tar(ctx, tar_path, &l, err);
	if (rc == 0)
		rc = cnb__oci_image_append_layer(img, &l, err);
	cnb__oci_layer_clear(&l);
	return rc;
}
