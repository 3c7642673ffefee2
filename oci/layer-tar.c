/* A layer blob back to its tar: inflated (gzip) or copied (plain tar), with the result's sha256
 * checked against the layer's diff_id, so no caller ever uses content the config does not name. */
#include "image.h"
#include "digest.h"
#include "manifest.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK (1u << 20)

static void inflate_endp(z_stream **z)
{
	if (*z)
		inflateEnd(*z);
}

static bool is_gzip(const char *mt)
{
	return !strcmp(mt, CNB_OCI_MT_LAYER_GZIP) || !strcmp(mt, CNB_DOCKER_MT_LAYER_GZIP) ||
	       !strcmp(mt, CNB_DOCKER_MT_LAYER_FOREIGN);
}

int cnb__oci_layer_write_tar(cnb_ctx *ctx, const cnb__oci_layer *l, int out_fd, uint64_t *out_size, cnb_error **err)
{
	bool gzip = is_gzip(l->media_type);
	if (!gzip && strcmp(l->media_type, CNB_OCI_MT_LAYER_TAR))
		return cnb__error_set(err, CNB_EUNSUPPORTED, "layer %s: media type %s cannot be unpacked to a tar here (gzip or plain tar only)",
				      l->digest, l->media_type);
	_cleanup_close_ int fd = open(l->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "layer %s: open %s", l->digest, l->path);
	_cleanup_free_ unsigned char *in = malloc(CHUNK), *out = malloc(CHUNK);
	if (!in || !out)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	z_stream zs = { 0 };
	_cleanup_(inflate_endp) z_stream *z = NULL;
	/* 15 + 32: zlib detects the gzip header itself. */
	if (gzip && inflateInit2(&zs, 15 + 32) != Z_OK)
		return cnb__error_set(err, CNB_ENOMEM, "layer %s: zlib init failed", l->digest);
	if (gzip)
		z = &zs;
	cnb__oci_hash h;
	if (cnb__oci_hash_init(&h) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = 0, zrc = Z_OK;
	uint64_t done = 0, size = 0;
	char label[40];
	snprintf(label, sizeof(label), "archive %.19s", l->digest);
	for (;;) {
		ssize_t n = read(fd, in, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = cnb__error_errno(err, CNB_EIO, errno, "layer %s: read", l->digest);
			break;
		}
		if (n == 0)
			break;
		done += (uint64_t)n;
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		/* A full output buffer may leave inflated bytes inside zlib with no input left: call again. */
		while (rc == 0 && (gzip ? zs.avail_in > 0 || (zs.avail_out == 0 && zrc == Z_OK) : n > 0)) {
			size_t produced = (size_t)n;
			const unsigned char *data = in;
			if (gzip) {
				/* Several gzip members are one stream (RFC 1952); a new member starts after Z_STREAM_END. */
				if (zrc == Z_STREAM_END && inflateReset(&zs) != Z_OK)
					zrc = Z_DATA_ERROR;
				zs.next_out = out;
				zs.avail_out = CHUNK;
				zrc = inflate(&zs, Z_NO_FLUSH);
				if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
					rc = cnb__error_set(err, CNB_EDIGEST, "layer %s: corrupt gzip data (%s)", l->digest,
							    zs.msg ? zs.msg : "inflate failed");
					break;
				}
				produced = CHUNK - zs.avail_out;
				data = out;
			} else {
				n = 0;
			}
			cnb__oci_hash_update(&h, data, produced);
			size += produced;
			if (cnb__write_all(out_fd, data, produced) < 0)
				rc = cnb__error_errno(err, CNB_EIO, errno, "layer %s: write", l->digest);
		}
		if (rc == 0 && cnb__api_progress(ctx, label, done, l->size))
			rc = cnb__error_set(err, CNB_ECANCELED, "layer %s: canceled", l->digest);
		if (rc < 0)
			break;
	}
	char got[CNB_OCI_DIGEST_SIZE];
	cnb__oci_hash_final(&h, got);
	if (rc < 0)
		return rc;
	if (gzip && zrc != Z_STREAM_END)
		return cnb__error_set(err, CNB_EDIGEST, "layer %s: gzip data ends early", l->digest);
	if (strcmp(got, l->diff_id))
		return cnb__error_set(err, CNB_EDIGEST, "layer %s: uncompressed content is %s, the config says %s", l->digest,
				      got, l->diff_id);
	*out_size = size;
	return 0;
}

