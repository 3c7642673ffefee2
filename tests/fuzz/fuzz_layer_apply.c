/*
 * libFuzzer target for layer application: the most exposed code we have (any registry can
 * serve any tar). Input: one flag byte, then up to three layer blobs separated by
 * "\nCNB-NEXT-LAYER\n" (plain tar, gzip or zstd: libarchive sniffs the magic).
 *   flags & 1: mapped-xattr form (else real ownership and device nodes, when running as root)
 *   flags >> 1 & 3: the media type we claim (none, tar, tar+gzip, tar+zstd)
 * Each input is applied into a fresh directory <base>/tree. Checked after every input, whether
 * the layers applied or were refused:
 *   - <base>/canary (reachable as "../canary" from the tree) and /tmp/cnb-fuzz-canary (reachable
 *     through an absolute symlink, which the seeds contain) are unchanged: names, types, modes,
 *     owners, sizes, mtimes, contents and link targets;
 *   - <base> holds nothing but tree/, canary/ and the blobs, and tree/ is still a directory.
 * Writes are capped with RLIMIT_FSIZE so a decompression bomb fails with EFBIG instead of filling
 * the disk.
 */
#include "fuzz-util.h"
#include "lib/common/buf.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/rootfs/layer-apply.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define GLOBAL_CANARY "/tmp/cnb-fuzz-canary"
#define SEPARATOR "\nCNB-NEXT-LAYER\n"
#define MAX_LAYERS 3

static char base[64];
static int base_fd = -1;
static cnb__buf canary_before = CNB_BUF_INIT, global_before = CNB_BUF_INIT;

static const char *const media_types[] = { NULL, "application/vnd.oci.image.layer.v1.tar",
					   "application/vnd.oci.image.layer.v1.tar+gzip",
					   "application/vnd.oci.image.layer.v1.tar+zstd" };

static uint64_t fnv(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

/* Describes everything under dir_fd (no link followed) into out, one line per entry. */
static void snapshot_at(int dir_fd, const char *prefix, cnb__buf *out)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	DIR *d = fdopendir(fd);
	FUZZ_CHECK(d);
	/* readdir order is stable for an unchanged directory on the same file system. */
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		FUZZ_CHECK(fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0);
		uint64_t h = 0;
		if (S_ISREG(st.st_mode)) {
			char *data = NULL;
			size_t len = 0;
			FUZZ_CHECK(cnb__read_file_at(dirfd(d), de->d_name, 1 << 20, &data, &len, NULL) == 0);
			h = fnv(data, len);
			free(data);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof(target));
			FUZZ_CHECK(n >= 0);
			h = fnv(target, (size_t)n);
		}
		cnb__buf_printf(out, "%s/%s %o %u:%u %lld %lld.%ld %llx\n", prefix, de->d_name, (unsigned)st.st_mode,
				(unsigned)st.st_uid, (unsigned)st.st_gid, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
				st.st_mtim.tv_nsec, (unsigned long long)h);
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			FUZZ_CHECK(sub >= 0);
			char p[1024];
			snprintf(p, sizeof(p), "%s/%s", prefix, de->d_name);
			snapshot_at(sub, p, out);
			close(sub);
		}
	}
	closedir(d);
}

