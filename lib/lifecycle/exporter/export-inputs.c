/*
 * What the exporter reads: group.toml (platform.md "group.toml"), each buildpack's <layer>.toml and
 * store.toml under <layers>/<escaped id> (buildpack.md "Layer Types"), analyzed.toml [metadata] (the
 * previous image's lifecycle metadata) and <layers>/config/metadata.toml.
 * group.toml and the [types] of layers come from the lifecycle's readers (group-plan-files.h,
 * layer-metadata.h) and analyzed.toml through layers-inputs.h; the layer [metadata] and store.toml,
 * which only the exporter needs, are read here. Everything below <layers>/<bp> was written by a buildpack: O_NOFOLLOW, size-bounded.
 */
#include "export-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "lib/lifecycle/spec/group-plan-files.h"
#include "lib/lifecycle/spec/layer-metadata.h"
#include "lib/lifecycle/spec/layers-inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int load_group(cnb__lifecycle_export *ex, cnb_error **err)
{
	const char *path = ex->opts->group_path;
	cnb__lifecycle_group_elem *elems = NULL;
	size_t n = 0;
	int r = cnb__lifecycle_group_file_read(path, &elems, &n, err);
	if (r < 0)
		return cnb__error_prefix(err, "%s (written by the detector)", path);
	if (!(ex->bps = calloc(n ? n : 1, sizeof(*ex->bps))))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (r >= 0) {
			cnb__lifecycle_export_bp *bp = &ex->bps[ex->n_bps++];
			bp->id = TAKE_PTR(elems[i].id);
			bp->version = TAKE_PTR(elems[i].version);
			bp->api = TAKE_PTR(elems[i].api);
			bp->homepage = TAKE_PTR(elems[i].homepage);
			if (!cnb__lifecycle_bp_id_valid(bp->id))
				r = cnb__error_set(err, CNB_EPARSE, "%s: invalid buildpack id '%s'", path, bp->id);
			else if (!(bp->escaped_id = cnb__lifecycle_bp_escape_id(bp->id)))
				r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
		cnb__lifecycle_group_elem_free(&elems[i]);
	}
	free(elems);
	return r;
}

static int load_layer_metadata(cnb__lifecycle_export_layer_md *md, int bpfd, const char *bpdir, cnb_error **err)
{
	_cleanup_free_ char *file = NULL, *what = NULL;
	if (asprintf(&file, "%s.toml", md->name) < 0 || !(what = cnb__path_join(bpdir, file)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_toml_ cnb_toml *doc = NULL;
	int r = cnb__lifecycle_layers_toml_load_at(&doc, bpfd, file, what, CNB_LAYERS_MAX_LAYER_TOML, err);
	return r < 0 ? r : cnb__lifecycle_layers_take_metadata(&md->metadata, doc, what, err);
}

static int load_buildpack_dir(cnb__lifecycle_export *ex, cnb__lifecycle_export_bp *bp, cnb_error **err)
{
	_cleanup_free_ char *bpdir = cnb__path_join(ex->opts->layers_dir, bp->escaped_id);
	if (!bpdir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_close_ int fd = open(bpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0; /* a buildpack that made no layers */
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open layers of buildpack %s (%s)", bp->id, bpdir);
	int r = 0;
	if (faccessat(fd, "store.toml", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		_cleanup_toml_ cnb_toml *doc = NULL;
		_cleanup_free_ char *what = cnb__path_join(bpdir, "store.toml");
		if (!what)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if ((r = cnb__lifecycle_layers_toml_load_at(&doc, fd, "store.toml", what, CNB_LAYERS_MAX_LAYER_TOML, err)) < 0 ||
		    (r = cnb__lifecycle_layers_take_metadata(&bp->store, doc, what, err)) < 0)
			return r;
	}
	_cleanup_free_ char *ref = cnb__lifecycle_bp_ref(bp->id, bp->version);
	cnb__lifecycle_layer_list list = { 0 };
	if (!ref)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if ((r = cnb__lifecycle_layer_metadata_process(&list, bpdir, ref, err)) < 0)
		return r;
	if (list.n && !(bp->layers = calloc(list.n, sizeof(*bp->layers))))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	/* the list is alphabetical: "<id>:<name>" order within the buildpack (platform.md "exporter") */
	for (size_t i = 0; r >= 0 && i < list.n; i++) {
		cnb__lifecycle_export_layer_md *md = &bp->layers[bp->n_layers++];
		md->name = TAKE_PTR(list.v[i].name);
		md->launch = list.v[i].launch;
		md->build = list.v[i].build;
		md->cache = list.v[i].cache;
		r = load_layer_metadata(md, fd, bpdir, err);
	}
	cnb__lifecycle_layer_list_free(&list);
	return r < 0 ? cnb__error_prefix(err, "buildpack %s", bp->id) : 0;
}

int cnb__lifecycle_export_inputs_load(cnb__lifecycle_export *ex, cnb_error **err)
{
	int r = load_group(ex, err);
	for (size_t i = 0; r >= 0 && i < ex->n_bps; i++)
		r = load_buildpack_dir(ex, &ex->bps[i], err);
	if (r >= 0)
		r = cnb__lifecycle_layers_analyzed_metadata_read(&ex->previous, ex->opts->analyzed_path, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *config = cnb__path_join(ex->opts->layers_dir, "config/metadata.toml");
	if (!config)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if ((r = cnb__lifecycle_layers_toml_load_at(&ex->config, AT_FDCWD, config, config, CNB_LAYERS_MAX_INPUT_TOML, err)) < 0)
		return cnb__error_prefix(err, "read launch metadata (written by the builder)");
	return 0;
}

void cnb__lifecycle_export_inputs_free(cnb__lifecycle_export *ex)
{
	for (size_t i = 0; i < ex->n_bps; i++) {
		cnb__lifecycle_export_bp *bp = &ex->bps[i];
		for (size_t j = 0; j < bp->n_layers; j++) {
			free(bp->layers[j].name);
			cnb__toml_free(bp->layers[j].metadata);
		}
		free(bp->layers);
		free(bp->id);
		free(bp->version);
		free(bp->api);
		free(bp->homepage);
		free(bp->escaped_id);
		cnb__toml_free(bp->store);
	}
	free(ex->bps);
	cnb__toml_free(ex->previous);
	cnb__toml_free(ex->config);
}
