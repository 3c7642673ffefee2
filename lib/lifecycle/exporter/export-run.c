/*
 * The guest exporter's run: the layers in image order (platform.md "Outputs", buildpack.md
 * "Layer Types") and export.json last, written atomically: an interrupted export leaves no
 * export.json, so the host never takes half an export for a whole one.
 */
#include "export.h"
#include "export-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <errno.h>
#include <unistd.h>

/* Empties out/ of a previous run's results: export.json first, so it never describes new tars. */
static int prepare_out(const char *out, cnb_error **err)
{
	_cleanup_free_ char *json = cnb__path_join(out, "export.json");
	_cleanup_free_ char *layers = cnb__path_join(out, "layers");
	_cleanup_free_ char *cache = cnb__path_join(out, "cache");
	if (!json || !layers || !cache)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (unlink(json) < 0 && errno != ENOENT)
		return cnb__error_errno(err, CNB_EIO, errno, "remove %s", json);
	int r = cnb__rm_rf(layers, err);
	if (r >= 0)
		r = cnb__rm_rf(cache, err);
	if (r >= 0)
		r = cnb__mkdir_p(layers, 0755, err);
	if (r >= 0)
		r = cnb__mkdir_p(cache, 0755, err);
	return r;
}

static int run_export(cnb__lifecycle_export *ex, cnb_error **err)
{
	int r = cnb__lifecycle_export_inputs_load(ex, err);
	if (r >= 0)
		r = cnb__lifecycle_export_check_processes(ex, err);
	if (r >= 0)
		r = prepare_out(ex->opts->out_dir, err);
	/* image order, platform.md "exporter" (the run.Dockerfiles' layer is the host's: extend-run) */
	static int (*const image_layers[])(cnb__lifecycle_export *, cnb_error **) = {
		cnb__lifecycle_export_buildpack_layers, cnb__lifecycle_export_sbom_layer, cnb__lifecycle_export_app_layers,
		cnb__lifecycle_export_launcher_layer, cnb__lifecycle_export_config_layer, cnb__lifecycle_export_process_types_layer,
	};
	for (size_t i = 0; r >= 0 && i < sizeof(image_layers) / sizeof(image_layers[0]); i++)
		r = image_layers[i](ex, err);
	if (r >= 0 && ex->opts->cache)
		r = cnb__lifecycle_export_cache_layers(ex, err);
	if (r >= 0)
		r = cnb__lifecycle_export_write_json(ex, err);
	return r;
}

int cnb__lifecycle_export_run(const cnb__lifecycle_export_opts *opts, cnb_error **err)
{
	cnb__lifecycle_export ex = { .opts = opts };
	ex.layers = json_array();
	ex.lifecycle = json_object();
	ex.cache = json_array();
	int r = ex.layers && ex.lifecycle && ex.cache ? run_export(&ex, err)
						      : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	json_decref(ex.layers);
	json_decref(ex.lifecycle);
	json_decref(ex.cache);
	cnb__lifecycle_export_inputs_free(&ex);
	return r;
}
