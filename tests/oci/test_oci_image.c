/* Unit tests of the image model (oci/image, compress, layout, store) without a registry:
 * build from tars, determinism, OCI layout round trips, corrupted blobs. */
#include "oci/digest.h"
#include "oci/image.h"
#include "oci/manifest.h"
#include "oci/store.h"
#include "lib/common/cleanup.h"
#include "lib/common/fs.h"
#include "tests/lib/test-ctx.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/cnb-test-oci-image-XXXXXX";
static cnb_ctx *ctx;

static char *path_in(const char *name)
{
	return cnb__path_join(tmp, name);
}

/* A fake "tar": content is opaque to the model; size makes compression run several chunks. */
static char *make_tar(const char *name, unsigned seed, size_t size)
{
	char *p = path_in(name);
	unsigned char *data = malloc(size);
	for (size_t i = 0; i < size; i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (i % 7 == 0) ? (unsigned char)(seed >> 16) : (unsigned char)(i / 4096);
	}
	cnb__write_file_atomic(p, data, size, 0644, NULL);
	free(data);
	return p;
}

static cnb__oci_image *build(const char *tar1, const char *tar2)
{
	cnb__oci_image *img = NULL;
	cnb_error *err = NULL;
	int rc = cnb__oci_image_new(&img, &err);
	if (rc == 0)
		rc = cnb__oci_image_add_layer_tar(ctx, img, tar1, &err);
	if (rc == 0)
		rc = cnb__oci_image_add_layer_tar(ctx, img, tar2, &err);
	if (rc == 0) {
		json_t *cfg = cnb__oci_image_config_edit(img);
		json_object_set_new(cfg, "created", json_string("1980-01-01T00:00:01Z"));
		json_object_set_new(json_object_get(cfg, "config"), "Env", json_pack("[s]", "PATH=/usr/bin:/bin"));
		rc = cnb__oci_image_set_annotation(img, "org.opencontainers.image.title", "test", &err);
	}
	ok(rc == 0, "build an image from two tars (%s)", cnb_error_message(err));
	cnb_error_free(err);
	return img;
}

static void test_oci_image__layers_from_tars(void)
{
	_cleanup_free_ char *t1 = make_tar("one.tar", 1, 3u << 20), *t2 = make_tar("two.tar", 2, 1000);
	_cleanup_oci_image_ cnb__oci_image *img = build(t1, t2);
	if (!img)
		return;
	is_int(img->n_layers, 2, "two layers");
	char diff[CNB_OCI_DIGEST_SIZE], blob[CNB_OCI_DIGEST_SIZE];
	uint64_t size = 0;
	cnb__oci_digest_file(t1, diff, NULL, NULL);
	is_str(img->layers[0].diff_id, diff, "diff_id is the tar's sha256");
	cnb__oci_digest_file(img->layers[0].path, blob, &size, NULL);
	is_str(img->layers[0].digest, blob, "digest is the stored blob's sha256");
	is_int(img->layers[0].size, size, "size is the blob's");
	ok(size < (3u << 20), "the blob is compressed (%llu bytes)", (unsigned long long)size);
	is_str(img->layers[0].media_type, CNB_OCI_MT_LAYER_GZIP, "gzip media type");
	_cleanup_free_ char *cmd = NULL;
	ok(asprintf(&cmd, "gzip -dc '%s' | cmp -s - '%s'", img->layers[0].path, t1) > 0 && system(cmd) == 0,
	   "the blob gunzips to the tar");
	json_t *diff_ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
	is_int(json_array_size(diff_ids), 2, "config lists both diff_ids");
	is_str(json_string_value(json_array_get(diff_ids, 1)), img->layers[1].diff_id, "in order");

	ok(cnb__oci_image_serialize(img, NULL) == 0 && img->manifest_digest, "serializes");
	_cleanup_free_ char *first = strdup(img->manifest_digest);
	_cleanup_oci_image_ cnb__oci_image *again = build(t1, t2);
	ok(again && cnb__oci_image_serialize(again, NULL) == 0, "second build serializes");
	is_str(again ? again->manifest_digest : NULL, first, "same inputs, same manifest digest");
	cnb__oci_image_set_annotation(again, "org.opencontainers.image.title", "other", NULL);
	ok(!again->manifest_digest, "a change drops the digest");
	cnb__oci_image_serialize(again, NULL);
	ok(strcmp(again->manifest_digest, first), "a changed annotation changes the digest");
	ok(strstr(img->manifest_raw, "\"mediaType\":\"" CNB_OCI_MT_MANIFEST "\""), "OCI manifest media type");
}

