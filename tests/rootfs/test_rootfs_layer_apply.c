/* Layer application: entry types, whiteouts, both metadata forms, compressions, hostile layers. */
#include "tests/lib/tap.h"
#include "layer-tar.h"
#include "lib/rootfs/layer-apply.h"
#include "lib/rootfs/mapped-xattr.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/xattr.h>
#include "lib/common/cleanup.h"
#include <unistd.h>

static char work[] = "/tmp/cnb-test-layer-apply-XXXXXX";

static char *sha256_file(const char *path)
{
	static char out[72];
	char *data = NULL;
	size_t len = 0;
	if (cnb__read_file(path, 1 << 30, &data, &len, NULL) < 0)
		abort();
	unsigned char md[32];
	SHA256((unsigned char *)data, len, md);
	free(data);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
	return out;
}

/* Writes layer `name` and returns its descriptor (digest computed). */
static cnb__rootfs_layer make_layer(const char *name, const char *compression, const tar_ent *ents, size_t n)
{
	char *path = cnb__path_join(work, name);
	if (layer_tar_write(path, compression, ents, n) < 0)
		abort();
	return (cnb__rootfs_layer){ .blob_path = path, .digest = strdup(sha256_file(path)) };
}

static int apply(const char *dest, const cnb__rootfs_layer *layers, size_t n, bool mapped, cnb_error **err)
{
	char *dir = cnb__path_join(work, dest);
	mkdir(dir, 0755);
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	free(dir);
	int r = cnb__rootfs_apply_layers(NULL, fd, layers, n, mapped, err);
	close(fd);
	return r;
}

/* What the guest would see for `rel` under tree `dest`: mapped xattrs or real lstat. */
static int guest_stat(const char *dest, const char *rel, bool mapped, cnb__rootfs_mapped_attr *out)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s", work, dest, rel);
	struct stat st;
	if (lstat(path, &st) < 0)
		return -1;
	if (!mapped) {
		*out = (cnb__rootfs_mapped_attr){ st.st_uid, st.st_gid, st.st_mode, st.st_rdev };
		return 0;
	}
	int fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	int r = cnb__rootfs_mapped_xattr_read(fd, out);
	close(fd);
	return r;
}

