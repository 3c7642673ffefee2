/*
 * Tar extraction for untrusted layer tars (tar-reader.h). POSIX.1-2001 pax / ustar and the GNU
 * extensions GNU tar writes by default ('L'/'K' long names, base-256 numbers).
 */
#include "tar-reader.h"
#include "array.h"
#include "cleanup.h"
#include "error-internal.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 512
/* Input is read in large chunks: from a 9p share every read() is a round trip to the host. */
#define READ_CHUNK (1u << 20)

/* ustar header field offsets and sizes (POSIX.1-2001 pax, "ustar Interchange Format"). */
enum {
	F_NAME = 0, F_NAME_LEN = 100,
	F_MODE = 100, F_MODE_LEN = 8,
	F_UID = 108, F_GID = 116, F_ID_LEN = 8,
	F_SIZE = 124, F_SIZE_LEN = 12,
	F_MTIME = 136, F_MTIME_LEN = 12,
	F_CHKSUM = 148, F_CHKSUM_LEN = 8,
	F_TYPE = 156,
	F_LINK = 157, F_LINK_LEN = 100,
	F_MAGIC = 257,
	F_PREFIX = 345, F_PREFIX_LEN = 155,
};

typedef struct dir_fixup {
	char *rel; /* "" = dest itself */
	mode_t mode;
	int64_t mtime;
} dir_fixup;

typedef struct extractor {
	int in, dest;
	char *buf; /* READ_CHUNK bytes of input; [pos, len) not consumed yet */
	size_t pos, len;
	char *prefix; /* normalized, "" = everything */
	size_t max_meta;
	bool owners, times;
	int umask; /* the process's, or -1 when unknown: files are born with their mode when it allows */
	uint64_t max_entries, entries;
	const char *const *allowed_roots;
	bool check_only;
	dir_fixup *dirs;
	size_t n_dirs, cap_dirs;
	/* overrides for the next entry, from 'x' (PAX) and 'L'/'K' (GNU) headers */
	char *next_path, *next_link;
	bool has_size, has_mtime, has_uid, has_gid;
	uint64_t next_size, next_uid, next_gid;
	int64_t next_mtime;
	uint32_t uid, gid; /* the current entry's owner, applied when `owners` */
	/* the directory of the last entry: consecutive entries mostly share one, and directories are
	 * never removed during an extraction, so the fd stays right */
	char *parent_rel;
	size_t parent_len;
	int parent_fd;
} extractor;

static void extractor_free(extractor *x)
{
	for (size_t i = 0; i < x->n_dirs; i++)
		free(x->dirs[i].rel);
	free(x->dirs);
	free(x->buf);
	free(x->prefix);
	free(x->next_path);
	free(x->next_link);
	free(x->parent_rel);
	if (x->parent_fd >= 0)
		close(x->parent_fd);
}

/* Refills the input buffer when it is empty: 1 = data available, 0 = end of input, <0 = error. */
static int fill(extractor *x, cnb_error **err)
{
	if (x->pos < x->len)
		return 1;
	for (;;) {
		ssize_t n = read(x->in, x->buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "read tar");
		x->pos = 0;
		x->len = (size_t)n;
		return n > 0;
	}
}

/* 1 = `len` bytes read, 0 = clean end of input (only when eof_ok and nothing was read), <0 = error. */
static int read_exact(extractor *x, void *buf, size_t len, bool eof_ok, cnb_error **err)
{
	size_t got = 0;
	while (got < len) {
		int r = fill(x, err);
		if (r < 0)
			return r;
		if (r == 0) {
			if (got == 0 && eof_ok)
				return 0;
			return cnb__error_set(err, CNB_EPARSE, "tar is truncated");
		}
		size_t n = x->len - x->pos < len - got ? x->len - x->pos : len - got;
		memcpy((char *)buf + got, x->buf + x->pos, n);
		x->pos += n;
		got += n;
	}
	return 1;
}

