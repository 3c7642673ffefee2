/* Deterministic ustar/PAX writer. */
#include "tar-writer.h"
#include "buf.h"
#include "cleanup.h"
#include "dir-list.h"
#include "error-internal.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 512
#define MAX_TREE_DEPTH 256
/* Output goes out in large writes: over 9p (the build VM's exports) every write() is a round trip. */
#define WRITE_CHUNK (1u << 20)

struct cnb__tar {
	int fd;
	uint64_t written;
	char *out; /* WRITE_CHUNK bytes; the first out_len not written to fd yet */
	size_t out_len;
	char **dirs;      /* directories already written (open addressing set) */
	size_t dirs_cap, dirs_len;
	cnb__tar_check_fn check; /* may be NULL */
	void *check_data;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static bool dirs_contains(const cnb__tar *t, const char *path)
{
	if (!t->dirs_cap)
		return false;
	for (size_t i = hash_str(path) & (t->dirs_cap - 1);; i = (i + 1) & (t->dirs_cap - 1)) {
		if (!t->dirs[i])
			return false;
		if (!strcmp(t->dirs[i], path))
			return true;
	}
}

static int dirs_insert_owned(char **slots, size_t cap, char *path)
{
	for (size_t i = hash_str(path) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!slots[i]) {
			slots[i] = path;
			return 0;
		}
}

static int dirs_add(cnb__tar *t, const char *path)
{
	if (dirs_contains(t, path))
		return 0;
	if ((t->dirs_len + 1) * 2 > t->dirs_cap) {
		size_t cap = t->dirs_cap ? t->dirs_cap * 2 : 64;
		char **slots = calloc(cap, sizeof(char *));
		if (!slots)
			return -1;
		for (size_t i = 0; i < t->dirs_cap; i++)
			if (t->dirs[i])
				dirs_insert_owned(slots, cap, t->dirs[i]);
		free(t->dirs);
		t->dirs = slots;
		t->dirs_cap = cap;
	}
	char *copy = strdup(path);
	if (!copy)
		return -1;
	dirs_insert_owned(t->dirs, t->dirs_cap, copy);
	t->dirs_len++;
	return 0;
}

int cnb__tar_open(cnb__tar **out, int fd, cnb_error **err)
{
	cnb__tar *t = calloc(1, sizeof(*t));
	if (t && !(t->out = malloc(WRITE_CHUNK))) {
		free(t);
		t = NULL;
	}
	if (!t)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	t->fd = fd;
	*out = t;
	return 0;
}

void cnb__tar_free(cnb__tar *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->dirs_cap; i++)
		free(t->dirs[i]);
	free(t->dirs);
	free(t->out);
	free(t);
}

void cnb__tar_set_check(cnb__tar *t, cnb__tar_check_fn check, void *userdata)
{
	t->check = check;
	t->check_data = userdata;
}

static int run_check(const cnb__tar *t, const char *path, cnb_error **err)
{
	return t->check ? t->check(path, t->check_data, err) : 0;
}

uint64_t cnb__tar_written(const cnb__tar *t)
{
	return t->written;
}

static int flush(cnb__tar *t, cnb_error **err)
{
	if (t->out_len && cnb__write_all(t->fd, t->out, t->out_len) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "write tar stream");
	t->out_len = 0;
	return 0;
}

/* Room in the output buffer (flushing it when full): at least one byte. */
static int room(cnb__tar *t, size_t *avail, cnb_error **err)
{
	int r = t->out_len == WRITE_CHUNK ? flush(t, err) : 0;
	*avail = WRITE_CHUNK - t->out_len;
	return r;
}

static int emit(cnb__tar *t, const void *data, size_t len, cnb_error **err)
{
	for (size_t done = 0, avail; done < len; done += avail) {
		int r = room(t, &avail, err);
		if (r < 0)
			return r;
		if (avail > len - done)
			avail = len - done;
		memcpy(t->out + t->out_len, (const char *)data + done, avail);
		t->out_len += avail;
	}
	t->written += len;
	return 0;
}

static int pad_to_block(cnb__tar *t, uint64_t len, cnb_error **err)
{
	static const char zeros[BLOCK];
	size_t rest = (size_t)(len % BLOCK);
	return rest ? emit(t, zeros, BLOCK - rest, err) : 0;
}

/* Zero-padded octal in width-1 digits plus NUL; values too big for the field use the GNU base-256
 * form (high bit set, big-endian), which every tar reader of the last decades accepts. */
