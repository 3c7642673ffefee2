/* sha256 over OpenSSL's EVP interface (the low-level SHA256_* calls are deprecated in OpenSSL 3). */
#include "digest.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void format_digest(const unsigned char raw[32], char out[CNB_OCI_DIGEST_SIZE])
{
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++) {
		out[7 + 2 * i] = "0123456789abcdef"[raw[i] >> 4];
		out[8 + 2 * i] = "0123456789abcdef"[raw[i] & 15];
	}
	out[71] = '\0';
}

int cnb__oci_hash_init(cnb__oci_hash *h)
{
	h->md = EVP_MD_CTX_new();
	if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		cnb__oci_hash_free(h);
		return CNB_ENOMEM;
	}
	return 0;
}

void cnb__oci_hash_update(cnb__oci_hash *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->md, data, len);
}

void cnb__oci_hash_final(cnb__oci_hash *h, char out[CNB_OCI_DIGEST_SIZE])
{
	unsigned char raw[32];
	unsigned int n = 0;
	EVP_DigestFinal_ex(h->md, raw, &n);
	format_digest(raw, out);
	cnb__oci_hash_free(h);
}

void cnb__oci_hash_free(cnb__oci_hash *h)
{
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}

void cnb__oci_digest_of(const void *data, size_t len, char out[CNB_OCI_DIGEST_SIZE])
{
	unsigned char raw[32];
	EVP_Digest(data, len, raw, NULL, EVP_sha256(), NULL);
	format_digest(raw, out);
}

bool cnb__oci_digest_valid(const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) || strlen(digest) != 71)
		return false;
	for (const char *p = digest + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int cnb__oci_digest_file(const char *path, char out[CNB_OCI_DIGEST_SIZE], uint64_t *size, cnb_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", path);
	cnb__oci_hash h;
	if (cnb__oci_hash_init(&h) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_free_ char *buf = malloc(1 << 17);
	if (!buf) {
		cnb__oci_hash_free(&h);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 17);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			cnb__oci_hash_free(&h);
			return cnb__error_errno(err, CNB_EIO, e, "read %s", path);
		}
		if (n == 0)
			break;
		cnb__oci_hash_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	cnb__oci_hash_final(&h, out);
	if (size)
		*size = total;
	return 0;
}
