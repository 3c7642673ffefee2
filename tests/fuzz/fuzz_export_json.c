/*
 * libFuzzer target for the host's reading of what a build hands back: the input is export.json
 * in an output directory that also holds two small layer tars, a cache tar and a symlink. Any
 * document is assembled into an image or refused with a message, never crashing or leaking; an
 * assembled image has one layer per distinct tar named and at most CNB_IMAGE_LAYERS_MAX.
 */
#include "fuzz-util.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/export/export-assemble.h"

#include <unistd.h>

static cnb_ctx *ctx;
static char dir[] = "/tmp/cnb-fuzz-export-XXXXXX";
static char *out_dir, *json_path;

static void put(const char *rel, const char *text)
{
	_cleanup_free_ char *p = cnb__path_join(out_dir, rel);
	FUZZ_CHECK(p && cnb__write_file_atomic(p, text, strlen(text), 0644, NULL) == 0);
}

static void setup(void)
{
	FUZZ_CHECK(mkdtemp(dir));
	_cleanup_free_ char *cache = cnb__path_join(dir, "cache");
	out_dir = cnb__path_join(dir, "out");
	json_path = cnb__path_join(out_dir, "export.json");
	_cleanup_free_ char *layers = cnb__path_join(out_dir, "layers");
	_cleanup_free_ char *cache_tars = cnb__path_join(out_dir, "cache");
	FUZZ_CHECK(out_dir && json_path && layers && cache_tars && cnb__mkdir_p(layers, 0755, NULL) == 0 &&
		   cnb__mkdir_p(cache_tars, 0755, NULL) == 0);
	put("layers/a.tar", "layer a");
	put("layers/b.tar", "layer b");
	put("cache/c.tar", "cache c");
	_cleanup_free_ char *link = cnb__path_join(out_dir, "layers/l.tar");
	FUZZ_CHECK(link && symlink("/etc/passwd", link) == 0);
	cnb_ctx_opts opts = CNB_CTX_OPTS_INIT;
	opts.cache_dir = cache;
	FUZZ_CHECK(cnb_ctx_new(&ctx, &opts, NULL) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx)
		setup();
	FUZZ_CHECK(cnb__write_file_atomic(json_path, data, size, 0644, NULL) == 0);
	cnb__oci_image *img = NULL;
	FUZZ_CHECK(cnb__oci_image_new(&img, NULL) == 0);
	cnb__export_inputs in = { .out_dir = out_dir, .run_image_name = "run", .max_layer_bytes = 1 << 20 };
	cnb__export_stats stats;
	cnb_error *err = NULL;
	int r = cnb__export_assemble(ctx, &in, img, &stats, &err);
	if (r < 0) {
		FUZZ_CHECK(err && *cnb_error_message(err));
	} else {
		FUZZ_CHECK(!err && img->n_layers <= 3 && img->n_layers <= CNB_IMAGE_LAYERS_MAX);
		FUZZ_CHECK(stats.layers_added + stats.layers_reused == img->n_layers);
	}
	cnb_error_free(err);
	cnb__oci_image_free(img);
	return 0;
}
