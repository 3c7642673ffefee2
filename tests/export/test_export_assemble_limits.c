/* What the host accepts from a build's export.json: each tar once, a bounded layer count, no links. */
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/export/export-assemble.h"
#include "lib/export/image-config.h"
#include <cnb/build.h>
#include "tests/lib/tap.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static cnb_ctx *ctx;
static char tmp[] = "/tmp/cnb-test-assemble-XXXXXX";

static char *path_in(const char *rel)
{
	return cnb__path_join(tmp, rel);
}

static void write_text(const char *rel, const char *text)
{
	_cleanup_free_ char *p = path_in(rel);
	cnb_error *err = NULL;
	if (cnb__write_file_atomic(p, text, strlen(text), 0644, &err) < 0)
		fprintf(stderr, "# write %s: %s\n", rel, cnb_error_message(err));
	cnb__error_clear(&err);
}

/* A well-formed layer tar (the host checks every tar the build hands back) holding /layers/NAME. */
static void write_layer_tar(const char *rel, const char *name)
{
	_cleanup_free_ char *cmd = NULL;
	if (asprintf(&cmd, "mkdir -p %s/src/layers %s/out/layers && echo %s > %s/src/layers/%s && "
			   "tar --format=ustar --numeric-owner -cf %s/%s -C %s/src layers/%s",
		     tmp, tmp, name, tmp, name, tmp, rel, tmp, name) < 0 || system(cmd) != 0)
		fprintf(stderr, "# tar %s failed\n", rel);
}

/* export.json with the given "layers" array text. */
static void write_export(const char *layers_json)
{
	char *text = NULL;
	if (asprintf(&text, "{\"version\":1,\"layers\":%s,\"entrypoint\":[\"/cnb/process/web\"],"
			    "\"lifecycle_metadata\":{}}", layers_json) < 0)
		return;
	write_text("out/export.json", text);
	free(text);
}

static uint64_t max_layer_bytes; /* 0: the default */
static const cnb__oci_image *previous; /* the previous app image, or NULL */

static int assemble(cnb__oci_image **img, cnb_error **err)
{
	_cleanup_free_ char *out = path_in("out");
	cnb__export_inputs in = { .out_dir = out, .run_image_name = "run", .max_layer_bytes = max_layer_bytes,
				  .previous = previous };
	cnb__export_stats stats;
	if (cnb__oci_image_new(img, err) < 0)
		return -1;
	return cnb__export_assemble(ctx, &in, *img, &stats, err);
}

static void test_export_assemble__accepts_distinct_tars(void)
{
	write_layer_tar("out/layers/a.tar", "a");
	write_layer_tar("out/layers/b.tar", "b");
	write_export("[{\"file\":\"layers/a.tar\"},{\"file\":\"layers/b.tar\"}]");
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	cnb_error *err = NULL;
	is_int(assemble(&img, &err), 0, "two tars, two layers: %s", cnb_error_message(err));
	ok(img && img->n_layers == 2, "the image has them");
	cnb__error_clear(&err);
}

static void test_export_assemble__refuses_a_tar_named_twice(void)
{
	write_export("[{\"file\":\"layers/a.tar\"},{\"file\":\"layers/b.tar\"},{\"file\":\"layers/a.tar\"}]");
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	cnb_error *err = NULL;
	is_int(assemble(&img, &err), CNB_EEXPORT, "the same tar twice is refused");
	ok(err && strstr(cnb_error_message(err), "layer 2 names layers/a.tar again"), "message: %s",
	   cnb_error_message(err));
	cnb__error_clear(&err);
}