static uint64_t padded(uint64_t size)
{
	return (size + BLOCK - 1) / BLOCK * BLOCK;
}

/* Copies `size` bytes of entry data to out_fd (-1 = discard) straight from the input buffer, then
 * skips the padding. */
static int copy_data(extractor *x, uint64_t size, int out_fd, const char *what, cnb_error **err)
{
	uint64_t left = padded(size), data_left = size;
	while (left) {
		int r = fill(x, err);
		if (r == 0)
			r = cnb__error_set(err, CNB_EPARSE, "tar is truncated");
		if (r < 0)
			return cnb__error_prefix(err, "tar entry '%s'", what);
		size_t n = x->len - x->pos < left ? x->len - x->pos : (size_t)left;
		size_t keep = data_left < n ? (size_t)data_left : n;
		if (out_fd >= 0 && keep && cnb__write_all(out_fd, x->buf + x->pos, keep) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "write '%s'", what);
		x->pos += n;
		data_left -= keep;
		left -= n;
	}
	return 0;
}

/* A numeric header field: octal digits (space/NUL padded) or GNU base-256 (high bit set). */
static bool parse_number(const unsigned char *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (f[0] & 0x80) {
		if (f[0] & 0x40)
			return false; /* negative: no valid size or mtime of ours is */
		v = f[0] & 0x3f;
		for (size_t i = 1; i < len; i++) {
			if (v > (UINT64_MAX >> 8))
				return false;
			v = (v << 8) | f[i];
		}
		*out = v;
		return true;
	}
	size_t i = 0;
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (UINT64_MAX >> 3))
			return false;
		v = (v << 3) | (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return false;
	*out = v;
	return true;
}

static bool checksum_ok(const unsigned char *h)
{
	uint64_t stored;
	if (!parse_number(h + F_CHKSUM, F_CHKSUM_LEN, &stored))
		return false;
	uint64_t sum_unsigned = 0;
	int64_t sum_signed = 0; /* some historic writers summed signed chars */
	for (size_t i = 0; i < BLOCK; i++) {
		unsigned char c = i >= F_CHKSUM && i < F_CHKSUM + F_CHKSUM_LEN ? ' ' : h[i];
		sum_unsigned += c;
		sum_signed += (signed char)c;
	}
	return stored == sum_unsigned || (int64_t)stored == sum_signed;
}

/*
 * Joins the components of `raw` with "/", dropping empty and "." ones (so "/a//./b/" = "a/b").
 * Returns NULL with *unsafe set when a component is "..".
 */
