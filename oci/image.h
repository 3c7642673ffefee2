/*
 * The in-memory image model the rest of libcnb builds on (rootfs assembly, builder creation, export).
 *
 * An image is a config (parsed JSON) plus an ordered list of layers. It is pulled from a registry or
 * an OCI layout, or created empty; it can be changed (layers appended, config edited, annotations set)
 * and pushed to a registry or an OCI layout.
 *
 * Locations are strings in skopeo's syntax: "docker://REF", "oci:DIR[:TAG]", or a bare REF
 * (docker normalization: "alpine" is docker.io/library/alpine:latest).
 *
 * Blobs live in the context's store, <cache_dir>/blobs/sha256/<hex>: a blob is there only after its
 * sha256 matched. A layer's `path` points at its blob file (in the store or in a source OCI layout);
 * a layer with path NULL is known by descriptor only (run-image layers that are mounted on push,
 * never downloaded).
 *
 * Exactness: an image that was pulled and not changed keeps its manifest and config bytes, so pushing
 * it anywhere gives the same digest. Any change drops the raw bytes; they are regenerated
 * deterministically (OCI media types, compact JSON, config keys sorted) when pushed or serialized,
 * so the same model always gives the same manifest digest.
 *
 * Threads: an image is not locked; use one from one thread at a time. Different images may be
 * used concurrently. cnb__oci_layer_from_tar() is thread-safe (compress layers in parallel, then
 * append them in order).
 */
#ifndef CNB_OCI_IMAGE_H
#define CNB_OCI_IMAGE_H

#include <cnb/ctx.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct cnb__oci_layer {
	char *digest;        /* sha256 of the blob as stored (compressed) */
	char *diff_id;       /* sha256 of the uncompressed tar (config rootfs.diff_ids[i]) */
	uint64_t size;       /* blob size in bytes */
	char *media_type;    /* e.g. CNB_OCI_MT_LAYER_GZIP */
	char *path;          /* the verified blob file, or NULL when the blob is not local */
	char *source;        /* "registry/repository" the blob can be fetched or mounted from, or NULL */
	json_t *annotations; /* descriptor annotations (owned reference) or NULL */
} cnb__oci_layer;

typedef struct cnb__oci_image {
	/* Read these freely; change them only through the functions below. */
	char *source;              /* "registry/repository" it was pulled from, or NULL */
	char *manifest_digest;     /* digest of manifest_raw; NULL while the image has unsaved changes */
	char *manifest_media_type; /* media type of manifest_raw */
	char *manifest_raw;        /* exact manifest bytes (pulled or last serialized); NULL after a change */
	size_t manifest_len;
	char *index_digest;        /* the index the manifest was chosen from, or NULL */
	char *config_digest;       /* NULL after a change until serialized */
	char *config_media_type;
	char *config_raw;          /* exact config bytes; NULL after a change until serialized */
	size_t config_len;
	json_t *config;            /* the parsed config, never NULL; read-only (see cnb__oci_image_config_edit) */
	cnb__oci_layer *layers;
	size_t n_layers;
	json_t *annotations;       /* manifest annotations, never NULL (maybe empty); read-only */
} cnb__oci_image;

/* ---- getting an image ---- */

/*
 * Resolves `src` (an index is narrowed to `platform`, "os/arch[/variant]", NULL = the host's), fetches
 * manifest, config and every layer blob into the store (verified, 4 in parallel, resumable) and returns
 * the model. Caller frees with cnb__oci_image_free().
 * Errors name the image: "pull 127.0.0.1:5000/app:1: manifest: HTTP 404 MANIFEST_UNKNOWN: ...".
 */
int cnb__oci_image_pull(cnb_ctx *ctx, const char *src, const char *platform, cnb__oci_image **out, cnb_error **err);

/* Same, but only manifest and config: layers[] are descriptors (path set only when the blob is already
 * local). For inspect, previous-image analysis, run images. */
int cnb__oci_image_pull_config(cnb_ctx *ctx, const char *src, const char *platform, cnb__oci_image **out,
			       cnb_error **err);

/* Either of the two under a pull policy (a cnb_pull_policy of <cnb/build.h>): CNB_PULL_ALWAYS asks the
 * registry; CNB_PULL_IF_NOT_PRESENT first takes what an earlier registry pull of the same reference and
 * platform left in the store (oci/pull-memo.h), with every layer when `with_layers`; CNB_PULL_NEVER only
 * that, else CNB_ENOTFOUND naming what is missing. Layouts are always read. */
int cnb__oci_image_pull_policy(cnb_ctx *ctx, const char *src, const char *platform, bool with_layers, int32_t policy,
			       cnb__oci_image **out, cnb_error **err);

/* Fetches the blobs of every layer whose path is NULL into the store and sets their paths. */
int cnb__oci_image_fetch_layers(cnb_ctx *ctx, cnb__oci_image *img, cnb_error **err);

/* Fetches the blob of layer `i` alone (when its path is NULL) into the store and sets its path. */
int cnb__oci_image_fetch_layer(cnb_ctx *ctx, cnb__oci_image *img, size_t i, cnb_error **err);

