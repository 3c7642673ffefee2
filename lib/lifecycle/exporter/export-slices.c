/*
 * App layers (buildpack.md "Slice Layers", platform.md "exporter"; lifecycle layers/slices.go): metadata.toml
 * [[slices]] in order, each a list of Go filepath.Match globs relative to <app>. n slices give
 * n+1 layers; the last holds everything no slice took and is always written. A matched directory
 * takes its subtree; what an earlier slice took stays there; parents of taken entries are added.
 * Entries of every app tar are sorted by full path (byte order). <app> is walked without
 * following symlinks; files are opened component by component with O_NOFOLLOW.
 */
#include "export-internal.h"
#include "lib/common/array.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_APP_DEPTH 256
#define MAX_APP_ENTRIES (8u * 1024 * 1024)
#define MAX_SLICES 1024

typedef struct app_entry {
	char *rel;    /* relative to <app>, no leading "/" */
	mode_t mode;
	int slice;    /* index of the layer that holds it; -1 while untaken */
	int needed;   /* last layer index that needs it as a parent directory */
} app_entry;

typedef struct app_tree {
	app_entry *v;
	size_t n, cap;
} app_tree;

static void app_tree_free(app_tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].rel);
	free(t->v);
}

static int push_entry(app_tree *t, char *rel, mode_t mode, cnb_error **err)
{
	if (t->n == MAX_APP_ENTRIES) {
		free(rel);
		return cnb__error_set(err, CNB_EUNSAFE, "the app directory has more than %u entries", MAX_APP_ENTRIES);
	}
	app_entry *v = cnb__array_reserve(t->v, t->n, &t->cap, sizeof(*v), 256);
	if (!v) {
		free(rel);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	t->v = v;
	t->v[t->n++] = (app_entry){ rel, mode, -1, -1 };
	return 0;
}

static int walk(app_tree *t, int dirfd, const char *prefix, int depth, cnb_error **err)
{
	if (depth > MAX_APP_DEPTH)
		return cnb__error_set(err, CNB_EUNSAFE, "app directory %s is deeper than %d levels", prefix, MAX_APP_DEPTH);
	_cleanup_closedir_ DIR *d = cnb__opendir_at(dirfd, NULL, 0);
	if (!d)
		return cnb__error_errno(err, CNB_EIO, errno, "read app directory %s", *prefix ? prefix : ".");
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		char *rel = NULL;
		if (asprintf(&rel, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			int e = errno;
			free(rel);
			return cnb__error_errno(err, CNB_EIO, e, "stat app file %s", de->d_name);
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
			free(rel);
			continue; /* sockets, fifos, devices are not layer content (platform.md "Build Reproducibility") */
		}
		int r = push_entry(t, rel, st.st_mode, err);
		if (r < 0)
			return r;
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				return cnb__error_errno(err, CNB_EIO, errno, "open app directory %s", rel);
			if ((r = walk(t, fd, rel, depth + 1, err)) < 0) /* rel is owned by the tree now */
				return r;
		}
	}
	return errno ? cnb__error_errno(err, CNB_EIO, errno, "read app directory %s", prefix) : 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const app_entry *)a)->rel, ((const app_entry *)b)->rel);
}

static app_entry *find_entry(app_tree *t, const char *rel)
{
	app_entry key = { (char *)rel, 0, 0, 0 };
	return bsearch(&key, t->v, t->n, sizeof(app_entry), cmp_entry);
}

/* Gives entry i and, for a directory, its untaken subtree to `slice`. */
static void take(app_tree *t, size_t i, int slice)
{
	if (t->v[i].slice < 0)
		t->v[i].slice = slice;
	if (!S_ISDIR(t->v[i].mode))
		return;
	size_t len = strlen(t->v[i].rel);
	/* a subtree is contiguous in byte order: every name starting with "<dir>/" */
	for (size_t j = i + 1; j < t->n; j++) {
		if (strncmp(t->v[j].rel, t->v[i].rel, len))
			break;
		char c = t->v[j].rel[len];
		if (c < '/')
			continue; /* "a-b" sorts between "a" and "a/": the subtree comes later */
		if (c != '/')
			break;
		if (t->v[j].slice < 0)
			t->v[j].slice = slice;
	}
}

