/* sha256 digests in OCI form ("sha256:<64 hex>"): streaming hashes, validation, files. */
#ifndef CNB_OCI_DIGEST_H
#define CNB_OCI_DIGEST_H

#include <cnb/error.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "sha256:" + 64 hex + NUL */
#define CNB_OCI_DIGEST_SIZE 72

typedef struct cnb__oci_hash {
	void *md; /* EVP_MD_CTX */
} cnb__oci_hash;

/* Each returns 0 or CNB_ENOMEM. */
int cnb__oci_hash_init(cnb__oci_hash *h);
void cnb__oci_hash_update(cnb__oci_hash *h, const void *data, size_t len);
/* Writes "sha256:<hex>" and frees the state; a later _free is harmless. */
void cnb__oci_hash_final(cnb__oci_hash *h, char out[CNB_OCI_DIGEST_SIZE]);
void cnb__oci_hash_free(cnb__oci_hash *h);

/* Digest of a buffer. */
void cnb__oci_digest_of(const void *data, size_t len, char out[CNB_OCI_DIGEST_SIZE]);

/* True for "sha256:" followed by exactly 64 lowercase hex digits: the only algorithm we fetch,
 * and the check that keeps a digest from a registry safe to use as a file name. */
bool cnb__oci_digest_valid(const char *digest);

/* Hashes a whole file; size may be NULL. */
int cnb__oci_digest_file(const char *path, char out[CNB_OCI_DIGEST_SIZE], uint64_t *size, cnb_error **err);

#endif
