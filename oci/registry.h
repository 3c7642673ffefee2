/* A distribution-spec client for one registry host: manifests, blobs, uploads, mounts.
 * Thread-safe: layers are fetched and pushed from several threads through one client. */
#ifndef CNB_OCI_REGISTRY_H
#define CNB_OCI_REGISTRY_H

#include "digest.h"
#include "manifest.h"

#include <cnb/ctx.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct cnb__oci_registry cnb__oci_registry;

/* Opens a client and pings /v2/: HTTPS with the trust of oci/tls.h; for loopback and --insecure-registry
 * hosts HTTP when HTTPS fails for a reason other than a certificate (the scheme found is kept for the
 * process). --insecure-registry hosts are not verified over HTTPS, as docker does. CNB_ENETWORK when
 * unreachable or for a certificate problem (the message says which). */
int cnb__oci_registry_open(cnb__oci_registry **out, cnb_ctx *ctx, const char *registry, cnb_error **err);
void cnb__oci_registry_free(cnb__oci_registry *r);
const char *cnb__oci_registry_name(const cnb__oci_registry *r);

/* GETs a manifest or index by tag or digest (≤ CNB_OCI_MANIFEST_MAX). The digest is computed over the
 * bytes; when `selector` is a digest they must match (CNB_EDIGEST). Caller frees data and media_type. */
int cnb__oci_registry_get_manifest(cnb__oci_registry *r, const char *repo, const char *selector, char **data,
				   size_t *len, char **media_type, char digest[CNB_OCI_DIGEST_SIZE], cnb_error **err);

/* GETs a small blob (a config) into memory, verified. */
int cnb__oci_registry_get_blob(cnb__oci_registry *r, const char *repo, const char *digest, size_t max, char **data,
			       size_t *len, cnb_error **err);

/* Downloads a blob into the store at `store_root` unless there: streamed, verified, resumed from a
 * .partial with Range when the server allows, retried with backoff on 429/5xx/resets.
 * `label` names it in progress reports. */
int cnb__oci_registry_fetch_blob(cnb__oci_registry *r, const char *repo, const char *digest, uint64_t size,
				 const char *store_root, const char *label, cnb_error **err);

/* HEAD: does `repo` have the blob? */
int cnb__oci_registry_blob_exists(cnb__oci_registry *r, const char *repo, const char *digest, bool *exists,
				  cnb_error **err);

/* Cross-repository mount from `from_repo` on the same registry; *mounted false means the registry
 * declined (the caller uploads instead). */
int cnb__oci_registry_mount_blob(cnb__oci_registry *r, const char *repo, const char *digest, const char *from_repo,
				 bool *mounted, cnb_error **err);

/* Uploads the file at `path` (size bytes, known digest): one PUT, or PATCH chunks when the blob is larger
 * than $CNB_REGISTRY_CHUNK_SIZE (bytes; default 256 MiB, 0: never chunk). */
int cnb__oci_registry_upload_blob(cnb__oci_registry *r, const char *repo, const char *digest, uint64_t size,
				  const char *path, const char *label, cnb_error **err);

/* PUTs a manifest under `ref` (tag or digest). Checks that the registry's Docker-Content-Digest is ours. */
int cnb__oci_registry_put_manifest(cnb__oci_registry *r, const char *repo, const char *ref, const char *media_type,
				   const char *data, size_t len, cnb_error **err);

#endif