static char *normalize(const char *raw, bool *unsafe)
{
	*unsafe = false;
	char *out = malloc(strlen(raw) + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (const char *p = raw; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			*unsafe = true;
			free(out);
			return NULL;
		}
		if (n && !(n == 1 && p[0] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		p += *p == '/';
	}
	out[o] = '\0';
	return out;
}

static bool in_allowed_root(const extractor *x, const char *path)
{
	size_t top = strcspn(path, "/");
	for (const char *const *r = x->allowed_roots; r && *r; r++)
		if (strlen(*r) == top && !strncmp(path, *r, top))
			return true;
	return !x->allowed_roots;
}

/* The path below the prefix ("" = the prefix itself), or NULL when `path` is not under it. */
static const char *below_prefix(const extractor *x, const char *path)
{
	size_t n = strlen(x->prefix);
	if (!n)
		return path;
	if (strncmp(path, x->prefix, n))
		return NULL;
	return path[n] == '\0' ? path + n : path[n] == '/' ? path + n + 1 : NULL;
}

/*
 * The directory holding `rel`'s last component, opened one component at a time without following
 * symlinks; missing directories are created (0755) when `create`. *out_fd is borrowed (dest, or
 * the extractor's cached parent): valid until the next call. *leaf points into rel.
 */
static int open_parent(extractor *x, const char *rel, bool create, int *out_fd, const char **leaf, cnb_error **err)
{
	const char *last = strrchr(rel, '/');
	*leaf = last ? last + 1 : rel;
	if (!last) {
		*out_fd = x->dest;
		return 0;
	}
	size_t dir_len = (size_t)(last - rel);
	if (x->parent_fd >= 0 && x->parent_len == dir_len && !memcmp(x->parent_rel, rel, dir_len)) {
		*out_fd = x->parent_fd;
		return 0;
	}
	_cleanup_close_ int cur = fcntl(x->dest, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "dup");
	const char *p = rel;
	for (const char *slash; p <= last && (slash = strchr(p, '/')); p = slash + 1) {
		_cleanup_free_ char *comp = strndup(p, (size_t)(slash - p));
		if (!comp)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
				return cnb__error_errno(err, CNB_EIO, errno, "create directory '%.*s'", (int)(slash - rel), rel);
			next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0 && (errno == ELOOP || errno == ENOTDIR))
			return cnb__error_set(err, CNB_EUNSAFE, "'%.*s' is a symlink or not a directory: refusing to write through it",
					      (int)(slash - rel), rel);
		if (next < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "open directory '%.*s'", (int)(slash - rel), rel);
		close(cur);
		cur = next;
	}
	char *copy = strndup(rel, dir_len);
	if (!copy)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	free(x->parent_rel);
	if (x->parent_fd >= 0)
		close(x->parent_fd);
	x->parent_rel = copy;
	x->parent_len = dir_len;
	*out_fd = x->parent_fd = TAKE_FD(cur);
	return 0;
}

/* Makes room for a non-directory at parent/leaf: an old file or symlink goes (it is never followed). */
static int clear_leaf(int parent, const char *leaf, const char *rel, cnb_error **err)
{
	struct stat st;
	if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cnb__error_errno(err, CNB_EIO, errno, "stat '%s'", rel);
	if (S_ISDIR(st.st_mode))
		return cnb__error_set(err, CNB_EEXIST, "'%s' is a directory", rel);
	if (unlinkat(parent, leaf, 0) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "remove '%s'", rel);
	return 0;
}

static mode_t safe_mode(const extractor *x, uint64_t mode)
{
	/* no setuid/setgid, unless the owners recorded in the tar are applied too */
	return (mode_t)(mode & (x->owners ? 07777 : 01777));
}

/* Gives parent/leaf (or fd when leaf is NULL) the entry's owner, when owners are applied. */
static int apply_owner(const extractor *x, int fd, const char *leaf, const char *rel, cnb_error **err)
{
	if (!x->owners)
		return 0;
	int r = leaf ? fchownat(fd, leaf, x->uid, x->gid, AT_SYMLINK_NOFOLLOW) : fchown(fd, x->uid, x->gid);
	return r < 0 ? cnb__error_errno(err, CNB_EIO, errno, "chown '%s' to %u:%u", rel, x->uid, x->gid) : 0;
}

/* The process umask from /proc (umask(2) cannot read it without changing it), or -1. */
static int read_umask(void)
{
	_cleanup_free_ char *status = NULL;
	size_t len = 0;
	if (cnb__read_file("/proc/self/status", 1 << 16, &status, &len, NULL) < 0)
		return -1;
	const char *line = strstr(status, "\nUmask:\t");
	return line ? (int)(strtol(line + 8, NULL, 8) & 0777) : -1;
}

static int write_file(extractor *x, const char *rel, uint64_t mode, int64_t mtime, uint64_t size, cnb_error **err)
{
	int parent;
	const char *leaf;
	int r = open_parent(x, rel, true, &parent, &leaf, err);
	if (r < 0)
		return r;
	/* born with its permission bits where the umask leaves them alone: no chmod afterwards */
	mode_t want = safe_mode(x, mode), born = want & 0777;
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	_cleanup_close_ int fd = openat(parent, leaf, flags, born);
	if (fd < 0 && errno == EEXIST) { /* an old entry goes; a fresh tree never has one: no stat first */
		if ((r = clear_leaf(parent, leaf, rel, err)) < 0)
			return r;
		fd = openat(parent, leaf, flags, born);
	}
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create '%s'", rel);
	if ((r = copy_data(x, size, fd, rel, err)) < 0 || (r = apply_owner(x, fd, NULL, rel, err)) < 0)
		return r;
	/* after the chown, which clears setuid/setgid */
	if ((x->umask < 0 || (born & ~(mode_t)x->umask) != want) && fchmod(fd, want) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "set the mode of '%s'", rel);
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	if (x->times && futimens(fd, ts) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "set the mtime of '%s'", rel);
	return 0;
}

static int write_symlink(extractor *x, const char *rel, const char *target, int64_t mtime, cnb_error **err)
{
	if (!*rel)
		return cnb__error_set(err, CNB_EUNSAFE, "the destination itself cannot become a symlink");
	if (!*target)
		return cnb__error_set(err, CNB_EPARSE, "symlink '%s' has an empty target", rel);
	int parent;
	const char *leaf;
	int r = open_parent(x, rel, true, &parent, &leaf, err);
	if (r < 0)
		return r;
	/* the target is not checked: it is never followed here, and at run time it is the layer's business */
	int made = symlinkat(target, parent, leaf);
	if (made < 0 && errno == EEXIST) {
		if ((r = clear_leaf(parent, leaf, rel, err)) < 0)
			return r;
		made = symlinkat(target, parent, leaf);
	}
	if (made < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create symlink '%s'", rel);
	if ((r = apply_owner(x, parent, leaf, rel, err)) < 0)
		return r;
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	if (x->times && utimensat(parent, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "set mtime of symlink '%s'", rel);
	return 0;
}

/* Opens the directory rel ("" = dest) without following symlinks; creates it when `create`. */
static int open_dir(extractor *x, const char *rel, bool create, int *out, cnb_error **err)
{
	if (!*rel) {
		if ((*out = fcntl(x->dest, F_DUPFD_CLOEXEC, 3)) < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "dup");
		return 0;
	}
	int parent;
	const char *leaf;
	int r = open_parent(x, rel, create, &parent, &leaf, err);
	if (r < 0)
		return r;
	if (create) {
		struct stat st;
		if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
		    (r = clear_leaf(parent, leaf, rel, err)) < 0)
			return r;
		if (mkdirat(parent, leaf, 0700) < 0 && errno != EEXIST)
			return cnb__error_errno(err, CNB_EIO, errno, "create directory '%s'", rel);
	}
	if ((*out = openat(parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open directory '%s'", rel);
	return 0;
}

static int write_dir(extractor *x, const char *rel, uint64_t mode, int64_t mtime, cnb_error **err)
{
	_cleanup_close_ int fd = -1;
	int r = open_dir(x, rel, true, &fd, err);
	if (r < 0)
		return r;
	/* owner rwx until the end, so entries can still be written below a read-only directory */
	if ((r = apply_owner(x, fd, NULL, rel, err)) < 0)
		return r;
	if (fchmod(fd, safe_mode(x, mode) | 0700) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "chmod '%s'", rel);
	dir_fixup *dirs = cnb__array_reserve(x->dirs, x->n_dirs, &x->cap_dirs, sizeof(*dirs), 16);
	if (!dirs)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	x->dirs = dirs;
	if (!(x->dirs[x->n_dirs].rel = strdup(rel)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	x->dirs[x->n_dirs].mode = safe_mode(x, mode);
	x->dirs[x->n_dirs++].mtime = mtime;
	return 0;
}

/* Directory modes and mtimes, deepest (latest) first: writing below a directory changes its mtime. */
static int apply_dir_fixups(extractor *x, cnb_error **err)
{
	for (size_t i = x->n_dirs; i-- > 0;) {
		const dir_fixup *d = &x->dirs[i];
		if (!x->times && (d->mode & 0700) == 0700)
			continue; /* its mode is already right (write_dir) */
		_cleanup_close_ int fd = -1;
		int r = open_dir(x, d->rel, false, &fd, err);
		if (r < 0)
			return r;
		struct timespec ts[2] = { { d->mtime, 0 }, { d->mtime, 0 } };
		if (fchmod(fd, d->mode) < 0 || (x->times && futimens(fd, ts) < 0))
			return cnb__error_errno(err, CNB_EIO, errno, "set mode and mtime of '%s'", d->rel);
	}
	return 0;
}

/* Reads the data of a metadata entry ('x', 'g', 'L', 'K'), bounded. */
static int read_meta(extractor *x, uint64_t size, char **out, cnb_error **err)
{
	if (size > x->max_meta)
		return cnb__error_set(err, CNB_EUNSAFE, "extended header of %llu bytes (limit %zu)",
				      (unsigned long long)size, x->max_meta);
	size_t block_len = (size_t)padded(size); /* the padding is read with the data */
	_cleanup_free_ char *data = malloc(block_len + 1);
	if (!data)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = block_len ? read_exact(x, data, block_len, false, err) : 0;
	if (r < 0)
		return r;
	data[size] = '\0';
	*out = TAKE_PTR(data);
	return 0;
}

static bool parse_decimal(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

static int set_string(char **slot, const char *value, size_t len, cnb_error **err)
{
	if (memchr(value, '\0', len))
		return cnb__error_set(err, CNB_EPARSE, "PAX path holds a NUL byte");
	free(*slot);
	if (!(*slot = strndup(value, len)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

/* PAX records "<len> <key>=<value>\n"; path, linkpath, size, mtime, uid and gid matter here, others are
 * ignored. */
static int parse_pax(extractor *x, const char *data, size_t len, cnb_error **err)
{
	for (size_t off = 0; off < len;) {
		size_t digits = 0;
		while (off + digits < len && data[off + digits] >= '0' && data[off + digits] <= '9')
			digits++;
		uint64_t rec;
		if (!parse_decimal(data + off, digits, &rec) || off + digits >= len || data[off + digits] != ' ' ||
		    rec > len - off || rec < digits + 3 || data[off + rec - 1] != '\n')
			return cnb__error_set(err, CNB_EPARSE, "malformed PAX record at byte %zu", off);
		const char *kv = data + off + digits + 1;
		size_t kv_len = (size_t)rec - digits - 2;
		const char *eq = memchr(kv, '=', kv_len);
		if (!eq)
			return cnb__error_set(err, CNB_EPARSE, "PAX record without '=' at byte %zu", off);
		size_t key_len = (size_t)(eq - kv), value_len = kv_len - key_len - 1;
		const char *value = eq + 1;
		int r = 0;
		if (key_len == 4 && !memcmp(kv, "path", 4))
			r = set_string(&x->next_path, value, value_len, err);
		else if (key_len == 8 && !memcmp(kv, "linkpath", 8))
			r = set_string(&x->next_link, value, value_len, err);
		else if (key_len == 4 && !memcmp(kv, "size", 4)) {
			if (!(x->has_size = parse_decimal(value, value_len, &x->next_size)))
				r = cnb__error_set(err, CNB_EPARSE, "PAX size '%.*s' is not a number", (int)value_len, value);
		} else if (key_len == 3 && (!memcmp(kv, "uid", 3) || !memcmp(kv, "gid", 3))) {
			bool uid = kv[0] == 'u';
			uint64_t *slot = uid ? &x->next_uid : &x->next_gid;
			bool ok = parse_decimal(value, value_len, slot) && *slot <= UINT32_MAX;
			*(uid ? &x->has_uid : &x->has_gid) = ok;
			if (!ok)
				r = cnb__error_set(err, CNB_EPARSE, "PAX %.3s '%.*s' is not a 32-bit number", kv, (int)value_len,
						   value);
		} else if (key_len == 5 && !memcmp(kv, "mtime", 5)) {
			/* "<seconds>[.<fraction>]"; the fraction is dropped (layers use whole seconds) */
			size_t whole = strcspn(value, ".\n");
			uint64_t secs = 0;
			bool neg = value_len && value[0] == '-';
			if (whole > value_len || !parse_decimal(value + neg, whole - neg, &secs) || secs > INT64_MAX)
				r = cnb__error_set(err, CNB_EPARSE, "PAX mtime '%.*s' is not a number", (int)value_len, value);
			x->next_mtime = neg ? -(int64_t)secs : (int64_t)secs;
			x->has_mtime = r >= 0;
		}
		if (r < 0)
			return r;
		off += (size_t)rec;
	}
	return 0;
}

/* The entry's name: PAX path, else GNU long name, else ustar prefix + name. */
static char *header_string(const unsigned char *h, size_t off, size_t len)
{
	return strndup((const char *)h + off, len);
}

static char *entry_name(extractor *x, const unsigned char *h)
{
	if (x->next_path)
		return TAKE_PTR(x->next_path);
	_cleanup_free_ char *name = header_string(h, F_NAME, F_NAME_LEN);
	bool posix = !memcmp(h + F_MAGIC, "ustar\0", 6); /* GNU's "ustar  " uses the prefix field for atime */
	if (!name || !posix || !h[F_PREFIX])
		return TAKE_PTR(name);
	_cleanup_free_ char *prefix = header_string(h, F_PREFIX, F_PREFIX_LEN);
	char *full = NULL;
	return prefix && asprintf(&full, "%s/%s", prefix, name) >= 0 ? full : NULL;
}

static void clear_overrides(extractor *x)
{
	free(x->next_path);
	free(x->next_link);
	x->next_path = x->next_link = NULL;
	x->has_size = x->has_mtime = x->has_uid = x->has_gid = false;
}

static int extract_entry(extractor *x, const unsigned char *h, cnb_error **err)
{
	char type = (char)h[F_TYPE];
	uint64_t size, mode, mtime_u = 0;
	if (!parse_number(h + F_SIZE, F_SIZE_LEN, &size) || !parse_number(h + F_MODE, F_MODE_LEN, &mode) ||
	    (!x->has_mtime && !parse_number(h + F_MTIME, F_MTIME_LEN, &mtime_u)))
		return cnb__error_set(err, CNB_EPARSE, "tar header with a malformed number");
	if (mtime_u > INT64_MAX)
		return cnb__error_set(err, CNB_EPARSE, "tar header with an out-of-range mtime");
	if (x->has_size)
		size = x->next_size;
	uint64_t uid = x->next_uid, gid = x->next_gid;
	if (x->owners && ((!x->has_uid && !parse_number(h + F_UID, F_ID_LEN, &uid)) ||
			  (!x->has_gid && !parse_number(h + F_GID, F_ID_LEN, &gid)) || uid > UINT32_MAX || gid > UINT32_MAX))
		return cnb__error_set(err, CNB_EPARSE, "tar header with a malformed uid or gid");
	x->uid = (uint32_t)uid;
	x->gid = (uint32_t)gid;
	int64_t mtime = x->has_mtime ? x->next_mtime : (int64_t)mtime_u;

	if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
		_cleanup_free_ char *data = NULL;
		if (type == 'x' || type == 'g')
			clear_overrides(x);
		int r = read_meta(x, size, &data, err);
		if (r < 0)
			return r;
		if (type == 'x')
			return parse_pax(x, data, (size_t)size, err);
		if (type == 'L' && !x->next_path)
			return (x->next_path = strdup(data)) ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (type == 'K' && !x->next_link)
			return (x->next_link = strdup(data)) ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
		return 0; /* 'g': global headers change nothing we apply */
	}

	_cleanup_free_ char *raw = entry_name(x, h);
	_cleanup_free_ char *link = x->next_link ? TAKE_PTR(x->next_link) : header_string(h, F_LINK, F_LINK_LEN);
	clear_overrides(x);
	if (!raw || !link)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (x->max_entries && ++x->entries > x->max_entries)
		return cnb__error_set(err, CNB_EUNSAFE, "more than %llu tar entries", (unsigned long long)x->max_entries);
	bool unsafe;
	_cleanup_free_ char *path = normalize(raw, &unsafe);
	if (unsafe)
		return cnb__error_set(err, CNB_EUNSAFE, "tar entry '%s': '..' in a path is refused", raw);
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	bool regular = type == '0' || type == '\0' || type == '7';
	if (!regular && type != '5' && type != '2')
		return cnb__error_set(err, CNB_EUNSAFE, "tar entry '%s': type '%c' refused (only files, directories and "
				      "symlinks)", raw, type ? type : '0');
	if (!regular && size)
		return cnb__error_set(err, CNB_EPARSE, "tar entry '%s': a directory or symlink with data", raw);
	if (!in_allowed_root(x, path))
		return cnb__error_set(err, CNB_EUNSAFE, "tar entry '%s': outside the directories a layer may hold", raw);
	const char *rel = x->check_only ? NULL : below_prefix(x, path);
	int r;
	if (!rel)
		r = copy_data(x, size, -1, raw, err);
	else if (regular && !*rel)
		r = cnb__error_set(err, CNB_EUNSAFE, "the destination itself cannot become a file");
	else if (regular)
		r = write_file(x, rel, mode, mtime, size, err);
	else if (type == '5')
		r = write_dir(x, rel, mode, mtime, err);
	else
		r = write_symlink(x, rel, link, mtime, err);
	return r < 0 ? cnb__error_prefix(err, "tar entry '%s'", raw) : 0;
}

int cnb__tar_extract(int fd, int dest_dirfd, const char *strip_prefix, const cnb__tar_extract_opts *opts,
		     cnb_error **err)
{
	_cleanup_(extractor_free) extractor x = {
		.in = fd,
		.dest = dest_dirfd,
		.max_meta = opts && opts->max_meta ? opts->max_meta : CNB_TAR_MAX_META,
		.max_entries = opts ? opts->max_entries : 0,
		.owners = opts && opts->owners,
		.times = !(opts && opts->now_mtimes),
		.umask = read_umask(),
		.parent_fd = -1,
		.buf = malloc(READ_CHUNK),
		.allowed_roots = opts ? opts->allowed_roots : NULL,
		.check_only = opts && opts->check_only,
	};
	if (!x.buf)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	bool unsafe;
	if (!(x.prefix = normalize(strip_prefix ? strip_prefix : "", &unsafe)))
		return unsafe ? cnb__error_set(err, CNB_EINVAL, "strip prefix '%s' holds '..'", strip_prefix)
			      : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	unsigned char h[BLOCK];
	for (;;) {
		int r = read_exact(&x, h, BLOCK, true, err);
		if (r < 0)
			return r;
		static const unsigned char zero[BLOCK];
		if (r == 0 && x.check_only)
			return cnb__error_set(err, CNB_EPARSE, "the tar ends without its end-of-archive block (truncated, or "
					      "not a tar)");
		if (r == 0 || !memcmp(h, zero, BLOCK))
			break; /* end of archive (a second zero block and any trailer are not read) */
		if (!checksum_ok(h))
			return cnb__error_set(err, CNB_EPARSE, "tar header checksum mismatch (not a tar, or corrupt)");
		if ((r = extract_entry(&x, h, err)) < 0)
			return r;
	}
	if (x.next_path || x.next_link || x.has_size)
		return cnb__error_set(err, CNB_EPARSE, "tar ends after an extended header");
	return apply_dir_fixups(&x, err);
}
