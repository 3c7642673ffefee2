/* .cnb files: an OCI layout in a tar, written reproducibly and read as untrusted input. */
#include "buildpack-package-archive.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-writer.h"
#include "oci/manifest.h"
#include "oci/store.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char oci_layout_text[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
static const cnb__tar_norm archive_owner = { 0, 0, CNB_TAR_EPOCH };

typedef struct blob {
	const char *digest;
	const char *path; /* file, or NULL for in-memory data */
	const char *data;
	uint64_t size;
} blob;

static int blob_cmp(const void *a, const void *b)
{
	return strcmp(((const blob *)a)->digest, ((const blob *)b)->digest);
}

static char *index_json(const cnb__oci_image *img)
{
	json_t *index = json_pack("{s:i, s:s, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2, "mediaType", CNB_OCI_MT_INDEX,
				  "manifests", "mediaType", img->manifest_media_type, "digest", img->manifest_digest,
				  "size", (json_int_t)img->manifest_len);
	char *text = index ? json_dumps(index, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(index);
	return text;
}

static int add_blob(cnb__tar *t, const blob *b, cnb_error **err)
{
	_cleanup_free_ char *name = NULL;
	if (asprintf(&name, "blobs/sha256/%s", b->digest + strlen("sha256:")) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (!b->path)
		return cnb__tar_add_data(t, name, 0644, b->data, b->size, &archive_owner, err);
	_cleanup_close_ int fd = open(b->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", b->path);
	return cnb__tar_add_fd(t, name, 0644, fd, b->size, &archive_owner, err);
}

static int fill_archive(cnb__tar *t, const cnb__oci_image *img, cnb_error **err)
{
	_cleanup_free_ char *index = index_json(img);
	_cleanup_free_ blob *blobs = calloc(img->n_layers + 2, sizeof(*blobs));
	if (!index || !blobs)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	size_t n = 0;
	blobs[n++] = (blob){ img->manifest_digest, NULL, img->manifest_raw, img->manifest_len };
	blobs[n++] = (blob){ img->config_digest, NULL, img->config_raw, img->config_len };
	for (size_t i = 0; i < img->n_layers; i++) {
		const cnb__oci_layer *l = &img->layers[i];
		if (!l->path)
			return cnb__error_set(err, CNB_EINVAL, "layer %s is not local", l->digest);
		blobs[n++] = (blob){ l->digest, l->path, NULL, l->size };
	}
	qsort(blobs, n, sizeof(*blobs), blob_cmp);
	int r = cnb__tar_add_data(t, "oci-layout", 0644, oci_layout_text, strlen(oci_layout_text), &archive_owner, err);
	if (r == 0)
		r = cnb__tar_add_data(t, "index.json", 0644, index, strlen(index), &archive_owner, err);
	if (r == 0)
		r = cnb__tar_add_dir(t, "blobs", 0755, &archive_owner, err);
	if (r == 0)
		r = cnb__tar_add_dir(t, "blobs/sha256", 0755, &archive_owner, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (i == 0 || strcmp(blobs[i].digest, blobs[i - 1].digest))
			r = add_blob(t, &blobs[i], err);
	return r;
}

int cnb__builder_bp_archive_write(cnb__oci_image *img, const char *path, cnb_error **err)
{
	int r = cnb__oci_image_serialize(img, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = cnb__atomic_begin(path, &tmp, err);
	if (fd < 0)
		return fd;
	cnb__tar *t = NULL;
	r = cnb__tar_open(&t, fd, err);
	if (r == 0 && (r = fill_archive(t, img, err)) < 0)
		cnb__tar_free(t);
	else if (r == 0)
		r = cnb__tar_finish(t, err);
	if (r < 0)
		r = cnb__error_prefix(err, "write %s", path);
	return cnb__atomic_finish(fd, tmp, path, 0644, r, err);
}

/* ---- reading ---- */

void cnb__builder_bp_archive_reader_free(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

int cnb__builder_bp_archive_open(struct archive **out, int fd, cnb_error **err)
{
	struct archive *a = archive_read_new();
	if (!a)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		int r = cnb__error_set(err, CNB_EINVAL, "%s", archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	*out = a;
	return 0;
}

int cnb__builder_bp_archive_next(struct archive *a, struct archive_entry **e, size_t n, cnb_error **err)
{
	int ar = archive_read_next_header(a, e);
	if (ar == ARCHIVE_EOF)
		return 0;
	if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
		return cnb__error_set(err, CNB_EINVAL, "not a tar (%s)", archive_error_string(a));
	if (n >= CNB_BP_ARCHIVE_MAX_ENTRIES)
		return cnb__error_set(err, CNB_EINVAL, "more than %d entries", CNB_BP_ARCHIVE_MAX_ENTRIES);
	return 1;
}

/* "./blobs/sha256/<hex>" and "/blobs/…" name the same entry as "blobs/…" (pack, GNU tar, Go's archive/tar). */
static const char *entry_name(struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	while (name && (name[0] == '/' || (name[0] == '.' && name[1] == '/')))
		name += name[0] == '/' ? 1 : 2;
	return name;
}

static bool blob_name(const char *name, char digest[CNB_OCI_DIGEST_SIZE])
{
	const char *hex = name + strlen("blobs/sha256/");
	if (strncmp(name, "blobs/sha256/", strlen("blobs/sha256/")) || strlen(hex) != 64 ||
	    strspn(hex, "0123456789abcdef") != 64)
		return false;
	snprintf(digest, CNB_OCI_DIGEST_SIZE, "sha256:%s", hex);
	return true;
}

static int read_small(struct archive *a, const char *name, int64_t size, const char *layout_dir, cnb_error **err)
{
	if (size < 0 || size > CNB_OCI_MANIFEST_MAX)
		return cnb__error_set(err, CNB_EINVAL, "%s: %lld bytes, more than the %u allowed", name, (long long)size,
				      CNB_OCI_MANIFEST_MAX);
	_cleanup_free_ char *data = malloc((size_t)size + 1), *path = cnb__path_join(layout_dir, name);
	if (!data || !path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (int64_t got = 0; got < size;) {
		la_ssize_t r = archive_read_data(a, data + got, (size_t)(size - got));
		if (r <= 0)
			return cnb__error_set(err, CNB_EPARSE, "%s: %s", name, r < 0 ? archive_error_string(a) : "short read");
		got += r;
	}
	return cnb__write_file_atomic(path, data, (size_t)size, 0644, err);
}

static int read_blob(struct archive *a, const char *digest, int64_t size, const char *layout_dir, cnb_error **err)
{
	cnb__oci_blob_writer w;
	int r = cnb__oci_blob_writer_open(&w, layout_dir, digest, (uint64_t)size, false, err);
	if (r < 0)
		return r;
	if (w.present) {
		cnb__oci_blob_writer_abort(&w, false);
		return archive_read_data_skip(a) == ARCHIVE_OK ? 0 : cnb__error_set(err, CNB_EPARSE, "%s", archive_error_string(a));
	}
	_cleanup_free_ char *buf = malloc(1 << 16);
	if (!buf) {
		cnb__oci_blob_writer_abort(&w, false);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	for (;;) {
		la_ssize_t got = archive_read_data(a, buf, 1 << 16);
		if (got == 0)
			break;
		if (got < 0) {
			cnb__oci_blob_writer_abort(&w, false);
			return cnb__error_set(err, CNB_EPARSE, "%s", archive_error_string(a));
		}
		if ((r = cnb__oci_blob_writer_write(&w, buf, (size_t)got, err)) < 0) {
			cnb__oci_blob_writer_abort(&w, false);
			return r;
		}
	}
	return cnb__oci_blob_writer_commit(&w, NULL, err);
}

static int unpack_entries(struct archive *a, const char *layout_dir, cnb_error **err)
{
	struct archive_entry *e;
	uint64_t total = 0;
	bool have_index = false;
	for (size_t n = 0;; n++) {
		int more = cnb__builder_bp_archive_next(a, &e, n, err);
		if (more <= 0) {
			if (more < 0)
				return more;
			break;
		}
		const char *name = entry_name(e);
		int64_t size = archive_entry_size(e);
		char digest[CNB_OCI_DIGEST_SIZE];
		if (!name || archive_entry_filetype(e) != AE_IFREG || size < 0)
			continue;
		if ((total += (uint64_t)size) > CNB_BP_ARCHIVE_MAX_BYTES)
			return cnb__error_set(err, CNB_EINVAL, "more than %llu bytes", (unsigned long long)CNB_BP_ARCHIVE_MAX_BYTES);
		int r = 0;
		if (!strcmp(name, "index.json") || !strcmp(name, "oci-layout")) {
			have_index |= name[0] == 'i';
			r = read_small(a, name, size, layout_dir, err);
		} else if (blob_name(name, digest)) {
			r = read_blob(a, digest, size, layout_dir, err);
		}
		if (r < 0)
			return cnb__error_prefix(err, "%s", name);
	}
	if (!have_index)
		return cnb__error_set(err, CNB_EINVAL, "no index.json: not an OCI image layout");
	return 0;
}

int cnb__builder_bp_archive_unpack(const char *path, const char *layout_dir, cnb_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, errno == ENOENT ? CNB_ENOTFOUND : CNB_EIO, errno, "open %s", path);
	_cleanup_(cnb__builder_bp_archive_reader_free) struct archive *a = NULL;
	int r = cnb__mkdir_p(layout_dir, 0700, err);
	if (r == 0)
		r = cnb__builder_bp_archive_open(&a, fd, err);
	if (r == 0)
		r = unpack_entries(a, layout_dir, err);
	return r < 0 ? cnb__error_prefix(err, "%s is not a buildpackage (.cnb: an OCI image layout in a tar)", path) : 0;
}
