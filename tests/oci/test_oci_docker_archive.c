/* Unit tests of oci/docker-archive.c: layers inflated exactly (a layer that inflates far beyond one buffer),
 * repeated layers stored once, a diff_id mismatch leaves nothing behind, digest references refused. */
#include "oci/docker-archive.h"
#include "lib/common/cleanup.h"
#include "lib/common/fs.h"
#include "lib/common/tar-writer.h"
#include "tests/lib/test-ctx.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static char tmp[] = "/tmp/cnb-test-docker-archive-XXXXXX";
static cnb_ctx *ctx;

static char *path_in(const char *name)
{
	return cnb__path_join(tmp, name);
}

static int sh(const char *fmt, const char *a, const char *b)
{
	_cleanup_free_ char *cmd = NULL;
	if (asprintf(&cmd, fmt, a, b) < 0)
		return -1;
	return system(cmd);
}

/* A tar holding 16 MiB of zeros: gzip shrinks it about a thousand times, so inflating one 1 MiB read
 * produces many output buffers. */
static char *make_zero_tar(void)
{
	char *path = path_in("zeros.tar");
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	_cleanup_free_ char *zeros = calloc(1, 16u << 20);
	cnb__tar *t = NULL;
	cnb__tar_norm n = { 0, 0, CNB_TAR_EPOCH };
	if (fd < 0 || !zeros || cnb__tar_open(&t, fd, NULL) < 0 ||
	    cnb__tar_add_data(t, "zeros", 0644, zeros, 16u << 20, &n, NULL) < 0 || cnb__tar_finish(t, NULL) < 0)
		return NULL;
	return path;
}

static void test_oci_docker_archive__inflates_and_dedups(void)
{
	_cleanup_free_ char *tar = make_zero_tar();
	_cleanup_free_ char *out = path_in("app.tar");
	_cleanup_free_ char *dst = NULL;
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	cnb__oci_layer l = { 0 };
	ok(tar && cnb__oci_layer_from_tar(ctx, tar, &l, NULL) == 0, "layer compressed");
	ok(cnb__oci_image_new(&img, NULL) == 0 && cnb__oci_image_append_layer(img, &l, NULL) == 0 &&
		   cnb__oci_image_append_layer(img, &l, NULL) == 0,
	   "image with the layer twice");
	asprintf(&dst, "docker-archive:%s:example.com/app:1", out);
	cnb_error *err = NULL;
	char *digest = NULL;
	is_int(cnb__oci_docker_archive_write(ctx, img, dst, NULL, &digest, &err), 0, "archive written (%s)",
	       err ? cnb_error_message(err) : "");
	ok(digest && img->manifest_digest && !strcmp(digest, img->manifest_digest), "reports the manifest digest");
	char entry[128];
	snprintf(entry, sizeof(entry), "%s/layer.tar", l.diff_id + 7);
	ok(sh("tar xOf '%s' '%s' | cmp -s - zeros.tar", out, entry) == 0, "layer.tar is the uncompressed layer byte for byte");
	ok(sh("test $(tar tf '%s' | grep -c layer.tar) = 1 && tar xOf '%s' manifest.json | grep -q 'example.com/app:1'", out, out) == 0,
	   "the repeated layer is stored once; RepoTags has the reference");
	free(digest);
	cnb_error_free(err);
	cnb__oci_layer_clear(&l);
}

static void test_oci_docker_archive__diff_id_mismatch_leaves_nothing(void)
{
	_cleanup_free_ char *tar = path_in("zeros.tar");
	_cleanup_free_ char *out = path_in("bad.tar");
	_cleanup_free_ char *dst = NULL;
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	cnb__oci_layer l = { 0 };
	cnb__oci_layer_from_tar(ctx, tar, &l, NULL);
	free(l.diff_id);
	l.diff_id = strdup("sha256:0000000000000000000000000000000000000000000000000000000000000000");
	cnb__oci_image_new(&img, NULL);
	cnb__oci_image_append_layer(img, &l, NULL);
	asprintf(&dst, "docker-archive:%s", out);
	cnb_error *err = NULL;
	is_int(cnb__oci_docker_archive_write(ctx, img, dst, NULL, NULL, &err), CNB_EDIGEST, "a layer that is not its diff_id is refused");
	ok(err && strstr(cnb_error_message(err), "the config says"), "the message says why (%s)", err ? cnb_error_message(err) : "");
	ok(sh("test -z \"$(ls '%s' | grep bad.tar)\"", tmp, NULL) == 0, "no archive or temporary file left");
	cnb_error_free(err);
	err = NULL;
	free(dst);
	asprintf(&dst, "docker-archive:%s:example.com/app@sha256:0000000000000000000000000000000000000000000000000000000000000000", out);
	is_int(cnb__oci_docker_archive_write(ctx, img, dst, NULL, NULL, &err), CNB_EINVAL, "a digest reference is refused");
	cnb_error_free(err);
	cnb__oci_layer_clear(&l);
}

int main(void)
{
	ctx = tap_scratch_ctx(tmp);
	if (chdir(tmp) < 0)
		tap_skip_all("chdir failed");
	test_oci_docker_archive__inflates_and_dedups();
	test_oci_docker_archive__diff_id_mismatch_leaves_nothing();
	cnb_ctx_free(ctx);
	cnb__rm_rf(tmp, NULL);
	return tap_done();
}
