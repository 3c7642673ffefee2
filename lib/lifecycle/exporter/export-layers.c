/*
 * Layer tars in out/layers/NNN.tar and out/cache/NNN.tar (docs/export-protocol.md), built with the
 * deterministic tar writer (platform.md "Build Reproducibility"): absolute entry names, parents first, mtime 1980, the
 * CNB user as owner of layer contents, root for the lifecycle's own layers. Also the three layers
 * the lifecycle itself adds (platform.md "exporter"; lifecycle phase/exporter.go): launcher, config, process types.
 */
#include "export-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAUNCHER_PATH "/cnb/lifecycle/launcher"

static const cnb__tar_norm root_norm = { 0, 0, CNB_TAR_EPOCH };

int cnb__lifecycle_export_tar_begin(cnb__lifecycle_export *ex, cnb__lifecycle_export_tar *t, bool cache, cnb_error **err)
{
	*t = (cnb__lifecycle_export_tar){ .fd = -1 };
	unsigned *counter = cache ? &ex->n_cache_files : &ex->n_layer_files;
	if (asprintf(&t->file, "%s/%03u.tar", cache ? "cache" : "layers", (*counter)++) < 0) {
		t->file = NULL;
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	_cleanup_free_ char *path = cnb__path_join(ex->opts->out_dir, t->file);
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	t->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (t->fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", path);
	return cnb__tar_open(&t->tar, t->fd, err);
}

void cnb__lifecycle_export_tar_abort(cnb__lifecycle_export_tar *t)
{
	cnb__tar_free(t->tar);
	t->tar = NULL;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->file);
	t->file = NULL;
}

int cnb__lifecycle_export_tar_end(cnb__lifecycle_export_tar *t, cnb_error **err)
{
	int r = cnb__tar_finish(TAKE_PTR(t->tar), err);
	if (r >= 0 && fsync(t->fd) < 0)
		r = cnb__error_errno(err, CNB_EIO, errno, "sync %s", t->file);
	if (r >= 0 && close(TAKE_FD(t->fd)) < 0)
		r = cnb__error_errno(err, CNB_EIO, errno, "close %s", t->file);
	return r;
}

int cnb__lifecycle_export_tar_add_ancestors(cnb__lifecycle_export_tar *t, const char *path, cnb_error **err)
{
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		struct stat st;
		if (lstat(p, &st) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "stat %s", p);
		if (!S_ISDIR(st.st_mode))
			return cnb__error_set(err, CNB_EUNSAFE, "%s is not a directory", p);
		/* platform.md "Build Reproducibility": parent directories keep their on-disk owner */
		cnb__tar_norm n = { st.st_uid, st.st_gid, CNB_TAR_EPOCH };
		int r = cnb__tar_add_dir(t->tar, p, st.st_mode, &n, err);
		*s = '/';
		if (r < 0)
			return r;
	}
	return 0;
}

int cnb__lifecycle_export_tar_add_dir_layer(cnb__lifecycle_export_tar *t, int dirfd, const char *name, const char *path,
				  uint32_t uid, uint32_t gid, cnb_error **err)
{
	cnb__tar_norm n = { uid, gid, CNB_TAR_EPOCH };
	int r = cnb__lifecycle_export_tar_add_ancestors(t, path, err);
	return r < 0 ? r : cnb__tar_add_tree(t->tar, dirfd, name, path, &n, err);
}

json_t *cnb__lifecycle_export_file_ref(const char *file)
{
	return json_sprintf("file:%s", file);
}

json_t *cnb__lifecycle_export_sha_ref(const char *file)
{
	json_t *sha = cnb__lifecycle_export_file_ref(file);
	return sha ? json_pack("{so}", "sha", sha) : NULL;
}