static void numeric(char *field, size_t width, uint64_t value)
{
	uint64_t max = 1;
	for (size_t i = 0; i < width - 1; i++)
		max *= 8;
	if (value >= max) {
		memset(field, 0, width);
		for (size_t i = width; i-- > 1 && value; value >>= 8)
			field[i] = (char)(value & 0xff);
		field[0] = (char)0x80;
		return;
	}
	field[width - 1] = '\0';
	for (size_t i = width - 1; i-- > 0; value /= 8)
		field[i] = (char)('0' + (value % 8));
}

/* One PAX record: "<len> <key>=<value>\n" where <len> counts itself. */
static int pax_record(cnb__buf *b, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3; /* ' ', '=', '\n' */
	size_t len = body + 1;
	while (snprintf(NULL, 0, "%zu", len) + body != len)
		len++;
	return cnb__buf_printf(b, "%zu %s=%s\n", len, key, value);
}

static int write_header(cnb__tar *t, const char *path, char type, mode_t mode, uint64_t size,
			const char *link, const cnb__tar_norm *n, cnb_error **err)
{
	const uint64_t max_octal_size = 077777777777ull;
	bool long_path = strlen(path) >= 100, long_link = link && strlen(link) >= 100;
	bool big = size > max_octal_size;
	if (long_path || long_link || big) {
		_cleanup_buf_ cnb__buf pax = CNB_BUF_INIT;
		char sizebuf[32];
		snprintf(sizebuf, sizeof(sizebuf), "%llu", (unsigned long long)size);
		if ((long_path && pax_record(&pax, "path", path) < 0) ||
		    (long_link && pax_record(&pax, "linkpath", link) < 0) ||
		    (big && pax_record(&pax, "size", sizebuf) < 0))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		int r = write_header(t, "././@PaxHeader", 'x', 0644, pax.len, NULL, n, err);
		if (r < 0 || (r = emit(t, pax.data, pax.len, err)) < 0 || (r = pad_to_block(t, pax.len, err)) < 0)
			return r;
	}
	char h[BLOCK];
	memset(h, 0, sizeof(h));
	memcpy(h, path, long_path ? 99 : strlen(path));
	if (n->setid_stripped && type != 'x' && (mode & (S_ISUID | S_ISGID))) {
		mode &= ~(mode_t)(S_ISUID | S_ISGID);
		(*n->setid_stripped)++;
	}
	numeric(h + 100, 8, mode & 07777);
	numeric(h + 108, 8, n->uid);
	numeric(h + 116, 8, n->gid);
	numeric(h + 124, 12, big ? 0 : size);
	numeric(h + 136, 12, n->mtime < 0 ? 0 : (uint64_t)n->mtime);
	memset(h + 148, ' ', 8);
	h[156] = type;
	if (link)
		memcpy(h + 157, link, long_link ? 99 : strlen(link));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	numeric(h + 329, 8, 0);
	numeric(h + 337, 8, 0);
	unsigned sum = 0;
	for (size_t i = 0; i < BLOCK; i++)
		sum += (unsigned char)h[i];
	numeric(h + 148, 7, sum); /* six digits, NUL, then the space already there */
	return emit(t, h, BLOCK, err);
}

int cnb__tar_add_dir(cnb__tar *t, const char *path, mode_t mode, const cnb__tar_norm *n, cnb_error **err)
{
	if (dirs_contains(t, path))
		return 0;
	if (dirs_add(t, path) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return write_header(t, path, '5', mode, 0, NULL, n, err);
}

int cnb__tar_add_symlink(cnb__tar *t, const char *path, const char *target, mode_t mode, const cnb__tar_norm *n,
			 cnb_error **err)
{
	return write_header(t, path, '2', mode, 0, target, n, err);
}

int cnb__tar_add_symlink_at(cnb__tar *t, int dirfd, const char *name, const char *path, const cnb__tar_norm *n,
			    cnb_error **err)
{
	char target[PATH_MAX];
	int r = cnb__readlink_at(dirfd, name, target, path, err);
	return r < 0 ? r : cnb__tar_add_symlink(t, path, target, 0777, n, err);
}

int cnb__tar_add_data(cnb__tar *t, const char *path, mode_t mode, const void *data, size_t len,
		      const cnb__tar_norm *n, cnb_error **err)
{
	int r = write_header(t, path, '0', mode, len, NULL, n, err);
	if (r < 0 || (r = emit(t, data, len, err)) < 0)
		return r;
	return pad_to_block(t, len, err);
}

int cnb__tar_add_fd(cnb__tar *t, const char *path, mode_t mode, int fd, uint64_t size,
		    const cnb__tar_norm *n, cnb_error **err)
{
	int r = write_header(t, path, '0', mode, size, NULL, n, err);
	if (r < 0)
		return r;
	uint64_t left = size;
	while (left) {
		size_t avail;
		if ((r = room(t, &avail, err)) < 0)
			return r;
		ssize_t got = read(fd, t->out + t->out_len, left < avail ? (size_t)left : avail);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "read %s", path);
		if (got == 0)
			return cnb__error_set(err, CNB_EIO, "%s shrank while being archived", path);
		t->out_len += (size_t)got;
		t->written += (uint64_t)got;
		left -= (uint64_t)got;
		if ((r = run_check(t, path, err)) < 0)
			return r;
	}
	return pad_to_block(t, size, err);
}

