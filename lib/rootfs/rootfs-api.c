/* The public rootfs API: cnb_image_unpack (include/cnb/image.h), the cache get/list/prune (include/cnb/rootfs.h). */
#include "rootfs-cache.h"
#include "rootfs-image.h"
#include "lib/api/ctx-internal.h"
#include "lib/api/opts.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <cnb/image.h>
#include <cnb/rootfs.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

CNB__DEFINE_OPTS_INIT(cnb_image_unpack_opts, CNB_IMAGE_UNPACK_OPTS_VERSION, CNB_IMAGE_UNPACK_OPTS_INIT)
CNB__DEFINE_OPTS_INIT(cnb_rootfs_cache_get_opts, CNB_ROOTFS_CACHE_GET_OPTS_VERSION, CNB_ROOTFS_CACHE_GET_OPTS_INIT)
CNB__DEFINE_OPTS_INIT(cnb_rootfs_cache_prune_opts, CNB_ROOTFS_CACHE_PRUNE_OPTS_VERSION, CNB_ROOTFS_CACHE_PRUNE_OPTS_INIT)

static int resolve_mapped(int32_t metadata, bool *mapped, cnb_error **err)
{
	switch (metadata) {
	case CNB_ROOTFS_METADATA_AUTO:
#ifdef __linux__
		*mapped = geteuid() != 0;
#else
		*mapped = true;
#endif
		return 0;
	case CNB_ROOTFS_METADATA_REAL:
		*mapped = false;
		return 0;
	case CNB_ROOTFS_METADATA_MAPPED_XATTR:
		*mapped = true;
		return 0;
	}
	return cnb__error_set(err, CNB_EINVAL, "unknown metadata form %d: use a cnb_rootfs_metadata", (int)metadata);
}

int cnb_image_unpack(cnb_ctx *ctx, const char *image_ref, const char *dest_dir, const cnb_image_unpack_opts *opts,
		     cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_image_unpack_opts defaults = CNB_IMAGE_UNPACK_OPTS_INIT;
	bool mapped = false;
	if (!ctx || !image_ref || !dest_dir)
		return cnb__error_set(err, CNB_EINVAL, "unpack: context, image and destination are required");
	if (!(opts = cnb__api_opts_resolve(opts, &defaults, CNB_IMAGE_UNPACK_OPTS_VERSION, "cnb_image_unpack_opts", err)))
		return CNB_EINVAL;
	if (resolve_mapped(opts->metadata, &mapped, err) < 0)
		return CNB_EINVAL;
	if (mkdir(dest_dir, 0755) < 0 && errno != EEXIST)
		return cnb__error_errno(err, CNB_EIO, errno, "unpack: create %s", dest_dir);
	_cleanup_close_ int fd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "unpack: open %s", dest_dir);
	_cleanup_closedir_ DIR *d = opendir(dest_dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return cnb__error_set(err, CNB_EEXIST, "unpack: %s is not empty: choose a new directory", dest_dir);
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	_cleanup_free_ cnb__rootfs_layer *layers = NULL;
	int r = cnb__oci_image_pull(ctx, image_ref, opts->platform, &img, err);
	if (r == 0)
		r = cnb__rootfs_layers_of(img, &layers, err);
	if (r == 0)
		r = cnb__rootfs_apply_layers(ctx, fd, layers, img->n_layers, mapped, err);
	return r < 0 ? cnb__error_prefix(err, "unpack %s", image_ref) : 0;
}

int cnb_rootfs_cache_get(char **out_path, cnb_ctx *ctx, const char *image_ref, const cnb_rootfs_cache_get_opts *opts,
			 cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_rootfs_cache_get_opts defaults = CNB_ROOTFS_CACHE_GET_OPTS_INIT;
	bool mapped = false;
	if (!out_path || !ctx || !image_ref)
		return cnb__error_set(err, CNB_EINVAL, "rootfs: output, context and image are required");
	*out_path = NULL;
	if (!(opts = cnb__api_opts_resolve(opts, &defaults, CNB_ROOTFS_CACHE_GET_OPTS_VERSION, "cnb_rootfs_cache_get_opts", err)))
		return CNB_EINVAL;
	if (resolve_mapped(opts->metadata, &mapped, err) < 0)
		return CNB_EINVAL;
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	int r = cnb__oci_image_pull(ctx, image_ref, opts->platform, &img, err);
	if (r == 0)
		r = cnb__rootfs_assemble_image(ctx, img, mapped, out_path, NULL, err);
	return r < 0 ? cnb__error_prefix(err, "rootfs %s", image_ref) : 0;
}

int cnb_rootfs_cache_list(cnb_rootfs_cache_entry **out, uint32_t *out_n, cnb_ctx *ctx, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	if (!out || !out_n || !ctx)
		return cnb__error_set(err, CNB_EINVAL, "rootfs cache list: output and context are required");
	*out = NULL;
	*out_n = 0;
	cnb__rootfs_cache_entry *entries = NULL;
	size_t n = 0;
	int r = cnb__rootfs_cache_list(ctx, &entries, &n, err);
	if (r < 0)
		return r;
	if (n > UINT32_MAX) {
		cnb__rootfs_cache_entries_free(entries, n);
		return cnb__error_set(err, CNB_EUNSUPPORTED, "rootfs cache list: %zu trees are more than a list can hold", n);
	}
	/* The strings move from the internal entries to the public ones. */
	cnb_rootfs_cache_entry *pub = calloc(n ? n : 1, sizeof(*pub));
	if (!pub) {
		cnb__rootfs_cache_entries_free(entries, n);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		pub[i] = (cnb_rootfs_cache_entry){ TAKE_PTR(entries[i].name), TAKE_PTR(entries[i].path),
						   entries[i].mapped ? CNB_ROOTFS_METADATA_MAPPED_XATTR : CNB_ROOTFS_METADATA_REAL,
						   entries[i].size, entries[i].last_used };
	}
	cnb__rootfs_cache_entries_free(entries, n);
	*out = pub;
	*out_n = (uint32_t)n;
	return 0;
}

void cnb_rootfs_cache_list_free(cnb_rootfs_cache_entry *entries, uint32_t n)
{
	for (uint32_t i = 0; entries && i < n; i++) {
		free((char *)entries[i].id);
		free((char *)entries[i].path);
	}
	free(entries);
}

int cnb_rootfs_cache_prune(uint64_t *out_freed, uint32_t *out_removed, cnb_ctx *ctx,
			   const cnb_rootfs_cache_prune_opts *opts, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_rootfs_cache_prune_opts defaults = CNB_ROOTFS_CACHE_PRUNE_OPTS_INIT;
	if (!ctx)
		return cnb__error_set(err, CNB_EINVAL, "rootfs cache prune: context required");
	if (!(opts = cnb__api_opts_resolve(opts, &defaults, CNB_ROOTFS_CACHE_PRUNE_OPTS_VERSION, "cnb_rootfs_cache_prune_opts",
				       err)))
		return CNB_EINVAL;
	size_t removed = 0;
	int r = cnb__rootfs_cache_prune(ctx, opts->all, opts->older_than_s, out_freed, &removed, err);
	if (out_removed)
		*out_removed = removed > UINT32_MAX ? UINT32_MAX : (uint32_t)removed;
	return r;
}