static int apply_pattern(app_tree *t, const char *pattern, int slice, cnb_error **err)
{
	_cleanup_free_ char *clean = cnb__lifecycle_export_path_clean(pattern[0] == '/' ? pattern + 1 : pattern);
	if (!clean)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (!strcmp(clean, "..") || !strncmp(clean, "../", 3))
		return cnb__error_set(err, CNB_EINVAL, "slice path '%s' is outside the app directory", pattern);
	bool all = !strcmp(clean, ".");
	for (size_t i = 0; i < t->n; i++) {
		int m = all ? 1 : cnb__lifecycle_export_glob_match(clean, t->v[i].rel);
		if (m < 0)
			return cnb__error_set(err, CNB_EINVAL, "slice path '%s' is not a valid glob (Go filepath.Match)",
					      pattern);
		if (m)
			take(t, i, slice);
	}
	return 0;
}

/* Marks the directories above each entry of `layer` as needed by it. */
static void mark_parents(app_tree *t, int layer)
{
	for (size_t i = t->n; i-- > 0;) {
		if (t->v[i].slice != layer && t->v[i].needed != layer)
			continue;
		char *slash = strrchr(t->v[i].rel, '/');
		if (!slash)
			continue;
		*slash = '\0';
		app_entry *parent = find_entry(t, t->v[i].rel);
		*slash = '/';
		if (parent)
			parent->needed = layer; /* sorted before i: reached later in this backwards loop */
	}
}

