/* Image manifests and indexes (OCI and Docker schema 2): parsing, validation, platform selection. */
#ifndef CNB_OCI_MANIFEST_H
#define CNB_OCI_MANIFEST_H

#include "platform.h"

#include <cnb/error.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Registry responses above this are refused: manifests and configs are small, and we hold them in memory. */
#define CNB_OCI_MANIFEST_MAX (4u << 20)

#define CNB_OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define CNB_OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define CNB_OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define CNB_OCI_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define CNB_OCI_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define CNB_OCI_MT_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define CNB_DOCKER_MT_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define CNB_DOCKER_MT_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define CNB_DOCKER_MT_CONFIG "application/vnd.docker.container.image.v1+json"
#define CNB_DOCKER_MT_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define CNB_DOCKER_MT_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* What we send in Accept when fetching a manifest by tag. */
#define CNB_OCI_MANIFEST_ACCEPT \
	CNB_OCI_MT_MANIFEST ", " CNB_OCI_MT_INDEX ", " CNB_DOCKER_MT_MANIFEST ", " CNB_DOCKER_MT_LIST

typedef struct cnb__oci_desc {
	char *media_type;
	char *digest;        /* validated "sha256:<hex>" */
	uint64_t size;
	json_t *annotations; /* owned reference or NULL */
} cnb__oci_desc;

typedef struct cnb__oci_manifest {
	char *media_type;     /* of the manifest itself */
	cnb__oci_desc config;
	cnb__oci_desc *layers;
	size_t n_layers;
	json_t *annotations;  /* owned reference or NULL */
} cnb__oci_manifest;

/* True for the index / manifest-list media types. */
bool cnb__oci_media_type_is_index(const char *media_type);
/* True for the single-image manifest media types. */
bool cnb__oci_media_type_is_manifest(const char *media_type);

/* The document's media type: its mediaType field, else the HTTP Content-Type (`content_type`, may be
 * NULL), else guessed from "manifests" vs "layers". Returns a pointer into `root` or to a constant. */
const char *cnb__oci_doc_media_type(json_t *root, const char *content_type);

/* Parses an image manifest (not an index). CNB_EPARSE with the field at fault on bad input. */
int cnb__oci_manifest_parse(cnb__oci_manifest *out, const char *data, size_t len, const char *content_type,
			    cnb_error **err);
void cnb__oci_manifest_clear(cnb__oci_manifest *m);

/* Picks the manifest for `want` from an index, skipping attestation entries (platform unknown/unknown).
 * CNB_ENOTFOUND lists the platforms that are there. */
int cnb__oci_index_select(cnb__oci_desc *out, const char *data, size_t len, const cnb__oci_platform *want,
			  cnb_error **err);

/* Reads a descriptor object; `what` names it in errors ("layers[2]"). */
int cnb__oci_desc_parse(cnb__oci_desc *out, json_t *obj, const char *what, cnb_error **err);
void cnb__oci_desc_clear(cnb__oci_desc *d);

/* Builds a descriptor object {"mediaType","digest","size"[,"annotations"]} (new reference, NULL on OOM). */
json_t *cnb__oci_desc_to_json(const cnb__oci_desc *d);

#endif