/* A new empty image: linux/amd64 config with empty rootfs.diff_ids, empty config.config, no history. */
int cnb__oci_image_new(cnb__oci_image **out, cnb_error **err);

void cnb__oci_image_free(cnb__oci_image *img);
static inline void cnb__oci_image_freep(cnb__oci_image **img) { cnb__oci_image_free(*img); }
#define _cleanup_oci_image_ __attribute__((cleanup(cnb__oci_image_freep)))

/* ---- changing it ---- */

/* The config for editing (Env, Entrypoint, Labels, WorkingDir, User, history, created: the image-spec
 * config). Borrowed, valid while the image lives; marks the image changed. Keep rootfs.diff_ids to the
 * layer functions. */
json_t *cnb__oci_image_config_edit(cnb__oci_image *img);

/* The config's "architecture" ("amd64", "arm64"...), NULL when it has none. Borrowed. */
const char *cnb__oci_image_arch(const cnb__oci_image *img);

/* 0 when `platform` (NULL: nothing asked, always 0) fits the config's os/architecture/variant (a
 * single-platform image is taken as it is by the pull: this is where an explicit request meets it);
 * CNB_EUNSUPPORTED naming both otherwise. */
int cnb__oci_image_check_platform(const cnb__oci_image *img, const char *platform, cnb_error **err);

/* Sets the config's os, architecture and variant from "os/arch[/variant]" (NULL: the host's). */
int cnb__oci_image_set_platform(cnb__oci_image *img, const char *platform, cnb_error **err);

/*
 * Compresses an uncompressed layer tar with gzip (deterministic: no name or mtime in the header),
 * computing diff_id over the tar and digest over the gzip stream, and stores the blob. Fills *out
 * (media type CNB_OCI_MT_LAYER_GZIP, path in the store); free with cnb__oci_layer_clear().
 * Thread-safe; honours cancel through the progress callback. The tar must be a regular file and is
 * opened without following a final symlink (CNB_EUNSAFE otherwise).
 */
int cnb__oci_layer_from_tar(cnb_ctx *ctx, const char *tar_path, cnb__oci_layer *out, cnb_error **err);

/* The same from an open, already checked descriptor read from its current offset (not closed);
 * `tar_path` only names it in errors and progress. */
int cnb__oci_layer_from_fd(cnb_ctx *ctx, int fd, const char *tar_path, cnb__oci_layer *out, cnb_error **err);
void cnb__oci_layer_clear(cnb__oci_layer *l);

/* Writes the uncompressed tar of a local layer (gzip or plain tar) to out_fd, verifying it against
 * the layer's diff_id (CNB_EDIGEST on mismatch; CNB_EUNSUPPORTED for other media types). */
int cnb__oci_layer_write_tar(cnb_ctx *ctx, const cnb__oci_layer *l, int out_fd, uint64_t *out_size, cnb_error **err);

/* Appends a copy of `layer` on top and its diff_id to rootfs.diff_ids. digest, diff_id, size and
 * media_type are required; path and source may be NULL (a remote layer known by descriptor). */
int cnb__oci_image_append_layer(cnb__oci_image *img, const cnb__oci_layer *layer, cnb_error **err);

/* Convenience: cnb__oci_layer_from_tar() + cnb__oci_image_append_layer(). */
int cnb__oci_image_add_layer_tar(cnb_ctx *ctx, cnb__oci_image *img, const char *tar_path, cnb_error **err);

/* Sets (value non-NULL) or removes a manifest annotation. */
int cnb__oci_image_set_annotation(cnb__oci_image *img, const char *key, const char *value, cnb_error **err);

/* ---- writing it ---- */

/* Makes manifest_raw/config_raw and their digests current (no-op when unchanged). Deterministic. */
int cnb__oci_image_serialize(cnb__oci_image *img, cnb_error **err);

/*
 * Writes the image to `dst` (docker://REF or oci:DIR[:TAG]) and each of `extra_tags` (NULL-terminated tag
 * names in the same repository or layout; may be NULL). Registry: blobs the repository has are skipped
 * (HEAD), blobs from another repository of the same registry are mounted, others uploaded (fetched
 * first when not local). Layout: blobs first, index.json last (atomic rename).
 * *out_digest (may be NULL) gets the manifest digest; caller frees.
 */
int cnb__oci_image_push(cnb_ctx *ctx, cnb__oci_image *img, const char *dst, const char *const *extra_tags,
			char **out_digest, cnb_error **err);

/* Copies one image (the `platform` one of an index) from src to dst, keeping manifest bytes and digest. */
int cnb__oci_image_copy(cnb_ctx *ctx, const char *src, const char *dst, const char *platform, char **out_digest,
			cnb_error **err);

/* ---- for oci/ itself ---- */

/* Builds a model from manifest and config bytes (copied), pairing layers with config rootfs.diff_ids. */
int cnb__oci_image_from_bytes(cnb__oci_image **out, const char *manifest, size_t manifest_len,
			      const char *manifest_media_type, const char *config, size_t config_len, cnb_error **err);

#endif
