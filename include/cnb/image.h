/* libcnb — images: copy between registries and OCI layouts, inspect. */
#ifndef CNB_IMAGE_H
#define CNB_IMAGE_H

#include <cnb/common.h>
#include <cnb/ctx.h>
#include <cnb/error.h>

CNB_BEGIN_DECLS

/*
 * Image locations use skopeo's transport syntax:
 *   "docker://REF"    a registry image; REF is normalized like docker does
 *                     ("alpine" = "docker.io/library/alpine:latest"; "host:5000/app:1"; "app@sha256:…")
 *   "oci:DIR[:TAG]"   an OCI image layout directory (TAG: org.opencontainers.image.ref.name)
 *   "REF"             same as docker://REF
 * Registry credentials come from $CNB_REGISTRY_AUTH ({"host": "Basic <base64 user:pass>"}), then
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json (auths, credHelpers, credsStore).
 */

#define CNB_IMAGE_COPY_OPTS_VERSION 1

/** Options for cnb_image_copy(). Initialise with CNB_IMAGE_COPY_OPTS_INIT; fields only grow at the end. */
typedef struct cnb_image_copy_opts {
	unsigned int version;  /**< CNB_IMAGE_COPY_OPTS_VERSION */
	const char *platform;  /**< "os/arch[/variant]" chosen from a multi-platform index; NULL: the host's */
} cnb_image_copy_opts;

#define CNB_IMAGE_COPY_OPTS_INIT { CNB_IMAGE_COPY_OPTS_VERSION, NULL }

/**
 * Copies one image from `src` to `dst` (locations as above). The manifest bytes are kept, so the
 * digest is the same on both sides. Blobs are verified against their digests; nothing half-written
 * becomes visible on failure or cancel (progress callback returning non-zero).
 * `out_digest` (may be NULL) receives the manifest digest ("sha256:…"); caller frees with cnb_free().
 * `opts` may be NULL for defaults.
 */
CNB_EXTERN int cnb_image_copy(char **out_digest, cnb_ctx *ctx, const char *src, const char *dst,
			      const cnb_image_copy_opts *opts, cnb_error **err);

/**
 * Describes an image without downloading its layers, as a JSON object:
 * {"name", "digest", "mediaType", "indexDigest" (when chosen from an index), "platform",
 *  "configDigest", "config" (the image config), "layers": [{"digest","diffID","size","mediaType"}],
 *  "annotations"}.
 * `platform` as in cnb_image_copy_opts (NULL: the host's). Caller frees *out_json with cnb_free().
 */
CNB_EXTERN int cnb_image_inspect(char **out_json, cnb_ctx *ctx, const char *location, const char *platform,
				 cnb_error **err);

CNB_END_DECLS

#endif