/* Opens the directory holding `rel` below appfd, one component at a time, never following links. */
static int open_parent(int appfd, const char *rel, const char **base)
{
	int fd = dup(appfd);
	const char *p = rel;
	for (const char *slash; fd >= 0 && (slash = strchr(p, '/')); p = slash + 1) {
		char comp[NAME_MAX + 1];
		size_t n = (size_t)(slash - p);
		if (n > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	*base = p;
	return fd;
}

static int add_entry(cnb__lifecycle_export_tar *t, int appfd, const app_entry *e, const char *dest, const cnb__tar_norm *n,
		     cnb_error **err)
{
	if (S_ISDIR(e->mode))
		return cnb__tar_add_dir(t->tar, dest, e->mode, n, err);
	const char *base;
	_cleanup_close_ int dirfd = open_parent(appfd, e->rel, &base);
	if (dirfd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open app file %s", e->rel);
	if (S_ISLNK(e->mode)) {
		char target[PATH_MAX];
		ssize_t len = readlinkat(dirfd, base, target, sizeof(target) - 1);
		if (len < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "read app link %s", e->rel);
		target[len] = '\0';
		return cnb__tar_add_symlink(t->tar, dest, target, 0777, n, err);
	}
	_cleanup_close_ int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open app file %s", e->rel);
	if (!S_ISREG(st.st_mode))
		return cnb__error_set(err, CNB_EIO, "app file %s changed type during export", e->rel);
	return cnb__tar_add_fd(t->tar, dest, st.st_mode, fd, (uint64_t)st.st_size, n, err);
}

static int write_app_layer(cnb__lifecycle_export *ex, app_tree *tree, int appfd, int layer, bool last, json_t *app_md,
			   cnb_error **err)
{
	const char *app = ex->opts->app_dir;
	cnb__tar_norm norm = { ex->opts->uid, ex->opts->gid, CNB_TAR_EPOCH };
	struct stat st;
	if (fstat(appfd, &st) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "stat %s", app);
	mark_parents(tree, layer);
	cnb__lifecycle_export_tar t;
	int r = cnb__lifecycle_export_tar_begin(ex, &t, false, err);
	if (r >= 0)
		r = cnb__lifecycle_export_tar_add_ancestors(&t, app, err);
	if (r >= 0)
		r = cnb__tar_add_dir(t.tar, app, st.st_mode, &norm, err);
	for (size_t i = 0; r >= 0 && i < tree->n; i++) {
		const app_entry *e = &tree->v[i];
		if (e->slice != layer && e->needed != layer)
			continue;
		_cleanup_free_ char *dest = cnb__path_join(app, e->rel);
		r = dest ? add_entry(&t, appfd, e, dest, &norm, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (r >= 0)
		r = cnb__lifecycle_export_tar_end(&t, err);
	_cleanup_free_ char *created_by = NULL, *id = NULL;
	if (r >= 0 && last && (!(created_by = strdup("Application Layer")) || !(id = strdup("app"))))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r >= 0 && !last && (asprintf(&created_by, "Application Slice: %d", layer + 1) < 0 ||
				asprintf(&id, "slice-%d", layer + 1) < 0))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r >= 0)
		r = cnb__lifecycle_export_record_layer(ex, t.file, NULL, created_by, id, err);
	if (r >= 0 && json_array_append_new(app_md, cnb__lifecycle_export_sha_ref(t.file)) < 0)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__lifecycle_export_tar_abort(&t);
	return r;
}

static int assign_slices(app_tree *tree, const cnb_toml *slices, const char *where, cnb_error **err)
{
	for (size_t s = 0; s < cnb__toml_len(slices); s++) {
		const cnb_toml *paths = cnb__toml_get(cnb__toml_at(slices, s), "paths");
		if (paths && cnb__toml_type(paths) != CNB_TOML_ARRAY)
			return cnb__error_set(err, CNB_EPARSE, "%s: slices[%zu].paths must be an array of strings", where, s);
		for (size_t p = 0; p < cnb__toml_len(paths); p++) {
			const char *pattern = cnb__toml_string(cnb__toml_at(paths, p));
			if (!pattern)
				return cnb__error_set(err, CNB_EPARSE, "%s: slices[%zu].paths[%zu] must be a string", where,
						      s, p);
			int r = apply_pattern(tree, pattern, (int)s, err);
			if (r < 0)
				return cnb__error_prefix(err, "%s: slice %zu", where, s + 1);
		}
	}
	return 0;
}

int cnb__lifecycle_export_app_layers(cnb__lifecycle_export *ex, cnb_error **err)
{
	const char *app = ex->opts->app_dir;
	const cnb_toml *slices = cnb__toml_get(ex->config, "slices");
	size_t n_slices = cnb__toml_len(slices);
	if (slices && cnb__toml_type(slices) != CNB_TOML_ARRAY)
		return cnb__error_set(err, CNB_EPARSE, "%s/config/metadata.toml: `slices` must be an array of tables",
				      ex->opts->layers_dir);
	if (n_slices > MAX_SLICES)
		return cnb__error_set(err, CNB_EUNSAFE, "more than %d app slices", MAX_SLICES);
	_cleanup_close_ int appfd = open(app, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (appfd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open app directory %s (-app)", app);
	_cleanup_(app_tree_free) app_tree tree = { 0 };
	int r = walk(&tree, appfd, "", 0, err);
	if (r < 0)
		return r;
	if (tree.n)
		qsort(tree.v, tree.n, sizeof(app_entry), cmp_entry);
	if ((r = assign_slices(&tree, slices, "config/metadata.toml", err)) < 0)
		return r;
	for (size_t i = 0; i < tree.n; i++)
		if (tree.v[i].slice < 0)
			tree.v[i].slice = (int)n_slices;
	json_t *app_md = json_array();
	if (!app_md || json_object_set_new(ex->lifecycle, "app", app_md) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t layer = 0; layer <= n_slices; layer++)
		if ((r = write_app_layer(ex, &tree, appfd, (int)layer, layer == n_slices, app_md, err)) < 0)
			return cnb__error_prefix(err, "app layer %zu", layer + 1);
	return 0;
}