static const char *content(const char *dest, const char *rel)
{
	static char buf[4096];
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s", work, dest, rel);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void check_tree(const char *dest, bool mapped, const char *compression)
{
	char long_name[300];
	memset(long_name, 'n', 250);
	strcpy(long_name + 250, ".txt");
	char long_path[320];
	snprintf(long_path, sizeof(long_path), "deep/%s", long_name);
	const tar_ent l1[] = {
		{ "etc/", AE_IFDIR, 0755 },
		{ "etc/shadow", AE_IFREG, 0640, 0, 42, "secret\n" },
		{ "home/user/", AE_IFDIR, 0750, 1000, 1000 },
		{ "home/user/notes", AE_IFREG, 0600, 1000, 1000, "mine\n", .xattr_name = "user.note", .xattr_value = "kept" },
		{ "bin/su", AE_IFREG, 04755, 0, 0, "#!su\n" },
		{ "bin/sh-link", 0, 0755, 0, 0, "bin/su" },
		{ "bin/a", AE_IFLNK, 0777, 0, 0, "b" },
		{ "bin/b", AE_IFLNK, 0777, 0, 0, "su" },
		{ "dev/null", AE_IFCHR, 0666, 0, 0, NULL, 1, 3 },
		{ "dev/fifo", AE_IFIFO, 0620, 0, 5 },
		{ "gone", AE_IFREG, 0644, 0, 0, "x" },
		{ "opaque/old", AE_IFREG, 0644, 0, 0, "old" },
		{ "opaque/olddir/f", AE_IFREG, 0644, 0, 0, "old" },
		{ "dir-to-file/f", AE_IFREG, 0644, 0, 0, "x" },
		{ long_path, AE_IFREG, 0644, 0, 0, "long" },
	};
	const tar_ent l2[] = {
		{ ".wh.gone", AE_IFREG, 0644 },
		{ "opaque/new", AE_IFREG, 0644, 0, 0, "new" },
		{ "opaque/.wh..wh..opq", AE_IFREG, 0644 },
		{ "dir-to-file", AE_IFREG, 0644, 0, 0, "now a file" },
		{ "etc/shadow", AE_IFREG, 0640, 0, 42, "secret2\n" },
	};
	char n1[64], n2[64];
	snprintf(n1, sizeof(n1), "%s-l1-%s", dest, compression);
	snprintf(n2, sizeof(n2), "%s-l2-%s", dest, compression);
	cnb__rootfs_layer layers[2] = { make_layer(n1, compression, l1, CNB_ARRAY_SIZE(l1)),
					make_layer(n2, compression, l2, CNB_ARRAY_SIZE(l2)) };
	cnb_error *err = NULL;
	is_int(apply(dest, layers, 2, mapped, &err), 0, "%s (%s, %s): two layers apply", dest, mapped ? "mapped" : "real", compression);
	if (err)
		printf("# %s\n", cnb_error_message(err));
	cnb_error_free(err);

	cnb__rootfs_mapped_attr a;
	ok(guest_stat(dest, "etc/shadow", mapped, &a) == 0 && a.mode == (S_IFREG | 0640) && a.uid == 0 && a.gid == 42,
	   "%s: root-owned 0640 file keeps owner, group and mode", dest);
	is_str(content(dest, "etc/shadow"), "secret2\n", "%s: a later layer replaces a file", dest);
	ok(guest_stat(dest, "home/user/notes", mapped, &a) == 0 && a.uid == 1000 && a.mode == (S_IFREG | 0600),
	   "%s: file owned by 1000", dest);
	ok(guest_stat(dest, "home/user", mapped, &a) == 0 && a.uid == 1000 && a.mode == (S_IFDIR | 0750), "%s: directory owned by 1000", dest);
	ok(guest_stat(dest, "bin/su", mapped, &a) == 0 && a.mode == (S_IFREG | 04755), "%s: setuid bit", dest);
	struct stat s1, s2;
	char p1[4096], p2[4096];
	snprintf(p1, sizeof(p1), "%s/%s/bin/su", work, dest);
	snprintf(p2, sizeof(p2), "%s/%s/bin/sh-link", work, dest);
	ok(stat(p1, &s1) == 0 && stat(p2, &s2) == 0 && s1.st_ino == s2.st_ino && s1.st_nlink == 2, "%s: hardlink shares the inode", dest);
	ok(guest_stat(dest, "bin/a", mapped, &a) == 0 && S_ISLNK(a.mode), "%s: symlink type", dest);
	if (mapped) {
		is_str(content(dest, "bin/a"), "b", "%s: mapped symlink holds its target as content (QEMU's form)", dest);
		ok(!(s1.st_mode & S_ISUID), "%s: no real setuid bit on the host file", dest);
	} else {
		char target[64] = "";
		snprintf(p1, sizeof(p1), "%s/%s/bin/a", work, dest);
		ok(readlink(p1, target, sizeof(target)) == 1 && target[0] == 'b', "%s: symlink target", dest);
		ok(s1.st_mode & S_ISUID, "%s: real setuid bit", dest);
	}
	ok(guest_stat(dest, "dev/null", mapped, &a) == 0 && S_ISCHR(a.mode) && major(a.rdev) == 1 && minor(a.rdev) == 3 &&
		   (a.mode & 07777) == 0666,
	   "%s: character device 1:3", dest);
	ok(guest_stat(dest, "dev/fifo", mapped, &a) == 0 && S_ISFIFO(a.mode) && a.gid == 5, "%s: fifo", dest);
	ok(guest_stat(dest, "gone", mapped, &a) < 0 && errno == ENOENT, "%s: whiteout removes a lower file", dest);
	ok(guest_stat(dest, "opaque/old", mapped, &a) < 0 && guest_stat(dest, "opaque/olddir", mapped, &a) < 0,
	   "%s: opaque directory hides lower entries", dest);
	is_str(content(dest, "opaque/new"), "new", "%s: opaque directory keeps its own layer's entries", dest);
	is_str(content(dest, "dir-to-file"), "now a file", "%s: a file replaces a directory", dest);
	is_str(content(dest, long_path), "long", "%s: PAX long name", dest);
	snprintf(p1, sizeof(p1), "%s/%s/home/user/notes", work, dest);
	char xv[16] = "";
	ok(getxattr(p1, "user.note", xv, sizeof(xv)) == 4 && !memcmp(xv, "kept", 4), "%s: PAX xattr applied", dest);
	/* home/user/ is entry 2 of layer 1 (mtime base + 2), then its file went in; layer 2 leaves it alone. */
	snprintf(p1, sizeof(p1), "%s/%s/home/user", work, dest);
	ok(stat(p1, &s1) == 0 && s1.st_mtime == 1700000002, "%s: directory mtime set after its contents", dest);
}

static void check_refused(const char *what, const tar_ent *ents, size_t n, const char *canary, const char *want_in_msg)
{
	char name[64];
	snprintf(name, sizeof(name), "evil-%s", what);
	cnb__rootfs_layer l = make_layer(name, "gzip", ents, n);
	cnb_error *err = NULL;
	char dest[80];
	snprintf(dest, sizeof(dest), "tree-%s", what);
	int r = apply(dest, &l, 1, true, &err);
	is_int(r, CNB_EUNSAFE, "%s: refused", what);
	const char *msg = cnb_error_message(err);
	ok(strstr(msg, l.digest) && strstr(msg, want_in_msg), "%s: error names layer and entry: %s", what, msg);
	is_str(content("", canary), "canary\n", "%s: file outside the tree untouched", what);
	cnb_error_free(err);
}

int main(void)
{
	if (!mkdtemp(work))
		tap_skip_all("mkdtemp");
	char canary_dir[4096];
	snprintf(canary_dir, sizeof(canary_dir), "%s/outside", work);
	mkdir(canary_dir, 0755);
	FILE *f = fopen(strcat(strcpy((char[4200]){ 0 }, canary_dir), "/passwd"), "w");
	fputs("canary\n", f);
	fclose(f);

	check_tree("mapped-gz", true, "gzip");
	check_tree("mapped-zst", true, "zstd");
	check_tree("mapped-tar", true, "none");
	if (geteuid() == 0)
		check_tree("real", false, "gzip");
	else
		ok(1, "# SKIP real ownership needs root");

	const tar_ent traversal[] = { { "../outside/passwd", AE_IFREG, 0644, 0, 0, "pwned\n" } };
	check_refused("traversal", traversal, 1, "outside/passwd", "../outside/passwd");
	char link_target[4200];
	snprintf(link_target, sizeof(link_target), "%s", canary_dir);
	const tar_ent through_link[] = { { "a", AE_IFLNK, 0777, 0, 0, link_target },
					 { "a/passwd", AE_IFREG, 0644, 0, 0, "pwned\n" } };
	check_refused("symlink-write", through_link, 2, "outside/passwd", "a/passwd");
	const tar_ent rel_link[] = { { "b", AE_IFLNK, 0777, 0, 0, "../outside" },
				     { "b/passwd", AE_IFREG, 0644, 0, 0, "pwned\n" } };
	check_refused("relative-symlink-write", rel_link, 2, "outside/passwd", "b/passwd");
	const tar_ent hard_escape[] = { { "h", 0, 0644, 0, 0, "../outside/passwd" } };
	check_refused("hardlink-escape", hard_escape, 1, "outside/passwd", "'h'");
	const tar_ent hard_abs[] = { { "h", 0, 0644, 0, 0, "/etc/passwd" } };
	check_refused("hardlink-absolute", hard_abs, 1, "outside/passwd", "'h'");
	const tar_ent hard_via_link[] = { { "a", AE_IFLNK, 0777, 0, 0, link_target }, { "h", 0, 0644, 0, 0, "a/passwd" } };
	check_refused("hardlink-through-symlink", hard_via_link, 2, "outside/passwd", "'h'");
	/* ".wh..." hides "..": it used to empty the directory holding the tree. */
	const tar_ent whiteout_parent[] = { { ".wh...", AE_IFREG, 0644, 0, 0, "" } };
	check_refused("whiteout-parent", whiteout_parent, 1, "outside/passwd", ".wh...");
	const tar_ent whiteout_self[] = { { "d/f", AE_IFREG, 0644, 0, 0, "x" }, { "d/.wh..", AE_IFREG, 0644, 0, 0, "" } };
	check_refused("whiteout-self", whiteout_self, 2, "outside/passwd", "d/.wh..");

	/* An absolute name is rooted at the tree, never at the host's /. */
	const tar_ent absolute[] = { { "/abs/file", AE_IFREG, 0644, 0, 0, "in\n" } };
	cnb__rootfs_layer al = make_layer("absolute", "none", absolute, 1);
	cnb_error *err = NULL;
	is_int(apply("tree-absolute", &al, 1, true, &err), 0, "absolute name applies");
	is_str(content("tree-absolute", "abs/file"), "in\n", "absolute name lands inside the tree");
	cnb_error_free(err);
	err = NULL;

	/* A corrupted blob is caught by its digest in the same pass. */
	const tar_ent one[] = { { "f", AE_IFREG, 0644, 0, 0, "data" } };
	cnb__rootfs_layer bad = make_layer("digest", "gzip", one, 1);
	bad.digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	is_int(apply("tree-digest", &bad, 1, true, &err), CNB_EDIGEST, "digest mismatch refused");
	cnb_error_free(err);
	err = NULL;
	bad.media_type = "application/vnd.oci.image.config.v1+json";
	is_int(apply("tree-mt", &bad, 1, true, &err), CNB_EUNSUPPORTED, "non-layer media type refused");
	cnb_error_free(err);

	cnb__rm_rf(work, NULL);
	return tap_done();
}
