/* The public rootfs API (include/cnb/rootfs.h): unpack, cache get/list/prune. */
#include "rootfs-cache.h"
#include "rootfs-image.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <cnb/rootfs.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int resolve_mapped(const cnb_unpack_opts *opts, bool *mapped, cnb_error **err)
{
	int metadata = opts ? opts->metadata : CNB_ROOTFS_METADATA_AUTO;
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
	return cnb__error_set(err, CNB_EINVAL, "unknown metadata form %d", metadata);
}

static int open_image(cnb_ctx *ctx, const char *ref, const cnb_unpack_opts *opts, cnb__oci_image **img, cnb_error **err)
{
	if (opts && (opts->version == 0 || opts->version > CNB_UNPACK_OPTS_VERSION))
		return cnb__error_set(err, CNB_EINVAL, "cnb_unpack_opts version %u not supported", opts->version);
	return cnb__oci_image_pull(ctx, ref, opts ? opts->platform : NULL, img, err);
}

CNB_EXTERN int cnb_image_unpack(cnb_ctx *ctx, const char *image_ref, const char *dest_dir, const cnb_unpack_opts *opts,
				cnb_error **err)
{
	bool mapped = false;
	if (!ctx || !image_ref || !dest_dir)
		return cnb__error_set(err, CNB_EINVAL, "unpack: context, image and destination are required");
	if (resolve_mapped(opts, &mapped, err) < 0)
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
	int r = open_image(ctx, image_ref, opts, &img, err);
	if (r == 0)
		r = cnb__rootfs_layers_of(img, &layers, err);
	if (r == 0)
		r = cnb__rootfs_apply_layers(ctx, fd, layers, img->n_layers, mapped, err);
	return r < 0 ? cnb__error_prefix(err, "unpack %s", image_ref) : 0;
}

CNB_EXTERN int cnb_rootfs_cache_get(char **out_path, cnb_ctx *ctx, const char *image_ref, const cnb_unpack_opts *opts,
				    cnb_error **err)
{
	bool mapped = false;
	if (!out_path || !ctx || !image_ref)
		return cnb__error_set(err, CNB_EINVAL, "rootfs: output, context and image are required");
	if (resolve_mapped(opts, &mapped, err) < 0)
		return CNB_EINVAL;
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	int r = open_image(ctx, image_ref, opts, &img, err);
	if (r == 0)
		r = cnb__rootfs_assemble_image(ctx, img, mapped, out_path, NULL, err);
	return r < 0 ? cnb__error_prefix(err, "rootfs %s", image_ref) : 0;
}

CNB_EXTERN int cnb_rootfs_cache_list(cnb_rootfs_cache_entry **out, size_t *out_n, cnb_ctx *ctx, cnb_error **err)
{
	if (!out || !out_n || !ctx)
		return cnb__error_set(err, CNB_EINVAL, "rootfs cache list: output and context are required");
	cnb__rootfs_cache_entry *entries = NULL;
	size_t n = 0;
	int r = cnb__rootfs_cache_list(ctx, &entries, &n, err);
	if (r < 0)
		return r;
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
	*out_n = n;
	return 0;
}

CNB_EXTERN void cnb_rootfs_cache_list_free(cnb_rootfs_cache_entry *entries, size_t n)
{
	for (size_t i = 0; entries && i < n; i++) {
		free((char *)entries[i].id);
		free((char *)entries[i].path);
	}
	free(entries);
}

CNB_EXTERN int cnb_rootfs_cache_prune(uint64_t *out_freed, size_t *out_removed, cnb_ctx *ctx,
				      const cnb_rootfs_prune_opts *opts, cnb_error **err)
{
	if (!ctx)
		return cnb__error_set(err, CNB_EINVAL, "rootfs cache prune: context required");
	cnb_rootfs_prune_opts defaults = CNB_ROOTFS_PRUNE_OPTS_INIT;
	if (!opts)
		opts = &defaults;
	if (opts->version == 0 || opts->version > CNB_ROOTFS_PRUNE_OPTS_VERSION)
		return cnb__error_set(err, CNB_EINVAL, "cnb_rootfs_prune_opts version %u not supported", opts->version);
	if (opts->older_than_seconds < 0)
		return cnb__error_set(err, CNB_EINVAL, "cache prune: older than %lld seconds: the age cannot be negative",
				      (long long)opts->older_than_seconds);
	return cnb__rootfs_cache_prune(ctx, opts->all, opts->older_than_seconds, out_freed, out_removed, err);
}
