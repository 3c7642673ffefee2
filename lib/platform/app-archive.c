/* Unpacking a .zip/.jar app (app-archive.h). */
#include "app-archive.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_ENTRIES (1u << 20)
#define MAX_BYTES (UINT64_C(8) << 30)

static void read_freep(struct archive **a) { if (*a) archive_read_free(*a); }
static void write_freep(struct archive **a) { if (*a) archive_write_free(*a); }

bool cnb__platform_app_archive_is(const char *path)
{
	size_t n = path ? strlen(path) : 0;
	return n > 4 && (!strcasecmp(path + n - 4, ".zip") || !strcasecmp(path + n - 4, ".jar"));
}

static int extract_entry(struct archive *in, struct archive *out, struct archive_entry *e, const char *dst,
			 uint64_t *total, cnb_error **err)
{
	const char *name = archive_entry_pathname(e);
	mode_t type = archive_entry_filetype(e);
	if (!name || (type != AE_IFREG && type != AE_IFDIR))
		return 0;
	if (name[0] == '/')
		return cnb__error_set(err, CNB_EUNSAFE, "entry %s has an absolute path", name);
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", dst, name) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	archive_entry_set_pathname(e, path);
	archive_entry_set_perm(e, (archive_entry_perm(e) & 0755) | (type == AE_IFDIR ? 0700 : 0600));
	if (archive_write_header(out, e) != ARCHIVE_OK)
		return cnb__error_set(err, CNB_EUNSAFE, "%s: %s", name, archive_error_string(out));
	const void *buf;
	size_t len;
	int64_t off;
	int r;
	while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK) {
		if ((*total += len) > MAX_BYTES)
			return cnb__error_set(err, CNB_EUNSAFE, "unpacks to more than %llu bytes", (unsigned long long)MAX_BYTES);
		if (archive_write_data_block(out, buf, len, off) != ARCHIVE_OK)
			return cnb__error_set(err, CNB_EIO, "%s: %s", name, archive_error_string(out));
	}
	if (r != ARCHIVE_EOF)
		return cnb__error_set(err, CNB_EPARSE, "%s: %s", name, archive_error_string(in));
	return archive_write_finish_entry(out) == ARCHIVE_OK ? 0 : cnb__error_set(err, CNB_EIO, "%s: %s", name, archive_error_string(out));
}

int cnb__platform_app_archive_extract(const char *path, const char *dst, cnb_error **err)
{
	_cleanup_(read_freep) struct archive *in = archive_read_new();
	_cleanup_(write_freep) struct archive *out = archive_write_disk_new();
	if (!in || !out)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	archive_read_support_format_zip(in);
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						    ARCHIVE_EXTRACT_PERM);
	if (archive_read_open_filename(in, path, 64 << 10) != ARCHIVE_OK)
		return cnb__error_set(err, CNB_EINVAL, "--path %s: not a zip file: %s", path, archive_error_string(in));
	struct archive_entry *e;
	uint64_t total = 0;
	int r = 0;
	for (unsigned n = 0; r == 0; n++) {
		int h = archive_read_next_header(in, &e);
		if (h == ARCHIVE_EOF)
			break;
		if (h < ARCHIVE_WARN || n >= MAX_ENTRIES)
			r = cnb__error_set(err, CNB_EPARSE, "bad zip or more than %u entries: %s", MAX_ENTRIES,
					   h < ARCHIVE_WARN ? archive_error_string(in) : "too many");
		else
			r = extract_entry(in, out, e, dst, &total, err);
	}
	return r < 0 ? cnb__error_prefix(err, "unpack %s", path) : 0;
}
