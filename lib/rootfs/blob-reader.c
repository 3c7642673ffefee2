/* Hashing reader for layer blobs. */
#include "blob-reader.h"
#include "lib/common/error-internal.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOB_READ_SIZE (1u << 20)

int cnb__rootfs_blob_reader_open(cnb__rootfs_blob_reader *r, const char *path, const char *digest, cnb_error **err)
{
	*r = (cnb__rootfs_blob_reader){ .fd = -1 };
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return cnb__error_errno(err, errno == ENOENT ? CNB_ENOTFOUND : CNB_EIO, errno, "open blob %s", path);
	struct stat st;
	if (fstat(r->fd, &st) == 0)
		r->size = (uint64_t)st.st_size;
	if (!(r->buf = malloc(BLOB_READ_SIZE)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (digest && !strncmp(digest, "sha256:", 7) && strlen(digest + 7) == 64) {
		memcpy(r->want_hex, digest + 7, 65);
		if (!(r->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(r->md, EVP_sha256(), NULL))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory (sha256)");
	}
	return 0;
}

static la_ssize_t on_read(struct archive *a, void *userdata, const void **out)
{
	cnb__rootfs_blob_reader *r = userdata;
	ssize_t n;
	do
		n = read(r->fd, r->buf, BLOB_READ_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->read_errno = errno;
		if (a)
			archive_set_error(a, errno, "read blob");
		return -1;
	}
	if (r->md)
		EVP_DigestUpdate(r->md, r->buf, (size_t)n);
	r->done += (uint64_t)n;
	*out = r->buf;
	return n;
}

int cnb__rootfs_blob_reader_attach(cnb__rootfs_blob_reader *r, struct archive *a)
{
	return archive_read_open(a, r, NULL, on_read, NULL);
}

int cnb__rootfs_blob_reader_finish(cnb__rootfs_blob_reader *r, cnb_error **err)
{
	const void *ignored;
	la_ssize_t n;
	while ((n = on_read(NULL, r, &ignored)) > 0)
		;
	if (n < 0)
		return cnb__error_errno(err, CNB_EIO, r->read_errno, "read blob");
	if (!r->md)
		return 0;
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_DigestFinal_ex(r->md, sum, &len);
	char hex[65];
	for (unsigned int i = 0; i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	if (strcmp(hex, r->want_hex))
		return cnb__error_set(err, CNB_EDIGEST, "blob content is sha256:%s, not the expected digest: "
				      "the blob store is corrupt, remove it and pull again", hex);
	return 0;
}

void cnb__rootfs_blob_reader_close(cnb__rootfs_blob_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	EVP_MD_CTX_free(r->md);
	free(r->buf);
	*r = (cnb__rootfs_blob_reader){ .fd = -1 };
}