static void snapshot(const char *path, cnb__buf *out)
{
	cnb__buf_reset(out);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	struct stat st;
	FUZZ_CHECK(fstat(fd, &st) == 0);
	cnb__buf_printf(out, ". %o %u:%u %lld.%ld\n", (unsigned)st.st_mode, (unsigned)st.st_uid, (unsigned)st.st_gid,
			(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	snapshot_at(fd, "", out);
	close(fd);
}

static void write_at(const char *dir, const char *name, const char *content)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FUZZ_CHECK(fd >= 0 && cnb__write_all(fd, content, strlen(content)) == 0);
	close(fd);
}

/* A small tree that an escape would touch: a file, a directory with a file, a symlink. */
static void make_canary(const char *dir)
{
	char p[256];
	FUZZ_CHECK(mkdir(dir, 0755) == 0);
	write_at(dir, "file", "canary\n");
	snprintf(p, sizeof(p), "%s/dir", dir);
	FUZZ_CHECK(mkdir(p, 0755) == 0);
	write_at(p, "inner", "inner canary\n");
	snprintf(p, sizeof(p), "%s/link", dir);
	FUZZ_CHECK(symlink("file", p) == 0);
}

static void setup(void)
{
	/* Shared by concurrent fuzzers, only ever read: created once, atomically. */
	if (access(GLOBAL_CANARY, F_OK) < 0) {
		char tmp[] = "/tmp/cnb-fuzz-canary.XXXXXX";
		FUZZ_CHECK(mkdtemp(tmp));
		FUZZ_CHECK(rmdir(tmp) == 0);
		make_canary(tmp);
		if (rename(tmp, GLOBAL_CANARY) < 0)
			FUZZ_CHECK(cnb__rm_rf(tmp, NULL) == 0);
	}
	snprintf(base, sizeof(base), "/tmp/cnb-fuzz-layer-XXXXXX");
	FUZZ_CHECK(mkdtemp(base));
	char p[128];
	snprintf(p, sizeof(p), "%s/canary", base);
	make_canary(p);
	base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(base_fd >= 0);
	snapshot(p, &canary_before);
	snapshot(GLOBAL_CANARY, &global_before);
	struct rlimit fsize = { 256u << 20, 256u << 20 };
	signal(SIGXFSZ, SIG_IGN);
	FUZZ_CHECK(setrlimit(RLIMIT_FSIZE, &fsize) == 0);
}

static void check_base(void)
{
	int fd = openat(base_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(fd);
	FUZZ_CHECK(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "tree") || !strcmp(n, "canary") ||
		    (!strncmp(n, "blob", 4) && n[4] >= '0' && n[4] < '0' + MAX_LAYERS && !n[5]))
			continue;
		fprintf(stderr, "escape: %s/%s was created\n", base, n);
		abort();
	}
	closedir(d);
	struct stat st;
	FUZZ_CHECK(fstatat(base_fd, "tree", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode));
}

static void check_canary(const char *path, const cnb__buf *before)
{
	cnb__buf now = CNB_BUF_INIT;
	snapshot(path, &now);
	if (now.len != before->len || memcmp(now.data, before->data, now.len)) {
		fprintf(stderr, "escape: %s changed\nbefore:\n%.*s\nafter:\n%.*s\n", path, (int)before->len, before->data,
			(int)now.len, now.data);
		abort();
	}
	cnb__buf_reset(&now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (base_fd < 0)
		setup();
	if (size < 1)
		return 0;
	unsigned flags = data[0];
	bool mapped = (flags & 1) || geteuid() != 0;
	const char *media_type = media_types[(flags >> 1) & 3];

	cnb__rootfs_layer layers[MAX_LAYERS];
	char paths[MAX_LAYERS][96];
	size_t n = 0;
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	while (n < MAX_LAYERS) {
		const char *sep = memmem(p, (size_t)(end - p), SEPARATOR, strlen(SEPARATOR));
		const char *stop = sep && n + 1 < MAX_LAYERS ? sep : end;
		snprintf(paths[n], sizeof(paths[n]), "%s/blob%zu", base, n);
		int fd = open(paths[n], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		FUZZ_CHECK(fd >= 0 && cnb__write_all(fd, p, (size_t)(stop - p)) == 0);
		close(fd);
		layers[n] = (cnb__rootfs_layer){ .blob_path = paths[n], .media_type = media_type };
		n++;
		if (stop == end)
			break;
		p = stop + strlen(SEPARATOR);
	}

	FUZZ_CHECK(mkdirat(base_fd, "tree", 0755) == 0);
	int tree = openat(base_fd, "tree", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	FUZZ_CHECK(tree >= 0);
	cnb_error *err = NULL;
	if (cnb__rootfs_apply_layers(NULL, tree, layers, n, mapped, &err) < 0) {
		FUZZ_CHECK(err && *cnb_error_message(err));
		cnb_error_free(err);
	} else {
		FUZZ_CHECK(!err);
	}
	close(tree);

	check_base();
	char canary[128];
	snprintf(canary, sizeof(canary), "%s/canary", base);
	check_canary(canary, &canary_before);
	check_canary(GLOBAL_CANARY, &global_before);
	FUZZ_CHECK(cnb__rm_rf_at(base_fd, "tree", NULL) == 0);
	return 0;
}
