/* The store's memory of resolved references (format in pull-memo.h). */
#include "pull-memo.h"
#include "digest.h"
#include "manifest.h"
#include "store.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MEMO_MAX 4096

static char *memo_path(const char *root, const cnb__oci_ref *ref, const cnb__oci_platform *want)
{
	char plat[128], key[CNB_OCI_DIGEST_SIZE];
	cnb__oci_platform_format(want, plat, sizeof(plat));
	_cleanup_free_ char *name = cnb__oci_ref_string(ref), *text = NULL, *path = NULL;
	if (!name || asprintf(&text, "%s %s", name, plat) < 0)
		return NULL;
	cnb__oci_digest_of(text, strlen(text), key);
	/* "sha256:<hex>": the hex names the file */
	return asprintf(&path, "%s/refs/%s", root, key + 7) < 0 ? NULL : TAKE_PTR(path);
}

void cnb__oci_pull_memo_put(const char *root, const cnb__oci_ref *ref, const cnb__oci_platform *want,
			    const cnb__oci_image *img)
{
	_cleanup_free_ char *path = memo_path(root, ref, want), *dir = NULL;
	if (!path || !img->manifest_raw || !img->config_raw || asprintf(&dir, "%s/refs", root) < 0)
		return;
	cnb_error *err = NULL;
	json_t *memo = json_pack("{s:s, s:s, s:s, s:s?}", "manifest", img->manifest_digest, "mediaType",
				 img->manifest_media_type, "config", img->config_digest, "index", img->index_digest);
	char *text = memo ? json_dumps(memo, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (text && cnb__oci_store_put_bytes(root, img->manifest_raw, img->manifest_len, NULL, &err) == 0 &&
	    cnb__oci_store_put_bytes(root, img->config_raw, img->config_len, NULL, &err) == 0 &&
	    cnb__mkdir_p(dir, 0755, &err) == 0)
		cnb__write_file_atomic(path, text, strlen(text), 0644, &err);
	cnb_error_free(err);
	free(text);
	json_decref(memo);
}

int cnb__oci_pull_memo_get(const char *root, const cnb__oci_ref *ref, const cnb__oci_platform *want,
			   cnb__oci_image **out, cnb_error **err)
{
	*out = NULL;
	_cleanup_free_ char *path = memo_path(root, ref, want), *text = NULL, *manifest = NULL, *config = NULL;
	size_t len = 0, manifest_len = 0, config_len = 0;
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb_error *rerr = NULL;
	if (cnb__read_file(path, MEMO_MAX, &text, &len, &rerr) < 0) {
		cnb_error_free(rerr);
		return cnb__error_set(err, CNB_ENOTFOUND, "not in the local store (never pulled into %s)", root);
	}
	json_t *memo = json_loadb(text, len, 0, NULL);
	const char *m = json_string_value(json_object_get(memo, "manifest")), *c = json_string_value(json_object_get(memo, "config"));
	const char *mt = json_string_value(json_object_get(memo, "mediaType"));
	const char *index = json_string_value(json_object_get(memo, "index"));
	int r;
	if (!m || !c || !mt || !cnb__oci_digest_valid(m) || !cnb__oci_digest_valid(c) || (index && !cnb__oci_digest_valid(index)))
		r = cnb__error_set(err, CNB_ENOTFOUND, "the store's record %s is damaged: pull it again", path);
	else if ((r = cnb__oci_store_read_bytes(root, m, CNB_OCI_MANIFEST_MAX, &manifest, &manifest_len, err)) < 0 ||
		 (r = cnb__oci_store_read_bytes(root, c, CNB_OCI_MANIFEST_MAX, &config, &config_len, err)) < 0)
		r = cnb__error_set(err, CNB_ENOTFOUND, "manifest %s or config %s is gone from the local store", m, c);
	else
		r = cnb__oci_image_from_bytes(out, manifest, manifest_len, mt, config, config_len, err);
	if (r == 0) /* last use, for cnb cache prune --older-than: pull policy "never" lives on it */
		utimensat(AT_FDCWD, path, NULL, 0);
	if (r == 0 && ((index && !((*out)->index_digest = strdup(index))) ||
		       asprintf(&(*out)->source, "%s/%s", ref->registry, ref->repository) < 0)) {
		(*out)->source = NULL;
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	for (size_t i = 0; r == 0 && i < (*out)->n_layers; i++)
		if (!((*out)->layers[i].source = strdup((*out)->source)))
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r < 0) {
		cnb__oci_image_free(*out);
		*out = NULL;
	}
	json_decref(memo);
	return r;
}

/* The manifest and config digests a record names, both valid; false for a damaged record. */
static bool memo_blobs(int dirfd, const char *name, char **manifest, char **config)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char text[MEMO_MAX];
	ssize_t len = fd >= 0 ? read(fd, text, sizeof(text)) : -1;
	json_t *memo = len > 0 ? json_loadb(text, (size_t)len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(memo, "manifest"));
	const char *c = json_string_value(json_object_get(memo, "config"));
	bool valid = m && c && cnb__oci_digest_valid(m) && cnb__oci_digest_valid(c);
	*manifest = valid ? strdup(m) : NULL;
	*config = valid ? strdup(c) : NULL;
	json_decref(memo);
	return valid;
}

int cnb__oci_pull_memo_prune(const char *root, bool all, int64_t older_than, cnb__strv_list *keep, size_t *removed,
			     cnb_error **err)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/refs", root) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_closedir_ DIR *d = opendir(dir);
	time_t now = time(NULL);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		struct stat st;
		if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		_cleanup_free_ char *manifest = NULL, *config = NULL;
		bool stays = !all && (int64_t)(now - st.st_mtime) < older_than &&
			     memo_blobs(dirfd(d), de->d_name, &manifest, &config) &&
			     cnb__oci_store_has(root, manifest, UINT64_MAX) && cnb__oci_store_has(root, config, UINT64_MAX);
		if (!stays) {
			*removed += unlinkat(dirfd(d), de->d_name, 0) == 0;
			continue;
		}
		if (cnb__strv_push(keep, manifest) < 0 || cnb__strv_push(keep, config) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}
