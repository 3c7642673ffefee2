/* Garbage collection of an OCI layout's blobs/sha256/: what no index.json entry reaches goes. Used when
 * an image is removed from the local image store. Layout content is our own store but is read with
 * the same limits as anything else (bounded manifests, no symlinks followed on delete). */
#include "layout.h"
#include "manifest.h"
#include "store.h"
#include "lib/common/array.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 4 /* index → index → manifest is as deep as images nest in practice */

typedef struct reachable {
	char **digests;
	size_t n, cap;
} reachable;

static int add(reachable *r, const char *digest, cnb_error **err)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->digests[i], digest))
			return 0;
	char **digests = cnb__array_reserve(r->digests, r->n, &r->cap, sizeof(*digests), 64);
	if (!digests)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	r->digests = digests;
	return (r->digests[r->n] = strdup(digest)) ? (r->n++, 0) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

static bool has(const reachable *r, const char *digest)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->digests[i], digest))
			return true;
	return false;
}

static int walk_descs(const char *dir, json_t *descs, reachable *r, int depth, cnb_error **err);

/* Marks a descriptor and, for manifests and indexes, what they point at. */
static int walk(const char *dir, json_t *desc_json, reachable *r, int depth, cnb_error **err)
{
	cnb__oci_desc d;
	if (cnb__oci_desc_parse(&d, desc_json, "index.json", err) < 0)
		return cnb__error_code(err, CNB_EPARSE);
	int rc = add(r, d.digest, err);
	bool is_index = cnb__oci_media_type_is_index(d.media_type);
	bool is_manifest = cnb__oci_media_type_is_manifest(d.media_type);
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (rc == 0 && (is_index || is_manifest)) {
		if (depth >= MAX_DEPTH)
			rc = cnb__error_set(err, CNB_EUNSAFE, "%s: indexes nested deeper than %d", d.digest, MAX_DEPTH);
		else
			rc = cnb__oci_store_read_bytes(dir, d.digest, CNB_OCI_MANIFEST_MAX, &data, &len, err);
	}
	if (rc == 0 && is_index) {
		json_t *root = json_loadb(data, len, 0, NULL);
		rc = root ? walk_descs(dir, json_object_get(root, "manifests"), r, depth + 1, err)
			  : cnb__error_set(err, CNB_EPARSE, "index %s is not JSON", d.digest);
		json_decref(root);
	} else if (rc == 0 && is_manifest) {
		cnb__oci_manifest m;
		rc = cnb__oci_manifest_parse(&m, data, len, d.media_type, err);
		if (rc == 0) {
			rc = add(r, m.config.digest, err);
			for (size_t i = 0; rc == 0 && i < m.n_layers; i++)
				rc = add(r, m.layers[i].digest, err);
			cnb__oci_manifest_clear(&m);
		}
	}
	cnb__oci_desc_clear(&d);
	return rc;
}

static int walk_descs(const char *dir, json_t *descs, reachable *r, int depth, cnb_error **err)
{
	size_t i;
	json_t *d;
	json_array_foreach(descs, i, d) {
		int rc = walk(dir, d, r, depth, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool is_hex64(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return n == 64 && !s[n];
}

int cnb__oci_layout_gc(const char *dir, long min_age_s, uint64_t *freed, cnb_error **err)
{
	*freed = 0;
	_cleanup_free_ char *index_path = cnb__path_join(dir, "index.json");
	_cleanup_free_ char *blobs = cnb__path_join(dir, "blobs/sha256");
	if (!index_path || !blobs)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (cnb__read_file(index_path, CNB_OCI_MANIFEST_MAX, &text, &len, err) < 0)
		return cnb__error_prefix(err, "%s", dir);
	json_t *index = json_loadb(text, len, 0, NULL);
	if (!index)
		return cnb__error_set(err, CNB_EPARSE, "%s: index.json is not JSON", dir);
	reachable r = { 0 };
	/* Anything unreadable stops the collection before a single delete: a blob we could not follow may be in use. */
	int rc = walk_descs(dir, json_object_get(index, "manifests"), &r, 0, err);
	json_decref(index);
	_cleanup_close_ int fd = rc == 0 ? open(blobs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	DIR *d = fd >= 0 ? cnb__opendir_at(fd, NULL, 0) : NULL;
	if (rc == 0 && !d && errno != ENOENT)
		rc = cnb__error_errno(err, CNB_EIO, errno, "open %s", blobs);
	time_t cutoff = time(NULL) - min_age_s;
	struct dirent *de;
	while (rc == 0 && d && (de = readdir(d))) {
		struct stat st;
		char digest[7 + 64 + 1];
		if (!is_hex64(de->d_name) || fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		memcpy(digest, "sha256:", 7);
		memcpy(digest + 7, de->d_name, 65); /* is_hex64: 64 characters and the NUL */
		if (has(&r, digest) || st.st_mtime > cutoff)
			continue;
		if (unlinkat(fd, de->d_name, 0) < 0)
			rc = cnb__error_errno(err, CNB_EIO, errno, "remove %s/%s", blobs, de->d_name);
		else
			*freed += (uint64_t)st.st_size;
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < r.n; i++)
		free(r.digests[i]);
	free(r.digests);
	return rc;
}
