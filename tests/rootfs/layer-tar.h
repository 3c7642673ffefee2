/* Test helper: writes layer tars (any owner, type, whiteout or hostile name) with libarchive. */
#ifndef CNB_TEST_LAYER_TAR_H
#define CNB_TEST_LAYER_TAR_H

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

typedef struct tar_ent {
	const char *name;
	mode_t type;        /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO; 0 = hardlink */
	unsigned perm;
	unsigned uid, gid;
	const char *data;   /* content, symlink target or hardlink target */
	unsigned major, minor;
	const char *xattr_name, *xattr_value;
} tar_ent;

/* compression: "none", "gzip" or "zstd". Returns 0 or -1. */
static inline int layer_tar_write(const char *path, const char *compression, const tar_ent *ents, size_t n)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (!strcmp(compression, "gzip"))
		archive_write_add_filter_gzip(a);
	else if (!strcmp(compression, "zstd"))
		archive_write_add_filter_zstd(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, ents[i].name);
		archive_entry_set_uid(e, ents[i].uid);
		archive_entry_set_gid(e, ents[i].gid);
		archive_entry_set_perm(e, ents[i].perm);
		archive_entry_set_mtime(e, 1700000000 + (time_t)i, 0);
		size_t len = 0;
		if (ents[i].type == 0) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, ents[i].data);
		} else {
			archive_entry_set_filetype(e, ents[i].type);
			if (ents[i].type == AE_IFLNK)
				archive_entry_set_symlink(e, ents[i].data);
			if (ents[i].type == AE_IFREG && ents[i].data)
				len = strlen(ents[i].data);
			if (ents[i].type == AE_IFCHR || ents[i].type == AE_IFBLK)
				archive_entry_set_rdev(e, makedev(ents[i].major, ents[i].minor));
		}
		if (ents[i].xattr_name)
			archive_entry_xattr_add_entry(e, ents[i].xattr_name, ents[i].xattr_value, strlen(ents[i].xattr_value));
		archive_entry_set_size(e, (la_int64_t)len);
		if (archive_write_header(a, e) != ARCHIVE_OK) {
			fprintf(stderr, "layer_tar_write %s: %s\n", ents[i].name, archive_error_string(a));
			archive_entry_free(e);
			archive_write_free(a);
			return -1;
		}
		if (len)
			archive_write_data(a, ents[i].data, len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	return 0;
}

#endif