static void test_export_assemble__caps_the_layer_count(void)
{
	char *list = strdup("[");
	for (int i = 0; i <= CNB_IMAGE_LAYERS_MAX; i++) {
		char *next = NULL;
		if (asprintf(&next, "%s%s{\"file\":\"layers/l%d.tar\"}", list, i ? "," : "", i) < 0)
			break;
		free(list);
		list = next;
	}
	char *closed = NULL;
	if (asprintf(&closed, "%s]", list) < 0)
		closed = NULL;
	free(list);
	write_export(closed);
	free(closed);
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	cnb_error *err = NULL;
	is_int(assemble(&img, &err), CNB_EEXPORT, "%d layers are refused", CNB_IMAGE_LAYERS_MAX + 1);
	ok(err && strstr(cnb_error_message(err), "more than the 125"), "message: %s", cnb_error_message(err));
	cnb__error_clear(&err);
}

static void test_export_assemble__no_links(void)
{
	_cleanup_free_ char *target = path_in("secret");
	_cleanup_free_ char *link = path_in("out/layers/link.tar");
	write_text("secret", "host file");
	ok(symlink(target, link) == 0, "a layer that is a symlink to a host file");
	write_export("[{\"file\":\"layers/link.tar\"}]");
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	cnb_error *err = NULL;
	int r = assemble(&img, &err);
	ok(r < 0 && err, "export refuses it: %s", cnb_error_message(err));
	cnb__error_clear(&err);
	cnb__oci_layer l = { 0 };
	is_int(cnb__oci_layer_from_tar(ctx, link, &l, &err), CNB_EIO, "compression does not follow it either: %s",
	       cnb_error_message(err));
	cnb__error_clear(&err);
	_cleanup_free_ char *fifo = path_in("out/layers/fifo.tar");
	ok(mkfifo(fifo, 0644) == 0, "a fifo");
	is_int(cnb__oci_layer_from_tar(ctx, fifo, &l, &err), CNB_EUNSAFE, "nor read a non-regular file: %s",
	       cnb_error_message(err));
	cnb__error_clear(&err);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sparse(const char *rel, off_t size)
{
	_cleanup_free_ char *p = path_in(rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok(fd >= 0 && ftruncate(fd, size) == 0, "%s: %lld bytes, sparse", rel, (long long)size);
	close(fd);
}

static void test_export_assemble__caps_layer_sizes_before_compressing(void)
{
	sparse("out/layers/huge.tar", (off_t)9 << 30);
	write_export("[{\"file\":\"layers/a.tar\"},{\"file\":\"layers/huge.tar\"}]");
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	cnb_error *err = NULL;
	double t0 = now_s();
	int r = assemble(&img, &err);
	double took = now_s() - t0;
	is_int(r, CNB_EEXPORT, "a 9 GiB layer is refused by default");
	ok(err && strstr(cnb_error_message(err), "layers/huge.tar from the build is 9216.0 MiB uncompressed, over the limit "
						  "of 8192.0 MiB (--max-layer-size)"), "message: %s", cnb_error_message(err));
	ok(took < 1.0, "before any compression: %.3f s", took);
	cnb__error_clear(&err);

	max_layer_bytes = 16 << 20;
	sparse("out/cache/c.tar", (off_t)17 << 20);
	write_text("out/export.json", "{\"version\":1,\"layers\":[{\"file\":\"layers/a.tar\"}],\"entrypoint\":[\"/x\"],"
				     "\"lifecycle_metadata\":{},\"cache\":[{\"file\":\"cache/c.tar\"}]}");
	_cleanup_oci_image_ cnb__oci_image *img2 = NULL;
	is_int(assemble(&img2, &err), CNB_EEXPORT, "a cache tar over --max-layer-size 16M is refused too");
	ok(err && strstr(cnb_error_message(err), "cache/c.tar from the build is 17.0 MiB"), "message: %s",
	   cnb_error_message(err));
	cnb__error_clear(&err);
	max_layer_bytes = 0;
}

static void test_export_created__range_checked(void)
{
	char buf[32];
	memset(buf, 'x', sizeof(buf));
	cnb__export_rfc3339(CNB_BUILD_TIME_MAX, buf);
	is_str(buf, "9999-12-31T23:59:59Z", "the last accepted creation time");
	memset(buf, 'x', sizeof(buf));
	cnb__export_rfc3339(INT64_MAX, buf);
	is_str(buf, "1970-01-01T00:00:00Z", "out of range gives a fixed string, not uninitialised bytes");
	cnb_build_opts opts = CNB_BUILD_OPTS_INIT;
	opts.image = "app";
	opts.builder = "builder";
	opts.creation_time = CNB_BUILD_TIME_MAX + 1;
	cnb_build *b = NULL;
	cnb_error *err = NULL;
	is_int(cnb_build_new(&b, ctx, &opts, &err), CNB_EINVAL, "cnb_build_new refuses it: %s", cnb_error_message(err));
	cnb__error_clear(&err);
	opts.creation_time = CNB_BUILD_TIME_MAX;
	opts.version = 1; /* a version 1 caller: max_layer_bytes is not read */
	is_int(cnb_build_new(&b, ctx, &opts, &err), 0, "the maximum is fine (version 1 options): %s", cnb_error_message(err));
	cnb_build_free(b);
	cnb__error_clear(&err);
}

static cnb__buf logged = CNB_BUF_INIT;

static void capture(int32_t level, const char *msg, void *ud)
{
	cnb__buf_printf(&logged, "%d %s\n", (int)level, msg);
}

/* The reference's lines at info (lifecycle phase/exporter.go addOrReuseLayer, addAppLayers). */
static void test_export_assemble__logs_added_and_reused_layers(void)
{
	write_layer_tar("out/layers/a.tar", "a");
	write_layer_tar("out/layers/b.tar", "b");
	write_export("[{\"file\":\"layers/a.tar\",\"id\":\"test/bp:tool\"},{\"file\":\"layers/b.tar\",\"id\":\"app\"}]");
	_cleanup_oci_image_ cnb__oci_image *first = NULL, *second = NULL;
	cnb_error *err = NULL;
	cnb__buf_reset(&logged);
	is_int(assemble(&first, &err), 0, "a first export: %s", cnb_error_message(err));
	_cleanup_free_ char *want_add = NULL, *want_reuse = NULL;
	if (asprintf(&want_add, "%d Adding layer 'test/bp:tool'\n%d Added 1/1 app layer(s)\n", CNB_LOG_INFO,
		     CNB_LOG_INFO) < 0 ||
	    asprintf(&want_reuse, "%d Reusing layer 'test/bp:tool'\n%d Reused 1/1 app layer(s)\n", CNB_LOG_INFO,
		     CNB_LOG_INFO) < 0)
		return;
	is_str(logged.data, want_add, "a new layer: Adding layer, the app layers counted");
	cnb__buf_reset(&logged);
	previous = first;
	is_int(assemble(&second, &err), 0, "the same export on top of it: %s", cnb_error_message(err));
	previous = NULL;
	is_str(logged.data, want_reuse, "an unchanged layer: Reusing layer");
	cnb__buf_reset(&logged);
	cnb__error_clear(&err);
}

int main(void)
{
	if (!mkdtemp(tmp))
		tap_skip_all("mkdtemp failed");
	_cleanup_free_ char *cache = path_in("cache");
	_cleanup_free_ char *layers = path_in("out/layers");
	_cleanup_free_ char *cache_tars = path_in("out/cache");
	cnb_error *err = NULL;
	cnb_ctx_opts opts = CNB_CTX_OPTS_INIT;
	opts.cache_dir = cache;
	opts.log = capture;
	if (cnb_ctx_new(&ctx, &opts, NULL) < 0 || cnb__mkdir_p(layers, 0755, &err) < 0 ||
	    cnb__mkdir_p(cache_tars, 0755, &err) < 0)
		tap_skip_all("no context");
	test_export_assemble__accepts_distinct_tars();
	test_export_assemble__refuses_a_tar_named_twice();
	test_export_assemble__caps_the_layer_count();
	test_export_assemble__no_links();
	test_export_assemble__caps_layer_sizes_before_compressing();
	test_export_created__range_checked();
	test_export_assemble__logs_added_and_reused_layers();
	cnb_ctx_free(ctx);
	cnb__rm_rf(tmp, NULL);
	return tap_done();
}