int cnb__tar_add_parents(cnb__tar *t, const char *path, mode_t mode, const cnb__tar_norm *n, cnb_error **err)
{
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		int r = cnb__tar_add_dir(t, p, mode, n, err);
		*s = '/';
		if (r < 0)
			return r;
	}
	return 0;
}

/* What a tree walk carries: the normalization, the filter and where relative names start. */
typedef struct tree_walk {
	const cnb__tar_norm *n;
	cnb__tar_keep_fn keep;
	void *userdata;
	size_t root_len; /* strlen of "<dest>/" for the tree's root */
	bool skip_root;  /* the root directory's own entry is left out */
} tree_walk;

static int add_entry(cnb__tar *t, int parent, const char *name, const char *dest, const tree_walk *w, int depth,
		     cnb_error **err);

static int add_dir_contents(cnb__tar *t, int fd, const char *dest, const tree_walk *w, int depth, cnb_error **err)
{
	char **names = NULL;
	size_t count = 0;
	int r = cnb__dir_list_sorted(fd, dest, NULL, NULL, &names, &count, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < count && r >= 0; i++) {
		_cleanup_free_ char *child = NULL;
		if (asprintf(&child, "%s%s%s", dest, (*dest && dest[strlen(dest) - 1] == '/') ? "" : "/",
			     names[i]) < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		else
			r = add_entry(t, fd, names[i], child, w, depth + 1, err);
	}
	cnb__strv_free(names);
	return r;
}

static int add_entry(cnb__tar *t, int parent, const char *name, const char *dest, const tree_walk *w, int depth,
		     cnb_error **err)
{
	if (depth > MAX_TREE_DEPTH)
		return cnb__error_set(err, CNB_EUNSAFE, "%s: directory tree deeper than %d levels", dest, MAX_TREE_DEPTH);
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "stat %s", dest);
	if (w->keep && depth > 0 && !w->keep(dest + w->root_len, S_ISDIR(st.st_mode), w->userdata))
		return 0;
	int r = run_check(t, dest, err);
	if (r < 0)
		return r;
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "open %s", dest);
		r = depth > 0 || !w->skip_root ? cnb__tar_add_dir(t, dest, st.st_mode, w->n, err) : 0;
		return r < 0 ? r : add_dir_contents(t, fd, dest, w, depth, err);
	}
	if (S_ISLNK(st.st_mode))
		return cnb__tar_add_symlink_at(t, parent, name, dest, w->n, err);
	if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "open %s", dest);
		return cnb__tar_add_fd(t, dest, st.st_mode, fd, (uint64_t)st.st_size, w->n, err);
	}
	return 0; /* sockets, fifos, devices: not layer content */
}

int cnb__tar_add_tree(cnb__tar *t, int dirfd, const char *src, const char *dest, const cnb__tar_norm *n,
		      cnb_error **err)
{
	tree_walk w = { n, NULL, NULL, 0, false };
	return add_entry(t, dirfd, src, dest, &w, 0, err);
}

int cnb__tar_add_contents(cnb__tar *t, int dirfd, const char *dest, const cnb__tar_norm *n, cnb__tar_keep_fn keep,
			  void *userdata, cnb_error **err)
{
	size_t len = strlen(dest);
	tree_walk w = { n, keep, userdata, len + (len && dest[len - 1] == '/' ? 0 : 1), true };
	return add_entry(t, dirfd, ".", dest, &w, 0, err);
}

int cnb__tar_finish(cnb__tar *t, cnb_error **err)
{
	static const char zeros[2 * BLOCK];
	int r = emit(t, zeros, sizeof(zeros), err);
	if (r == 0)
		r = flush(t, err);
	cnb__tar_free(t);
	return r;
}
