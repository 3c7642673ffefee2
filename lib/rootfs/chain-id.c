/* Chain ids of layer stacks. */
#include "chain-id.h"
#include "lib/common/error-internal.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

static bool sha256_digest_ok(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) || strlen(d) != 71)
		return false;
	return strspn(d + 7, "0123456789abcdef") == 64;
}

int cnb__rootfs_chain_id(const cnb__rootfs_layer *layers, size_t n, char out[CNB_CHAIN_ID_SIZE], cnb_error **err)
{
	if (n == 0)
		return cnb__error_set(err, CNB_EINVAL, "an image without layers has no chain id");
	for (size_t i = 0; i < n; i++) {
		if (!sha256_digest_ok(layers[i].diff_id))
			return cnb__error_set(err, CNB_EINVAL, "layer %zu (%s): diff_id '%s' is not a sha256 digest", i + 1,
					      layers[i].digest ? layers[i].digest : "?", layers[i].diff_id ? layers[i].diff_id : "");
		if (i == 0) {
			memcpy(out, layers[0].diff_id, CNB_CHAIN_ID_SIZE);
			continue;
		}
		char text[2 * CNB_CHAIN_ID_SIZE];
		int len = snprintf(text, sizeof(text), "%s %s", out, layers[i].diff_id);
		unsigned char md[SHA256_DIGEST_LENGTH];
		SHA256((const unsigned char *)text, (size_t)len, md);
		strcpy(out, "sha256:");
		for (int b = 0; b < SHA256_DIGEST_LENGTH; b++)
			snprintf(out + 7 + 2 * b, 3, "%02x", md[b]);
	}
	return 0;
}