static void test_oci_image__layout_round_trip(void)
{
	_cleanup_free_ char *t1 = make_tar("a.tar", 3, 200000), *t2 = make_tar("b.tar", 4, 5000);
	_cleanup_oci_image_ cnb__oci_image *img = build(t1, t2);
	if (!img)
		return;
	_cleanup_free_ char *dst = NULL, *dst2 = NULL, *lay = path_in("layout"), *lay2 = path_in("layout2");
	asprintf(&dst, "oci:%s:v1", lay);
	asprintf(&dst2, "oci:%s:copied", lay2);
	const char *extra[] = { "latest", NULL };
	char *digest = NULL;
	cnb_error *err = NULL;
	is_int(cnb__oci_image_push(ctx, img, dst, extra, &digest, &err), 0, "push to an OCI layout (%s)", cnb_error_message(err));
	cnb_error_free(err), err = NULL;
	is_str(digest, img->manifest_digest, "returns the manifest digest");
	_cleanup_free_ char *marker = cnb__path_join(lay, "oci-layout"), *index = NULL;
	ok(access(marker, F_OK) == 0, "oci-layout written");
	_cleanup_free_ char *index_path = cnb__path_join(lay, "index.json");
	size_t len;
	cnb__read_file(index_path, 1 << 20, &index, &len, NULL);
	ok(index && strstr(index, "\"org.opencontainers.image.ref.name\":\"v1\"") &&
	   strstr(index, "\"org.opencontainers.image.ref.name\":\"latest\""), "index.json names v1 and latest");

	cnb__oci_image *back = NULL;
	is_int(cnb__oci_image_pull(ctx, dst, NULL, &back, &err), 0, "pull it back (%s)", cnb_error_message(err));
	cnb_error_free(err), err = NULL;
	is_str(back ? back->manifest_digest : NULL, digest, "same manifest digest");
	ok(back && back->n_layers == 2 && back->layers[1].path, "layers with local paths");
	cnb__oci_image_free(back);

	char *copied = NULL;
	is_int(cnb__oci_image_copy(ctx, dst, dst2, NULL, &copied, &err), 0, "copy layout to layout (%s)", cnb_error_message(err));
	cnb_error_free(err), err = NULL;
	is_str(copied, digest, "copy keeps the digest");
	free(copied);

	if (system("command -v skopeo >/dev/null") == 0) {
		_cleanup_free_ char *cmd = NULL;
		asprintf(&cmd, "skopeo inspect --raw %s >/dev/null 2>&1 && skopeo inspect %s >/dev/null 2>&1", dst2, dst);
		ok(system(cmd) == 0, "skopeo reads our layouts");
	}

	/* Corrupt a layer blob in the copy: a pull must refuse it and name the digest. */
	_cleanup_free_ char *victim = cnb__oci_store_path(lay2, img->layers[0].digest);
	_cleanup_close_ int fd = open(victim, O_WRONLY);
	ok(fd >= 0 && pwrite(fd, "XX", 2, 100) == 2, "corrupt a blob in the layout");
	is_int(cnb__oci_image_pull(ctx, dst2, NULL, &back, &err), CNB_EDIGEST, "pull refuses the corrupted blob");
	ok(err && strstr(cnb_error_message(err), img->layers[0].digest) && strstr(cnb_error_message(err), "pull oci:"),
	   "error names the image and the blob (%s)", cnb_error_message(err));
	cnb_error_free(err), err = NULL;
	_cleanup_free_ char *bad = NULL;
	asprintf(&bad, "oci:%s:nope", lay);
	is_int(cnb__oci_image_pull_config(ctx, bad, NULL, &back, &err), CNB_ENOTFOUND, "unknown tag in a layout");
	ok(err && strstr(cnb_error_message(err), "no image named \"nope\""), "error names the tag (%s)", cnb_error_message(err));
	cnb_error_free(err);
	free(digest);
}

static void test_oci_store__partial_never_visible(void)
{
	_cleanup_free_ char *root = path_in("store");
	const char data[] = "hello blob";
	char digest[CNB_OCI_DIGEST_SIZE];
	cnb__oci_digest_of(data, sizeof(data) - 1, digest);
	cnb__oci_blob_writer w;
	cnb_error *err = NULL;
	ok(cnb__oci_blob_writer_open(&w, root, digest, sizeof(data) - 1, true, NULL) == 0, "open writer");
	cnb__oci_blob_writer_write(&w, "hello", 5, NULL);
	ok(!cnb__oci_store_has(root, digest, UINT64_MAX), "half a blob is not visible");
	cnb__oci_blob_writer_abort(&w, true);
	ok(cnb__oci_blob_writer_open(&w, root, digest, sizeof(data) - 1, true, NULL) == 0 && w.written == 5, "resume at 5");
	cnb__oci_blob_writer_write(&w, " blob", 5, NULL);
	is_int(cnb__oci_blob_writer_commit(&w, NULL, &err), 0, "resumed blob verifies");
	ok(cnb__oci_store_has(root, digest, sizeof(data) - 1), "and is visible");
	ok(cnb__oci_blob_writer_open(&w, root, "sha256:0000000000000000000000000000000000000000000000000000000000000000", 10,
				     false, NULL) == 0, "open a writer for a wrong digest");
	cnb__oci_blob_writer_write(&w, "0123456789", 10, NULL);
	is_int(cnb__oci_blob_writer_commit(&w, NULL, &err), CNB_EDIGEST, "mismatch refused");
	cnb_error_free(err);
	_cleanup_free_ char *cmd = NULL;
	asprintf(&cmd, "test $(ls -A '%s/blobs/sha256' | wc -l) = 1", root);
	ok(system(cmd) == 0, "no partial or bad blob left behind");
}

int main(void)
{
	ctx = tap_scratch_ctx(tmp);
	test_oci_image__layers_from_tars();
	test_oci_image__layout_round_trip();
	test_oci_store__partial_never_visible();
	cnb_ctx_free(ctx);
	cnb__rm_rf(tmp, NULL);
	return tap_done();
}
