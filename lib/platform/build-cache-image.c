/* Build cache in a registry image. */
#include "build-cache-image.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/export/image-config.h"
#include "lib/common/tar-writer.h"
#include "oci/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cnb__platform_build_cache_image_stage_in(cnb_ctx *ctx, const char *ref, const char *platform, const char *job_cache,
				    cnb__platform_cache_stats *stats, cnb_error **err)
{
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	cnb_error *perr = NULL;
	if (cnb__oci_image_pull(ctx, ref, platform, &img, &perr) < 0) {
		int code = cnb_error_code_of(perr);
		if (code == CNB_ENOTFOUND) {
			cnb_error_free(perr);
			return 0; /* the first build with this cache image */
		}
		cnb__error_pass(err, perr, code);
		return cnb__error_prefix(err, "cache image %s", ref) ?: code;
	}
	/* A one-platform cache image of another platform (an index gave us ours, or nothing) */
	if (cnb__oci_image_check_platform(img, platform, &perr) < 0) {
		cnb__api_log(ctx, CNB_LOG_WARN, "cache image %s: %s: building without it", ref, cnb_error_message(perr));
		cnb_error_free(perr);
		return 0;
	}
	const json_t *labels = json_object_get(json_object_get(img->config, "config"), "Labels");
	const char *meta = json_string_value(json_object_get(labels, CNB_CACHE_IMAGE_LABEL));
	if (!meta)
		return cnb__error_set(err, CNB_EINVAL, "cache image %s has no %s label: is it a build cache? Use another "
							   "--cache-image or --clear-cache", ref, CNB_CACHE_IMAGE_LABEL);
	for (size_t i = 0; i < img->n_layers; i++) {
		const cnb__oci_layer *l = &img->layers[i];
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s/%s.tar", job_cache, l->diff_id + 7) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		uint64_t size;
		if (fd < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "create %s", path);
		int r = cnb__oci_layer_write_tar(ctx, l, fd, &size, err);
		if (r < 0)
			return cnb__error_prefix(err, "cache image %s", ref);
		stats->restored++;
	}
	_cleanup_free_ char *meta_path = cnb__path_join(job_cache, "cache.json");
	return meta_path ? cnb__write_file_atomic(meta_path, meta, strlen(meta), 0644, err)
			 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

int cnb__platform_build_cache_image_make(cnb_ctx *ctx, const char *out_dir, const char *platform, cnb__platform_cache_stats *stats,
				cnb__oci_image **out, cnb_error **err)
{
	cnb__platform_cache_plan plan;
	int r = cnb__platform_cache_plan_read(out_dir, &plan, err);
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	if (r == 0)
		r = cnb__oci_image_new(&img, err);
	if (r == 0)
		r = cnb__oci_image_set_platform(img, platform, err);
	char created[32];
	cnb__export_rfc3339(CNB_TAR_EPOCH, created);
	for (size_t i = 0; r == 0 && i < plan.n; i++) {
		cnb__oci_layer layer = { 0 };
		r = cnb__oci_layer_from_tar(ctx, plan.layers[i].path, &layer, err);
		if (r == 0)
			r = cnb__oci_image_append_layer(img, &layer, err);
		if (r == 0 && cnb__export_image_history_add(cnb__oci_image_config_edit(img), created, "Build cache layer") < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		cnb__oci_layer_clear(&layer);
		stats->committed += r == 0;
	}
	char *text = r == 0 ? json_dumps(plan.metadata, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (r == 0 && !text)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r == 0) {
		json_t *config = cnb__oci_image_config_edit(img);
		json_t *labels = cnb__export_image_config_labels(config);
		if (!labels || json_object_set_new(labels, CNB_CACHE_IMAGE_LABEL, json_string(text)) < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		json_object_set_new(config, "created", json_string(created));
	}
	free(text);
	cnb__platform_cache_plan_free(&plan);
	if (r == 0)
		*out = TAKE_PTR(img);
	return r;
}

int cnb__platform_build_cache_image_commit(cnb_ctx *ctx, const char *ref, const char *out_dir, const char *platform,
				  cnb__platform_cache_stats *stats, cnb_error **err)
{
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	int r = cnb__platform_build_cache_image_make(ctx, out_dir, platform, stats, &img, err);
	if (r == 0)
		r = cnb__oci_image_push(ctx, img, ref, NULL, NULL, err);
	return r < 0 ? cnb__error_prefix(err, "cache image %s", ref) : 0;
}
