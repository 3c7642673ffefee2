/* Finding the launch layers and their exec.d/profile.d entries (platform.md "Launch Environment"; platform.md "launcher" › "Execution"). */
#include "launch-layers.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "lib/common/dir-list.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cnb__lifecycle_launch_layers_free(cnb__lifecycle_launch_layers *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].dir);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool is_dir(int dirfd, const char *name, void *want_dirs)
{
	struct stat st;
	bool dir = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
	return dir == *(bool *)want_dirs;
}

/* Replaces *out with the names of the directories (`want_dirs`) or other entries of `dir`, by their own type. */
static int list_dir(cnb__strv_list *out, const char *dir, bool want_dirs, cnb_error **err)
{
	char **names = NULL;
	size_t n = 0;
	int rc = cnb__dir_list_sorted_path(dir, is_dir, &want_dirs, &names, &n, err);
	if (rc)
		return rc;
	/* A NULL-terminated list of owned strings already: adopt it. */
	cnb__strv_list_free(out);
	out->v = names;
	out->n = n;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

static int add_layer(cnb__lifecycle_launch_layers *out, char *dir, size_t bp, cnb_error **err)
{
	cnb__lifecycle_launch_layer *v = dir ? realloc(out->v, (out->n + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(dir);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	v[out->n++] = (cnb__lifecycle_launch_layer){ dir, bp };
	out->v = v;
	return 0;
}

static int find_buildpack_layers(cnb__lifecycle_launch_layers *out, const char *layers_dir, const char *id, size_t bp,
				 cnb_error **err)
{
	_cleanup_free_ char *esc = cnb__lifecycle_bp_escape_id(id);
	_cleanup_free_ char *bp_dir = esc ? cnb__path_join(layers_dir, esc) : NULL;
	if (!bp_dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	/* <layers>/config and <layers>/sbom hold the lifecycle's own files, never a buildpack's layers. */
	if (!strcmp(esc, "config") || !strcmp(esc, "sbom"))
		return 0;
	_cleanup_strv_list_ cnb__strv_list names = CNB_STRV_LIST_INIT;
	int rc = list_dir(&names, bp_dir, true, err);
	for (size_t i = 0; rc == 0 && i < names.n; i++)
		if (!ends_with(names.v[i], ".ignore"))
			rc = add_layer(out, cnb__path_join(bp_dir, names.v[i]), bp, err);
	return rc;
}

int cnb__lifecycle_launch_layers_find(cnb__lifecycle_launch_layers *out, const cnb__lifecycle_launch_metadata *md, const char *layers_dir,
			    cnb_error **err)
{
	for (size_t i = 0; i < md->n_buildpacks; i++) {
		int rc = find_buildpack_layers(out, layers_dir, md->buildpacks[i].id, i, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Appends the full paths of the non-directory entries of `dir`. */
static int add_files(cnb__strv_list *out, const char *dir, cnb_error **err)
{
	_cleanup_strv_list_ cnb__strv_list names = CNB_STRV_LIST_INIT;
	int rc = list_dir(&names, dir, false, err);
	for (size_t i = 0; rc == 0 && i < names.n; i++)
		if (cnb__strv_push_take(out, cnb__path_join(dir, names.v[i])) < 0)
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return rc;
}

int cnb__lifecycle_launch_layer_files(cnb__strv_list *out, const char *layer_dir, const char *sub, const char *type,
			    cnb_error **err)
{
	_cleanup_free_ char *dir = cnb__path_join(layer_dir, sub);
	_cleanup_free_ char *type_dir = dir && *type ? cnb__path_join(dir, type) : NULL;
	if (!dir || (*type && !type_dir))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = add_files(out, dir, err);
	return rc || !type_dir ? rc : add_files(out, type_dir, err);
}
