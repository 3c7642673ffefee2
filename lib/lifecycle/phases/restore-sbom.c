/*
 * Per-layer SBOMs on a rebuild (buildpack.md "Layer Types" › SBOM files, platform.md "restorer";
 * lifecycle internal/layer/sbom_restorer.go): the previous image's SBOM layer (launch) and the cache's
 * SBOM layer are unpacked into <layers>/sbom/, each <layers>/sbom/<cache|launch>/<bp>/<layer>/sbom.<ext>.json
 * is copied to <layers>/<bp>/<layer>.sbom.<ext>.json, and <layers>/sbom/ is removed again (the build
 * writes its own). So a layer a buildpack keeps through its restored metadata keeps its SBOM.
 *
 * The host stages the previous image's SBOM layer as <cache dir>/sbom-launch.tar (docs/cache-protocol.md);
 * the cache's is the tar named by cache.json's "sbom" sha. Both are untrusted tars: extracted with
 * lib/common/tar-reader.h below <layers>/sbom only.
 */
#include "restore.h"
#include "lib/common/cleanup.h"
#include "lib/common/dir-list.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-reader.h"
#include "lib/lifecycle/spec/layers-inputs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Entries of one SBOM layer tar under <layers>/sbom/ into `sbom_dir`; a bad tar is a warning. */
static int unpack(const cnb__lifecycle_phase_inputs *in, int sbom_dirfd, const char *tar_path, const char *what)
{
	_cleanup_close_ int fd = open(tar_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			cnb__lifecycle_phase_log(in, CNB_LOG_WARN, "Warning: SBOMs of the %s not restored: open %s: %s", what, tar_path,
				       strerror(errno));
		return 0;
	}
	_cleanup_free_ char *prefix = NULL;
	if (asprintf(&prefix, "%s/sbom/", in->layers_dir) < 0)
		return -1;
	cnb__lifecycle_phase_log(in, CNB_LOG_INFO, "Restoring data for SBOM from %s", what);
	cnb_error *xerr = NULL;
	if (cnb__tar_extract(fd, sbom_dirfd, prefix, NULL, &xerr) < 0)
		cnb__lifecycle_phase_log(in, CNB_LOG_WARN, "Warning: SBOMs of the %s not all restored: %s", what,
			       cnb_error_message(xerr));
	cnb_error_free(xerr);
	return 0;
}

int cnb__lifecycle_restore_sbom_unpack(const cnb__lifecycle_phase_inputs *in, const cnb_toml *cache, cnb_error **err)
{
	_cleanup_free_ char *dir = cnb__path_join(in->layers_dir, "sbom");
	_cleanup_free_ char *launch_tar = cnb__path_join(in->cache_dir, "sbom-launch.tar");
	if (!dir || !launch_tar)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = cnb__rm_rf(dir, err);
	if (r < 0)
		return r;
	if (mkdir(dir, 0755) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", dir);
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", dir);
	/* the cache first, the previous image's launch SBOMs last (the reference's order) */
	const char *sha = cnb__toml_get_string(cnb__toml_get(cache, "sbom"), "sha");
	if (sha && cnb__lifecycle_layers_diff_id_valid(sha)) {
		_cleanup_free_ char *cache_tar = NULL;
		if (asprintf(&cache_tar, "%s/%s.tar", in->cache_dir, sha + 7) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (unpack(in, dirfd, cache_tar, "cache") < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return unpack(in, dirfd, launch_tar, "previous image") < 0 ? cnb__error_set(err, CNB_ENOMEM, "out of memory")
								    : 0;
}

static bool is_sbom_name(int dirfd, const char *name, void *ud)
{
	struct stat st;
	size_t len = strlen(name);
	return !strncmp(name, "sbom.", 5) && len > 10 && !strcmp(name + len - 5, ".json") &&
	       fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(int dirfd, const char *name, void *ud)
{
	struct stat st;
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* <layers>/sbom/<kind>/<esc>/<layer>/sbom.<ext>.json → <bp dir>/<layer>.sbom.<ext>.json */
static int copy_kind(const cnb__lifecycle_phase_inputs *in, const char *kind, const char *escaped_id, int bp_dirfd,
		     cnb_error **err)
{
	_cleanup_free_ char *kind_dir = NULL, *src_bp = NULL;
	if (asprintf(&kind_dir, "%s/sbom/%s", in->layers_dir, kind) < 0 ||
	    asprintf(&src_bp, "%s/%s", kind_dir, escaped_id) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	struct stat st;
	/* the tar may hold symlinks: only real directories are walked */
	if (lstat(kind_dir, &st) < 0 || !S_ISDIR(st.st_mode) || lstat(src_bp, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	char **layers = NULL;
	size_t n = 0;
	int r = cnb__dir_list_sorted_path(src_bp, is_dir, NULL, &layers, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		_cleanup_free_ char *layer_dir = cnb__path_join(src_bp, layers[i]);
		char **files = NULL;
		size_t nf = 0;
		r = layer_dir ? cnb__dir_list_sorted_path(layer_dir, is_sbom_name, NULL, &files, &nf, err)
			      : cnb__error_set(err, CNB_ENOMEM, "out of memory");
		for (size_t j = 0; r == 0 && j < nf; j++) {
			_cleanup_free_ char *src = cnb__path_join(layer_dir, files[j]), *dst_name = NULL;
			if (!src || asprintf(&dst_name, "%s.%s", layers[i], files[j]) < 0) {
				r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
				break;
			}
			/* written in the buildpack's directory only, never through a link already there */
			if (unlinkat(bp_dirfd, dst_name, 0) < 0 && errno != ENOENT && errno != EISDIR)
				r = cnb__error_errno(err, CNB_EIO, errno, "replace %s/%s", escaped_id, dst_name);
			_cleanup_free_ char *dst = NULL;
			if (r == 0 && asprintf(&dst, "%s/%s/%s", in->layers_dir, escaped_id, dst_name) < 0)
				r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
			if (r == 0)
				r = cnb__copy_file(src, dst, err);
		}
		cnb__strv_free(files);
	}
	cnb__strv_free(layers);
	return r;
}

int cnb__lifecycle_restore_sbom_copy(const cnb__lifecycle_phase_inputs *in, const char *escaped_id, int bp_dirfd, cnb_error **err)
{
	int r = copy_kind(in, "cache", escaped_id, bp_dirfd, err);
	return r ? r : copy_kind(in, "launch", escaped_id, bp_dirfd, err);
}

int cnb__lifecycle_restore_sbom_cleanup(const cnb__lifecycle_phase_inputs *in, cnb_error **err)
{
	_cleanup_free_ char *dir = cnb__path_join(in->layers_dir, "sbom");
	return dir ? cnb__rm_rf(dir, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}
