/*
 * Unit tests of the tar extractor: tars from our writer and from GNU tar come back as written;
 * hostile tars are refused and nothing lands outside the destination.
 */
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-reader.h"
#include "lib/common/tar-writer.h"
#include "tests/lib/tap.h"
#include "tar-test-fixture.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static char work[] = "/tmp/cnb-tar-reader-XXXXXX";

static char *at(const char *rel)
{
	static char p[4][1024];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", work, rel);
	return p[i];
}

static void put(const char *rel, const char *content, mode_t mode)
{
	cnb__write_file_atomic(at(rel), content, strlen(content), mode, NULL);
}

static char *slurp(const char *rel)
{
	static char buf[256];
	char *data = NULL;
	size_t len;
	if (cnb__read_file(at(rel), sizeof(buf) - 1, &data, &len, NULL) < 0)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", data);
	free(data);
	return buf;
}

/* Extracts tar file `tar` (under work) into a fresh work/<dest>. */
static int extract(const char *tar, const char *dest, const char *prefix, const cnb__tar_extract_opts *o,
		   cnb_error **err)
{
	cnb__rm_rf(at(dest), NULL);
	mkdir(at(dest), 0755);
	_cleanup_close_ int in = open(at(tar), O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int d = open(at(dest), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cnb__error_clear(err);
	return cnb__tar_extract(in, d, prefix, o, err);
}

/* ---- raw ustar headers, for tars no honest writer makes ---- */
static void raw_header(cnb__buf *b, const char *name, char type, const char *link, uint64_t size)
{
	unsigned char h[512] = { 0 };
	memcpy(h, name, strnlen(name, 100));
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	char num[32];
	snprintf(num, sizeof(num), "%011llo", (unsigned long long)(size & 077777777777ull));
	memcpy(h + 124, num, 12);
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (unsigned char)type;
	if (link)
		memcpy(h + 157, link, strnlen(link, 100));
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	cnb__buf_append(b, h, 512);
}

static void raw_data(cnb__buf *b, const void *data, size_t len)
{
	static const char zero[512];
	cnb__buf_append(b, data, len);
	if (len % 512)
		cnb__buf_append(b, zero, 512 - len % 512);
}

static void raw_file(cnb__buf *b, const char *name, const char *content)
{
	raw_header(b, name, '0', NULL, strlen(content));
	raw_data(b, content, strlen(content));
}

static void raw_save(cnb__buf *b, const char *rel, bool end)
{
	static const char zero[1024];
	if (end)
		cnb__buf_append(b, zero, sizeof(zero));
	cnb__write_file_atomic(at(rel), b->data, b->len, 0644, NULL);
	cnb__buf_reset(b);
}

static void test_our_writer(void)
{
	cnb__mkdir_p(at("src/sub/ro"), 0755, NULL);
	put("src/a.sh", "#!/bin/sh\n", 0755);
	put("src/sub/ro/f", "read-only dir\n", 0644);
	chmod(at("src/sub/ro"), 0555);
	const char *longname = tar_test_long_name();
	char rel[200];
	snprintf(rel, sizeof(rel), "src/sub/%s", longname);
	put(rel, "long\n", 0600);
	symlink("../a.sh", at("src/sub/link"));

	_cleanup_close_ int fd = open(at("ours.tar"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	_cleanup_close_ int root = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cnb__tar *t = NULL;
	cnb__tar_norm norm = { 1000, 1000, CNB_TAR_EPOCH };
	cnb_error *err = NULL;
	int r = cnb__tar_open(&t, fd, &err);
	if (r == 0)
		r = cnb__tar_add_parents(t, "/layers/my_bp/layer", 0755, &norm, &err);
	if (r == 0)
		r = cnb__tar_add_tree(t, root, "src", "/layers/my_bp/layer", &norm, &err);
	if (r == 0)
		r = cnb__tar_add_data(t, "/layers/my_bp/other/x", 0644, "x", 1, &norm, &err);
	r = r == 0 ? cnb__tar_finish(t, &err) : (cnb__tar_free(t), r);
	is_int(r, 0, "tar-writer fixture: %s", cnb_error_message(err));

	is_int(extract("ours.tar", "out", "/layers/my_bp/layer/", NULL, &err), 0, "our tar extracts: %s",
	       cnb_error_message(err));
	is_str(slurp("out/a.sh"), "#!/bin/sh\n", "file content");
	snprintf(rel, sizeof(rel), "out/sub/%s", longname);
	is_str(slurp(rel), "long\n", "PAX long name");
	struct stat st;
	ok(stat(at("out/a.sh"), &st) == 0 && (st.st_mode & 07777) == 0755 && st.st_mtime == CNB_TAR_EPOCH,
	   "mode 0755 and mtime kept");
	ok(stat(at("out/sub/ro"), &st) == 0 && (st.st_mode & 07777) == 0555 && st.st_mtime == CNB_TAR_EPOCH,
	   "read-only directory filled, then its mode and mtime applied");
	is_str(slurp("out/sub/ro/f"), "read-only dir\n", "file below a read-only directory");
	ok(stat(at("out/sub"), &st) == 0 && st.st_mtime == CNB_TAR_EPOCH, "directory mtime survives its children");
	char target[64] = "";
	ok(readlink(at("out/sub/link"), target, sizeof(target) - 1) > 0 && !strcmp(target, "../a.sh"), "symlink target");
	ok(access(at("out/x"), F_OK) < 0 && access(at("out/other"), F_OK) < 0, "entries outside the prefix skipped");
	is_int(extract("ours.tar", "all", NULL, NULL, &err), 0, "no prefix: everything: %s", cnb_error_message(err));
	is_str(slurp("all/layers/my_bp/other/x"), "x", "whole tree below dest");
	chmod(at("src/sub/ro"), 0755);
	chmod(at("out/sub/ro"), 0755);
}

static void test_gnu_tar(void)
{
	if (system("tar --version >/dev/null 2>&1") != 0) {
		ok(1, "# SKIP no GNU tar");
		return;
	}
	cnb__mkdir_p(at("g/app/deep"), 0755, NULL);
	put("g/app/deep/f", "gnu\n", 0640);
	put("g/app/suid", "s\n", 0755);
	chmod(at("g/app/suid"), 04755);
	char longdir[300];
	memset(longdir, 'd', 120);
	strcpy(longdir + 120, "/");
	memset(longdir + 121, 'f', 120);
	longdir[241] = '\0';
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "cd %s/g && mkdir -p app/%.120s && echo deep > app/%s && ln -s deep/f app/l && "
		 "tar --format=gnu -cf ../gnu.tar app && tar --format=pax -cf ../pax.tar ./app", work, longdir, longdir);
	is_int(system(cmd), 0, "GNU tar fixtures");
	const char *kinds[] = { "gnu.tar", "pax.tar" };
	for (size_t i = 0; i < 2; i++) {
		cnb_error *err = NULL;
		is_int(extract(kinds[i], "g-out", "app", NULL, &err), 0, "%s extracts: %s", kinds[i], cnb_error_message(err));
		is_str(slurp("g-out/deep/f"), "gnu\n", "%s: content", kinds[i]);
		char rel[320];
		snprintf(rel, sizeof(rel), "g-out/%s", longdir);
		is_str(slurp(rel), "deep\n", "%s: long name", kinds[i]);
		struct stat st;
		ok(stat(at("g-out/deep/f"), &st) == 0 && (st.st_mode & 07777) == 0640, "%s: mode 0640", kinds[i]);
		ok(stat(at("g-out/suid"), &st) == 0 && (st.st_mode & 07777) == 0755, "%s: setuid masked", kinds[i]);
		ok(lstat(at("g-out/l"), &st) == 0 && S_ISLNK(st.st_mode), "%s: symlink", kinds[i]);
		cnb__error_clear(&err);
	}
}

/* A hostile tar must fail, and work/outside must stay empty. */
static void refused(const char *what, const char *prefix)
{
	cnb_error *err = NULL;
	cnb__tar_extract_opts o = { .max_meta = 0 };
	int r = extract("bad.tar", "dest/in", prefix, &o, &err);
	ok(r < 0, "%s refused: %s", what, cnb_error_message(err));
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s/outside)\" && test ! -e %s/dest/evil", work, work);
	ok(system(cmd) == 0, "%s: nothing outside the destination", what);
	cnb__error_clear(&err);
}

static void test_hostile(void)
{
	mkdir(at("outside"), 0755);
	mkdir(at("dest"), 0755);
	_cleanup_buf_ cnb__buf b = CNB_BUF_INIT;

	raw_file(&b, "../evil", "x");
	raw_save(&b, "bad.tar", true);
	refused("'../evil'", NULL);

	raw_file(&b, "/layers/bp/l/../../../../evil", "x");
	raw_save(&b, "bad.tar", true);
	refused("absolute escape after the prefix", "/layers/bp/l/");

	char link[256];
	snprintf(link, sizeof(link), "%s/outside", work);
	raw_header(&b, "layers/bp/l/a", '2', link, 0);
	raw_file(&b, "layers/bp/l/a/pwn", "x");
	raw_save(&b, "bad.tar", true);
	refused("symlink then write through it", "/layers/bp/l");

	raw_header(&b, "dotdot", '2', "..", 0);
	raw_file(&b, "dotdot/evil", "x");
	raw_save(&b, "bad.tar", true);
	refused("symlink to .. then write through it", NULL);

	/* a symlink already in dest, pointing out: replaced, never followed */
	put("outside/victim", "safe", 0644);
	mkdir(at("dest/in2"), 0755);
	snprintf(link, sizeof(link), "%s/outside/victim", work);
	raw_header(&b, "victim", '2', link, 0);
	raw_file(&b, "victim", "overwritten");
	raw_save(&b, "bad.tar", true);
	cnb_error *err = NULL;
	is_int(extract("bad.tar", "dest/in2", NULL, NULL, &err), 0, "file over a symlink: %s", cnb_error_message(err));
	is_str(slurp("outside/victim"), "safe", "the symlink's target is untouched");
	is_str(slurp("dest/in2/victim"), "overwritten", "the symlink was replaced");
	unlink(at("outside/victim"));

	size_t huge = 2u << 20;
	_cleanup_free_ char *pax = malloc(huge);
	memset(pax, 'a', huge);
	raw_header(&b, "PaxHeader", 'x', NULL, huge);
	raw_data(&b, pax, huge);
	raw_file(&b, "evil", "x");
	raw_save(&b, "bad.tar", true);
	refused("2 MiB PAX header", NULL);

	raw_header(&b, "GNULongName", 'L', NULL, huge);
	raw_data(&b, pax, huge);
	raw_file(&b, "evil", "x");
	raw_save(&b, "bad.tar", true);
	refused("2 MiB GNU long name", NULL);

	raw_header(&b, "evil", '1', "/etc/passwd", 0);
	raw_save(&b, "bad.tar", true);
	refused("hardlink", NULL);

	raw_header(&b, "evil", '3', NULL, 0);
	raw_save(&b, "bad.tar", true);
	refused("character device", NULL);

	raw_header(&b, "evil", '0', NULL, 5000);
	raw_data(&b, "short", 5);
	raw_save(&b, "bad.tar", false);
	refused("truncated tar", NULL);

	raw_file(&b, "evil", "x");
	b.data[0] = 'E'; /* the checksum no longer matches */
	raw_save(&b, "bad.tar", true);
	refused("bad checksum", NULL);

	const char rec[] = "22 path=ok/../../evil\n"; /* 22 bytes, its own length included */
	raw_header(&b, "PaxHeader", 'x', NULL, strlen(rec));
	raw_data(&b, rec, strlen(rec));
	raw_file(&b, "innocent", "x");
	raw_save(&b, "bad.tar", true);
	refused("'..' in a PAX path", NULL);
}

static void test_base256(void)
{
	_cleanup_buf_ cnb__buf b = CNB_BUF_INIT;
	raw_file(&b, "big", "hello");
	/* rewrite the size as GNU base-256 (first byte 0x80) and fix the checksum */
	unsigned char *h = (unsigned char *)b.data;
	memset(h + 124, 0, 12);
	h[124] = 0x80;
	h[135] = 5;
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	raw_save(&b, "b256.tar", true);
	cnb_error *err = NULL;
	is_int(extract("b256.tar", "b256", NULL, NULL, &err), 0, "base-256 size: %s", cnb_error_message(err));
	is_str(slurp("b256/big"), "hello", "base-256 sized content");
	cnb__error_clear(&err);
}

static bool keep_not_skip(const char *rel, bool is_dir, void *userdata)
{
	(void)is_dir;
	++*(int *)userdata;
	return strcmp(rel, "skip") != 0;
}

/* A seed as the host packs it for the VM: the contents of a tree, filtered, owners applied on the
 * way out by root; data crossing the reader's 1 MiB chunks; old entries replaced. */
static void test_owners_and_contents(void)
{
	cnb__mkdir_p(at("tree/keep"), 0755, NULL);
	cnb__mkdir_p(at("tree/skip"), 0755, NULL);
	put("tree/keep/suid", "s\n", 0644);
	chmod(at("tree/keep/suid"), 04755);
	put("tree/skip/b", "b\n", 0644);
	put("tree/keep/open", "o\n", 0644);
	chmod(at("tree/keep/open"), 0666); /* more than the umask lets a new file have */
	symlink("keep/suid", at("tree/link"));
	size_t big_len = (3u << 20) + 777;
	char *big = malloc(big_len);
	for (size_t i = 0; big && i < big_len; i++)
		big[i] = (char)(i * 7 % 251);
	cnb__write_file_atomic(at("tree/big"), big, big_len, 0644, NULL);

	_cleanup_close_ int fd = open(at("seed.tar"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	_cleanup_close_ int tree = open(at("tree"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cnb__tar *t = NULL;
	cnb__tar_norm norm = { 1234, 2345, CNB_TAR_EPOCH };
	cnb_error *err = NULL;
	int asked = 0;
	int r = cnb__tar_open(&t, fd, &err);
	if (r == 0)
		r = cnb__tar_add_dir(t, ".", 0755, &norm, &err);
	if (r == 0)
		r = cnb__tar_add_contents(t, tree, ".", &norm, keep_not_skip, &asked, &err);
	r = r == 0 ? cnb__tar_finish(t, &err) : (cnb__tar_free(t), r);
	is_int(r, 0, "contents of a tree, filtered: %s", cnb_error_message(err));
	ok(asked == 6, "the filter saw every entry but those below a directory it left out (%d calls)", asked);

	cnb__tar_extract_opts own = { .owners = true };
	is_int(extract("seed.tar", "seeded", NULL, &own, &err), 0, "extracts with owners: %s", cnb_error_message(err));
	ok(access(at("seeded/skip"), F_OK) < 0 && access(at("seeded/keep/suid"), F_OK) == 0, "the filtered directory left out");
	char *data = NULL;
	size_t len = 0;
	ok(cnb__read_file(at("seeded/big"), big_len + 1, &data, &len, NULL) == 0 && len == big_len && big &&
	   !memcmp(data, big, big_len), "3 MiB of data across the reader's chunks, intact");
	free(data);
	struct stat st = { 0 }, lst = { 0 }, dst = { 0 };
	stat(at("seeded/keep/suid"), &st);
	lstat(at("seeded/link"), &lst);
	stat(at("seeded"), &dst);
	if (geteuid() == 0) {
		ok(st.st_uid == 1234 && st.st_gid == 2345 && lst.st_uid == 1234 && dst.st_uid == 1234 && dst.st_gid == 2345,
		   "numeric owners applied to files, symlinks and the destination itself");
		ok((st.st_mode & 07777) == 04755, "setuid kept with owners (mode %o)", st.st_mode & 07777);
	} else {
		ok(1, "# SKIP applying owners needs root");
		ok(1, "# SKIP applying owners needs root");
	}
	is_int(extract("seed.tar", "plain", NULL, NULL, &err), 0, "extracts without owners: %s", cnb_error_message(err));
	ok(stat(at("plain/keep/suid"), &st) == 0 && (st.st_mode & 07777) == 0755 && st.st_uid == geteuid(),
	   "without owners: extracting user's, setuid dropped");

	cnb__tar_extract_opts now = { .now_mtimes = true };
	is_int(extract("seed.tar", "now", NULL, &now, &err), 0, "extracts with mtimes of now: %s", cnb_error_message(err));
	struct stat open_st = { 0 };
	stat(at("now/keep/open"), &open_st);
	ok(stat(at("now/big"), &st) == 0 && st.st_mtime > CNB_TAR_EPOCH + 86400 && (st.st_mode & 07777) == 0644 &&
	   (open_st.st_mode & 07777) == 0666, "mtimes of now: modes still exact (0644, and 0666 past the umask)");
	ok(stat(at("seeded/big"), &st) == 0 && st.st_mtime == CNB_TAR_EPOCH, "by default the tar's mtimes");

	/* again into the same tree, an old link and an old file in the way: both replaced */
	unlink(at("plain/keep/suid"));
	symlink("/etc/passwd", at("plain/keep/suid"));
	_cleanup_close_ int in = open(at("seed.tar"), O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int dest = open(at("plain"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	is_int(cnb__tar_extract(in, dest, NULL, NULL, &err), 0, "over an existing tree: %s", cnb_error_message(err));
	ok(lstat(at("plain/keep/suid"), &st) == 0 && S_ISREG(st.st_mode) && !strcmp(slurp("plain/keep/suid"), "s\n"),
	   "an old symlink at a file's name is replaced, not followed");
	free(big);
	cnb__error_clear(&err);
}

int main(void)
{
	if (!mkdtemp(work))
		tap_skip_all("no temp dir");
	test_our_writer();
	test_gnu_tar();
	test_hostile();
	test_base256();
	test_owners_and_contents();
	cnb__rm_rf(work, NULL);
	return tap_done();
}
