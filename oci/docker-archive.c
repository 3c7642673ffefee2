/* `docker save` format (moby image/tarexport): manifest.json = [{"Config", "RepoTags", "Layers"}], the config
 * as "<hex>.json", each layer uncompressed as "<diff_id hex>/layer.tar". docker load and skopeo's
 * docker-archive: transport read it. Layers are stored uncompressed, so each blob is inflated here and its
 * sha256 compared with the config's diff_id: the archive never holds a layer the config does not name. */
#include "docker-archive.h"
#include "image.h"
#include "digest.h"
#include "manifest.h"
#include "reference.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool cnb__oci_docker_archive_is(const char *dst)
{
	return dst && !strncmp(dst, CNB_DOCKER_ARCHIVE_PREFIX, strlen(CNB_DOCKER_ARCHIVE_PREFIX));
}

/* A scratch file next to the archive (same file system, removed on close). */
static int scratch_fd(const char *file, cnb_error **err)
{
	_cleanup_free_ char *tmpl = NULL;
	if (asprintf(&tmpl, "%s.layer-XXXXXX", file) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create a temporary file next to %s", file);
	unlink(tmpl);
	return fd;
}

static const cnb__tar_norm archive_norm = { .uid = 0, .gid = 0, .mtime = CNB_TAR_EPOCH };

static int add_layer(cnb_ctx *ctx, cnb__tar *t, const char *file, const cnb__oci_layer *l, const char *entry,
		     cnb_error **err)
{
	_cleanup_close_ int fd = scratch_fd(file, err);
	if (fd < 0)
		return fd;
	uint64_t size = 0;
	if (cnb__oci_layer_write_tar(ctx, l, fd, &size, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "rewind %s", entry);
	_cleanup_free_ char *dir = strndup(entry, strcspn(entry, "/"));
	if (!dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (cnb__tar_add_dir(t, dir, 0755, &archive_norm, err) < 0 ||
	    cnb__tar_add_fd(t, entry, 0644, fd, size, &archive_norm, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	return 0;
}

static int append_tag(json_t *tags, const cnb__oci_ref *ref, const char *tag)
{
	return json_array_append_new(tags, json_sprintf("%s/%s:%s", ref->registry, ref->repository, tag));
}

/* "registry/repository:tag" for REF and each extra tag, as docker save writes RepoTags; [] without REF. */
static json_t *repo_tags(const char *ref_text, const char *const *extra_tags, cnb_error **err)
{
	_cleanup_oci_ref_ cnb__oci_ref ref = CNB_OCI_REF_INIT;
	if (ref_text && cnb__oci_ref_parse(&ref, ref_text, err) < 0)
		return NULL;
	if (ref.digest) {
		cnb__error_set(err, CNB_EINVAL, "\"%s\": a docker archive names images by tag, not digest", ref_text);
		return NULL;
	}
	json_t *tags = json_array();
	int rc = tags ? 0 : -1;
	if (ref_text) {
		rc = rc < 0 ? rc : append_tag(tags, &ref, ref.tag);
		for (const char *const *t = extra_tags; rc == 0 && t && *t; t++)
			rc = append_tag(tags, &ref, *t);
	}
	if (rc < 0) {
		json_decref(tags);
		cnb__error_set(err, CNB_ENOMEM, "out of memory");
		return NULL;
	}
	return tags;
}

/* Writes the whole archive into fd. */
static int write_archive(cnb_ctx *ctx, cnb__oci_image *img, const char *file, int fd, json_t *tags, cnb_error **err)
{
	cnb__tar *t = NULL;
	if (cnb__tar_open(&t, fd, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	int rc = 0;
	json_t *layers = json_array();
	_cleanup_free_ char *config_name = NULL;
	if (!layers || asprintf(&config_name, "%s.json", img->config_digest + 7) < 0) {
		config_name = NULL;
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == 0 && i < img->n_layers; i++) {
		const cnb__oci_layer *l = &img->layers[i];
		char entry[CNB_OCI_DIGEST_SIZE + 16];
		snprintf(entry, sizeof(entry), "%s/layer.tar", l->diff_id + 7);
		bool seen = false;
		/* The same diff_id twice (an empty layer repeated) is one file named twice in Layers. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(img->layers[j].diff_id, l->diff_id);
		if (!seen)
			rc = add_layer(ctx, t, file, l, entry, err);
		if (rc == 0 && json_array_append_new(layers, json_string(entry)) < 0)
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = cnb__tar_add_data(t, config_name, 0644, img->config_raw, img->config_len, &archive_norm, err);
	if (rc == 0) {
		json_t *manifest = json_pack("[{s:s, s:O, s:O}]", "Config", config_name, "RepoTags", tags, "Layers", layers);
		_cleanup_free_ char *text = manifest ? json_dumps(manifest, JSON_COMPACT) : NULL;
		json_decref(manifest);
		rc = text ? cnb__tar_add_data(t, "manifest.json", 0644, text, strlen(text), &archive_norm, err)
			  : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	json_decref(layers);
	if (rc < 0) {
		cnb__tar_free(t);
		return rc;
	}
	return cnb__tar_finish(t, err);
}

int cnb__oci_docker_archive_write(cnb_ctx *ctx, cnb__oci_image *img, const char *dst, const char *const *extra_tags,
				  char **out_digest, cnb_error **err)
{
	if (out_digest)
		*out_digest = NULL;
	const char *spec = dst + strlen(CNB_DOCKER_ARCHIVE_PREFIX);
	const char *colon = strchr(spec, ':');
	_cleanup_free_ char *file = colon ? strndup(spec, (size_t)(colon - spec)) : strdup(spec);
	if (!file)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (!*file)
		return cnb__error_set(err, CNB_EPARSE, "invalid image location \"%s\": use docker-archive:FILE[:REF]", dst);
	json_t *tags = repo_tags(colon && colon[1] ? colon + 1 : NULL, extra_tags, err);
	if (!tags)
		return cnb__error_prefix(err, "write %s", dst);
	if (cnb__oci_image_serialize(img, err) < 0 || cnb__oci_image_fetch_layers(ctx, img, err) < 0) {
		json_decref(tags);
		return cnb__error_prefix(err, "write %s", dst);
	}
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = cnb__atomic_begin(file, &tmp, err);
	int rc = fd < 0 ? fd : write_archive(ctx, img, file, fd, tags, err);
	json_decref(tags);
	/* 0644 like docker save, not mkstemp's 0600: the archive is meant to be handed around. */
	if (fd >= 0)
		rc = cnb__atomic_finish(fd, tmp, file, 0644, rc, err);
	if (rc < 0)
		return cnb__error_prefix(err, "write %s", dst);
	cnb__api_log(ctx, CNB_LOG_DEBUG, "wrote %s: %s, %zu layers", dst, img->manifest_digest, img->n_layers);
	if (out_digest && !(*out_digest = strdup(img->manifest_digest)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}