int cnb__lifecycle_export_record_layer(cnb__lifecycle_export *ex, const char *file, const char *reuse, const char *created_by,
			     const char *id, cnb_error **err)
{
	json_t *entry = json_pack("{ssssss}", file ? "file" : "reuse", file ? file : reuse, "created_by", created_by,
				  "id", id);
	if (!entry || json_array_append_new(ex->layers, entry) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

/* Records a finished lifecycle layer and sets lifecycle_metadata[key] = {"sha": "file:..."}. */
static int finish_lifecycle_layer(cnb__lifecycle_export *ex, cnb__lifecycle_export_tar *t, const char *key, const char *created_by,
				  const char *id, cnb_error **err)
{
	int r = cnb__lifecycle_export_tar_end(t, err);
	if (r >= 0)
		r = cnb__lifecycle_export_record_layer(ex, t->file, NULL, created_by, id, err);
	if (r >= 0 && json_object_set_new(ex->lifecycle, key, cnb__lifecycle_export_sha_ref(t->file)) < 0)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__lifecycle_export_tar_abort(t);
	return r;
}

/* A lifecycle layer's tar, begun with its root-owned directories /cnb and `dir` (under /cnb). */
static int begin_cnb_layer(cnb__lifecycle_export *ex, cnb__lifecycle_export_tar *t, const char *dir, cnb_error **err)
{
	int r = cnb__lifecycle_export_tar_begin(ex, t, false, err);
	if (r >= 0)
		r = cnb__tar_add_dir(t->tar, "/cnb", 0755, &root_norm, err);
	if (r >= 0)
		r = cnb__tar_add_dir(t->tar, dir, 0755, &root_norm, err);
	return r;
}

int cnb__lifecycle_export_launcher_layer(cnb__lifecycle_export *ex, cnb_error **err)
{
	const char *src = ex->opts->launcher_path;
	_cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open launcher %s (-launcher)", src);
	if (!S_ISREG(st.st_mode))
		return cnb__error_set(err, CNB_EINVAL, "launcher %s (-launcher) is not a regular file", src);
	cnb__lifecycle_export_tar t;
	int r = begin_cnb_layer(ex, &t, "/cnb/lifecycle", err);
	if (r >= 0)
		r = cnb__tar_add_fd(t.tar, LAUNCHER_PATH, 0755, fd, (uint64_t)st.st_size, &root_norm, err);
	if (r < 0) {
		cnb__lifecycle_export_tar_abort(&t);
		return cnb__error_prefix(err, "launcher layer");
	}
	return finish_lifecycle_layer(ex, &t, "launcher", "Buildpacks Application Launcher",
				      "buildpacksio/lifecycle:launcher", err);
}

int cnb__lifecycle_export_config_layer(cnb__lifecycle_export *ex, cnb_error **err)
{
	_cleanup_free_ char *path = cnb__path_join(ex->opts->layers_dir, "config");
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__lifecycle_export_tar t;
	int r = cnb__lifecycle_export_tar_begin(ex, &t, false, err);
	if (r >= 0)
		r = cnb__lifecycle_export_tar_add_dir_layer(&t, AT_FDCWD, path, path, ex->opts->uid, ex->opts->gid, err);
	if (r < 0) {
		cnb__lifecycle_export_tar_abort(&t);
		return cnb__error_prefix(err, "config layer");
	}
	return finish_lifecycle_layer(ex, &t, "config", "Buildpacks Launcher Config", "buildpacksio/lifecycle:config",
				      err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cnb__lifecycle_export_process_types_layer(cnb__lifecycle_export *ex, cnb_error **err)
{
	const cnb_toml *processes = cnb__toml_get(ex->config, "processes");
	size_t n = cnb__toml_len(processes);
	if (!n) {
		/* lifecycle platform/files/analyzed.go: process-types is always in the label, "" without processes */
		json_t *empty = json_pack("{ss}", "sha", "");
		return json_object_set_new(ex->lifecycle, "process-types", empty) < 0
			       ? cnb__error_set(err, CNB_ENOMEM, "out of memory") : 0;
	}
	/* metadata.toml lists processes sorted by type (platform.md "builder"); sort anyway for a stable tar */
	_cleanup_free_ const char **types = calloc(n, sizeof(char *));
	if (!types)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		types[i] = cnb__toml_get_string(cnb__toml_at(processes, i), "type"); /* checked beforehand */
	qsort(types, n, sizeof(char *), cmp_str);
	cnb__lifecycle_export_tar t;
	int r = begin_cnb_layer(ex, &t, "/cnb/process", err);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (i && !strcmp(types[i], types[i - 1]))
			continue;
		_cleanup_free_ char *link = cnb__path_join("/cnb/process", types[i]);
		/* 0755 as the reference writes them (lifecycle layers/launcher.go typeSymlink) */
		r = link ? cnb__tar_add_symlink(t.tar, link, LAUNCHER_PATH, 0755, &root_norm, err)
			 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (r < 0) {
		cnb__lifecycle_export_tar_abort(&t);
		return cnb__error_prefix(err, "process-types layer");
	}
	return finish_lifecycle_layer(ex, &t, "process-types", "Buildpacks Process Types",
				      "buildpacksio/lifecycle:process-types", err);
}
