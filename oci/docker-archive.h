/* `docker save` tarballs (what `docker load` reads): manifest.json, the config, one uncompressed tar per layer. */
#ifndef CNB_OCI_DOCKER_ARCHIVE_H
#define CNB_OCI_DOCKER_ARCHIVE_H

#include "image.h"

#include <stdbool.h>

#define CNB_DOCKER_ARCHIVE_PREFIX "docker-archive:"

/* True when `dst` is "docker-archive:FILE[:REF]". */
bool cnb__oci_docker_archive_is(const char *dst);

/*
 * Writes `img` to `dst` ("docker-archive:FILE[:REF]", skopeo's syntax: the first ':' after FILE starts REF,
 * a docker reference with a tag, recorded in RepoTags together with `extra_tags` in REF's repository).
 * Layers whose blob is not local are fetched first; gzip blobs are decompressed and checked against their
 * diff_id. FILE is replaced atomically (temp file in the same directory, then rename).
 * *out_digest (may be NULL) gets the manifest digest of the model, as a push would; caller frees.
 */
int cnb__oci_docker_archive_write(cnb_ctx *ctx, cnb__oci_image *img, const char *dst, const char *const *extra_tags,
				  char **out_digest, cnb_error **err);

#endif
