/* Blob files: partial/temp names never collide with "<64 hex>", so readers never see them as blobs. */
#include "store.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOB_MODE 0644

char *cnb__oci_store_path(const char *root, const char *digest)
{
	char *p = NULL;
	return asprintf(&p, "%s/blobs/sha256/%s", root, digest + 7) < 0 ? NULL : p;
}

bool cnb__oci_store_has(const char *root, const char *digest, uint64_t size)
{
	_cleanup_free_ char *p = cnb__oci_store_path(root, digest);
	struct stat st;
	return p && stat(p, &st) == 0 && S_ISREG(st.st_mode) && (size == UINT64_MAX || (uint64_t)st.st_size == size);
}

static int blob_dir(const char *root, char **out, cnb_error **err)
{
	if (asprintf(out, "%s/blobs/sha256", root) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return cnb__mkdir_p(*out, 0755, err);
}

/* A new "<dir>/.tmp-XXXXXX", flock'd while the fd is open: the store's cleaner (store-gc.c) removes
 * temp files whose lock it can take, i.e. those of dead processes. */
static int locked_temp(const char *dir, char **out_path, cnb_error **err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/.tmp-XXXXXX", dir) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int fd = cnb__mkstemp_locked(path, 0);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create a temp file in %s", dir);
	*out_path = TAKE_PTR(path);
	return fd;
}

static int rehash(cnb__oci_blob_writer *w, cnb_error **err)
{
	_cleanup_free_ char *buf = malloc(1 << 17);
	if (!buf)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	uint64_t off = 0;
	for (;;) {
		ssize_t n = pread(w->fd, buf, 1 << 17, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "read %s", w->tmp_path);
		if (n == 0)
			break;
		cnb__oci_hash_update(&w->hash, buf, (size_t)n);
		off += (uint64_t)n;
	}
	w->written = off;
	if (lseek(w->fd, (off_t)off, SEEK_SET) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "seek %s", w->tmp_path);
	return 0;
}

