/*
 * A small, careful tar extractor for untrusted layer tars (in the guest: the restorer's cache
 * layers). Reads POSIX ustar, PAX extended headers (path, linkpath, size, mtime), GNU long
 * names/links ('L'/'K') and GNU base-256 numbers. Writes regular files, directories and symlinks.
 *
 * Safety model: every path is resolved one component at a time from dest_dirfd with O_NOFOLLOW
 * (openat/mkdirat/symlinkat), so nothing is ever written through a symlink, whatever the tar or
 * the destination holds; a `..` component anywhere refuses the whole tar; metadata headers are
 * bounded. Hardlinks, devices and fifos are refused (CNB_EUNSAFE): tar-writer.h never writes them
 * (hardlinks become regular files, devices are skipped), so such an entry means the tar is not one
 * of ours. setuid/setgid/sticky bits are masked (the unprivileged CNB user could not set them on
 * other users' behalf anyway); owners are not applied (we extract as that user), unless `owners`
 * asks for them (root extracting a tar it trusts, e.g. the app the host packed for the build VM).
 * Input is read in 1 MiB chunks, whatever the entry sizes: over 9p each read() is a round trip.
 */
#ifndef CNB_TAR_READER_H
#define CNB_TAR_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cnb/error.h>

/* Bound on one PAX extended header or GNU long name/link (the data of an 'x', 'g', 'L' or 'K' entry). */
#define CNB_TAR_MAX_META (1u << 20)

typedef struct cnb__tar_extract_opts {
	size_t max_meta;      /* 0 = CNB_TAR_MAX_META */
	uint64_t max_entries; /* entries read, all kinds; 0 = no bound */
	bool owners;          /* apply each entry's numeric uid/gid (header or PAX; names are never looked
			       * up) and keep its setuid/setgid bits: needs CAP_CHOWN */
	bool now_mtimes;      /* leave mtimes at the time of writing, as a copy would: no utimes call
			       * per entry (directory modes still come last) */
	/* NULL-terminated top-level directories ("layers", "workspace") every entry must be in or name;
	 * NULL = anywhere */
	const char *const *allowed_roots;
	bool check_only;      /* write nothing (dest_dirfd unused): validate the whole stream, which must
			       * end with its end-of-archive block */
} cnb__tar_extract_opts;

/*
 * Extracts the tar read from `fd` into `dest_dirfd`. Only entries under `strip_prefix` (e.g.
 * "/layers/my_bp/deps/"; leading "/" and "./" are ignored on both sides, so GNU tar's relative
 * names match too) are written, at their path relative to it; the entry naming the prefix itself
 * gives dest its mode and mtime. A NULL or empty prefix extracts everything. Directory modes and
 * mtimes are applied at the end (so a read-only directory can still be filled). An existing
 * non-directory at an entry's name is replaced; an existing directory where a file or symlink
 * goes is an error. On error, what was written so far stays (below dest only): the caller
 * removes it. `opts` may be NULL. Errors name the entry.
 */
int cnb__tar_extract(int fd, int dest_dirfd, const char *strip_prefix, const cnb__tar_extract_opts *opts,
		     cnb_error **err);

#endif