int cnb__oci_blob_writer_open(cnb__oci_blob_writer *w, const char *root, const char *expect_digest, uint64_t expect_size,
			      bool resume, cnb_error **err)
{
	memset(w, 0, sizeof(*w));
	w->fd = w->lock_fd = -1;
	w->expect_size = expect_size;
	_cleanup_free_ char *dir = NULL;
	if (!(w->root = strdup(root)) || blob_dir(root, &dir, err) < 0 || cnb__oci_hash_init(&w->hash) < 0) {
		cnb__oci_blob_writer_abort(w, true);
		return cnb__error_code(err, cnb__error_set(err, CNB_ENOMEM, "out of memory"));
	}
	if (!expect_digest) {
		w->fd = locked_temp(dir, &w->tmp_path, err);
		if (w->fd < 0) {
			int r = w->fd;
			cnb__oci_blob_writer_abort(w, false);
			return r;
		}
		return 0;
	}
	snprintf(w->expect, sizeof(w->expect), "%s", expect_digest);
	if (asprintf(&w->tmp_path, "%s/%s.partial", dir, expect_digest + 7) < 0 ||
	    !(w->final_path = cnb__oci_store_path(root, expect_digest))) {
		cnb__oci_blob_writer_abort(w, true);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (access(w->final_path, F_OK) == 0) {
		w->present = true;
		return 0;
	}
	w->fd = open(w->tmp_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (w->fd < 0) {
		int e = errno;
		cnb__oci_blob_writer_abort(w, true);
		return cnb__error_errno(err, CNB_EIO, e, "open %s", dir);
	}
	if (flock(w->fd, LOCK_EX) < 0) {
		int e = errno;
		cnb__oci_blob_writer_abort(w, true);
		return cnb__error_errno(err, CNB_EIO, e, "lock %s", dir);
	}
	/* After the lock: another process may have completed it (and removed the partial we opened). */
	struct stat st, cur;
	if (access(w->final_path, F_OK) == 0 || fstat(w->fd, &st) < 0 || st.st_nlink == 0 ||
	    stat(w->tmp_path, &cur) < 0 || cur.st_ino != st.st_ino) {
		if (access(w->final_path, F_OK) == 0) {
			w->present = true;
			return 0;
		}
		cnb__oci_blob_writer_abort(w, true);
		return cnb__oci_blob_writer_open(w, root, expect_digest, expect_size, resume, err);
	}
	if (!resume || (expect_size != UINT64_MAX && (uint64_t)st.st_size > expect_size)) {
		if (ftruncate(w->fd, 0) < 0) {
			int e = errno;
			cnb__oci_blob_writer_abort(w, false);
			return cnb__error_errno(err, CNB_EIO, e, "truncate %s", w->tmp_path);
		}
		return 0;
	}
	if (rehash(w, err) < 0) {
		cnb__oci_blob_writer_abort(w, false);
		return cnb__error_code(err, CNB_EIO);
	}
	return 0;
}

int cnb__oci_blob_writer_write(cnb__oci_blob_writer *w, const void *data, size_t len, cnb_error **err)
{
	if (w->expect_size != UINT64_MAX && w->written + len > w->expect_size)
		return cnb__error_set(err, CNB_EDIGEST, "%s: more bytes than the %llu the descriptor announced",
				      *w->expect ? w->expect : "blob", (unsigned long long)w->expect_size);
	if (cnb__write_all(w->fd, data, len) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "write %s", w->tmp_path);
	cnb__oci_hash_update(&w->hash, data, len);
	w->written += len;
	return 0;
}

int cnb__oci_blob_writer_restart(cnb__oci_blob_writer *w, cnb_error **err)
{
	cnb__oci_hash_free(&w->hash);
	if (cnb__oci_hash_init(&w->hash) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "truncate %s", w->tmp_path);
	w->written = 0;
	return 0;
}

int cnb__oci_blob_writer_commit(cnb__oci_blob_writer *w, char out_digest[CNB_OCI_DIGEST_SIZE], cnb_error **err)
{
	char got[CNB_OCI_DIGEST_SIZE];
	if (w->present) {
		if (out_digest)
			snprintf(out_digest, CNB_OCI_DIGEST_SIZE, "%s", w->expect);
		cnb__oci_blob_writer_abort(w, true);
		return 0;
	}
	cnb__oci_hash_final(&w->hash, got);
	int rc = 0;
	struct stat st;
	/* The hash covers what went through write(); the file must hold exactly that much. */
	if (fstat(w->fd, &st) < 0 || (uint64_t)st.st_size != w->written)
		rc = cnb__error_set(err, CNB_EIO, "%s: file size does not match the bytes written", w->tmp_path);
	else if (w->expect_size != UINT64_MAX && w->written != w->expect_size)
		rc = cnb__error_set(err, CNB_EDIGEST, "got %llu bytes, the descriptor says %llu (truncated download?)",
				    (unsigned long long)w->written, (unsigned long long)w->expect_size);
	else if (*w->expect && strcmp(got, w->expect))
		rc = cnb__error_set(err, CNB_EDIGEST, "content does not match its digest (got %s); refusing it", got);
	if (rc < 0) {
		cnb__oci_blob_writer_abort(w, false);
		return rc;
	}
	if (!w->final_path && !(w->final_path = cnb__oci_store_path(w->root, got))) {
		cnb__oci_blob_writer_abort(w, false);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	/* Data must be on disk before the name is, or a crash could leave a visible blob of zeros. */
	if (fchmod(w->fd, BLOB_MODE) < 0 || fdatasync(w->fd) < 0 || rename(w->tmp_path, w->final_path) < 0) {
		int e = errno;
		cnb__oci_blob_writer_abort(w, false);
		return cnb__error_errno(err, CNB_EIO, e, "store %s", got);
	}
	free(w->tmp_path);
	w->tmp_path = NULL;
	if (out_digest)
		memcpy(out_digest, got, CNB_OCI_DIGEST_SIZE);
	cnb__oci_blob_writer_abort(w, false);
	return 0;
}

void cnb__oci_blob_writer_abort(cnb__oci_blob_writer *w, bool keep_partial)
{
	/* A present blob's partial may already be someone else's file again: never delete it then. */
	if (w->tmp_path && !w->present && (!keep_partial || !*w->expect))
		unlink(w->tmp_path);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	cnb__oci_hash_free(&w->hash);
	free(w->tmp_path);
	free(w->final_path);
	free(w->root);
	w->tmp_path = w->final_path = w->root = NULL;
}

int cnb__oci_store_import(const char *src_path, const char *dst_root, const char *digest, cnb_error **err)
{
	_cleanup_free_ char *dir = NULL;
	if (blob_dir(dst_root, &dir, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	_cleanup_free_ char *dst = cnb__oci_store_path(dst_root, digest);
	if (!dst)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (access(dst, F_OK) == 0)
		return 0;
	if (link(src_path, dst) == 0 || errno == EEXIST)
		return 0;
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = locked_temp(dir, &tmp, err);
	if (fd < 0)
		return fd;
	int rc = cnb__copy_file(src_path, tmp, err);
	if (rc == 0 && (chmod(tmp, BLOB_MODE) < 0 || fdatasync(fd) < 0 || rename(tmp, dst) < 0))
		rc = cnb__error_errno(err, CNB_EIO, errno, "store %s in %s", digest, dst_root);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int cnb__oci_store_put_bytes(const char *root, const void *data, size_t len, char digest_out[CNB_OCI_DIGEST_SIZE],
			     cnb_error **err)
{
	char digest[CNB_OCI_DIGEST_SIZE];
	cnb__oci_digest_of(data, len, digest);
	if (digest_out)
		memcpy(digest_out, digest, sizeof(digest));
	if (cnb__oci_store_has(root, digest, len))
		return 0;
	cnb__oci_blob_writer w;
	if (cnb__oci_blob_writer_open(&w, root, digest, len, false, err) < 0)
		return cnb__error_code(err, CNB_EIO);
	if (!w.present && cnb__oci_blob_writer_write(&w, data, len, err) < 0) {
		cnb__oci_blob_writer_abort(&w, false);
		return cnb__error_code(err, CNB_EIO);
	}
	return cnb__oci_blob_writer_commit(&w, NULL, err);
}

int cnb__oci_store_read_bytes(const char *root, const char *digest, size_t max, char **data, size_t *len,
			      cnb_error **err)
{
	_cleanup_free_ char *path = cnb__oci_store_path(root, digest);
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (access(path, F_OK) < 0)
		return cnb__error_set(err, CNB_ENOTFOUND, "blob %s is missing from %s", digest, root);
	if (cnb__read_file(path, max, data, len, err) < 0)
		return cnb__error_prefix(err, "blob %s", digest);
	char got[CNB_OCI_DIGEST_SIZE];
	cnb__oci_digest_of(*data, *len, got);
	if (strcmp(got, digest)) {
		free(*data);
		*data = NULL;
		return cnb__error_set(err, CNB_EDIGEST, "blob %s in %s: content does not match its digest (got %s)", digest, root, got);
	}
	return 0;
}
