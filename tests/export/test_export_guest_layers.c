/*
 * What the guest hands back as a layer is checked before the host compresses or pushes it (issue
 * 12): a well-formed tar, every entry under /layers, /workspace or /cnb, and a regular file in the
 * guest too (over 9p mapped-xattr, a guest symlink arrives as a host regular file holding the
 * target; only its user.virtfs.mode says what it is).
 */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-writer.h"
#include "lib/export/export-assemble.h"
#include "lib/rootfs/mapped-xattr.h"
#include "tests/lib/tap.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const cnb__tar_norm norm = { 1000, 1000, CNB_TAR_EPOCH };

static void write_tar(const char *path, const char *entry)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cnb__tar *t = NULL;
	if (fd < 0 || cnb__tar_open(&t, fd, NULL) < 0 || cnb__tar_add_data(t, entry, 0644, "x", 1, &norm, NULL) < 0 ||
	    cnb__tar_finish(t, NULL) < 0)
		printf("# cannot write %s\n", path);
}

/* cnb__export_guest_file's verdict on out/layers/<name>: 0, or the error code with its message in *msg. */
static int check(const char *out, const char *name, char **msg)
{
	_cleanup_free_ char *file = NULL, *path = NULL;
	if (asprintf(&file, "layers/%s", name) < 0)
		return -1;
	uint64_t size = 0;
	cnb_error *err = NULL;
	int r = cnb__export_guest_file(out, file, &path, &size, &err);
	free(*msg);
	*msg = strdup(err ? cnb_error_message(err) : "accepted");
	cnb_error_free(err);
	return r;
}

int main(void)
{
	char base[] = "/tmp/cnb-test-guest-layers-XXXXXX";
	if (!mkdtemp(base))
		tap_skip_all("cannot create a temp dir");
	_cleanup_free_ char *layers = cnb__path_join(base, "layers"), *msg = NULL;
	cnb__mkdir_p(layers, 0755, NULL);
	char path[4200];
	int r;
#define AT(name) (snprintf(path, sizeof(path), "%s/%s", layers, name), path)

	write_tar(AT("good.tar"), "/layers/bp/layer/file");
	r = check(base, "good.tar", &msg);
	is_int(r, 0, "a layer tar under /layers is accepted (%s)", msg);
	write_tar(AT("ws.tar"), "workspace/app.sh");
	r = check(base, "ws.tar", &msg);
	is_int(r, 0, "relative names under workspace/ too (%s)", msg);

	cnb__write_file_atomic(AT("text.tar"), "#!/bin/sh\necho not a tar\n", 25, 0644, NULL);
	r = check(base, "text.tar", &msg);
	ok(r < 0 && strstr(msg, "layer layers/text.tar from the build is not a valid layer tar"),
	   "a text file is refused, naming the layer (%s)", msg);
	cnb__write_file_atomic(AT("empty.tar"), "", 0, 0644, NULL);
	r = check(base, "empty.tar", &msg);
	ok(r < 0, "an empty file is refused (%s)", msg);

	write_tar(AT("etc.tar"), "/etc/passwd");
	r = check(base, "etc.tar", &msg);
	ok(r == CNB_EUNSAFE && strstr(msg, "outside the directories a layer may hold"), "an entry outside the roots is refused (%s)",
	   msg);
	write_tar(AT("dotdot.tar"), "/layers/../etc/passwd");
	r = check(base, "dotdot.tar", &msg);
	ok(r == CNB_EUNSAFE, "'..' is refused (%s)", msg);

	{ /* a good tar, cut short */
		write_tar(AT("cut.tar"), "/layers/bp/f");
		ok(truncate(path, 1024) == 0, "truncate a tar to its first two blocks");
		r = check(base, "cut.tar", &msg);
		ok(r < 0, "a tar without its end-of-archive block is refused (%s)", msg);
	}

	{ /* a guest symlink in mapped-xattr form: a regular file holding the target, typed by user.virtfs.mode */
		cnb__write_file_atomic(AT("link.tar"), "/layers/bp/other.tar", 20, 0644, NULL);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		cnb__rootfs_mapped_attr a = { 1000, 1000, S_IFLNK | 0777, 0 };
		if (fd < 0 || cnb__rootfs_mapped_xattr_write(fd, &a) < 0) {
			ok(1, "# SKIP no user xattrs on /tmp");
		} else {
			r = check(base, "link.tar", &msg);
			ok(r == CNB_EUNSAFE && strstr(msg, "not a regular file in the guest"), "a guest symlink is refused (%s)", msg);
		}
		write_tar(AT("mapped-file.tar"), "/layers/bp/f");
		_cleanup_close_ int fd2 = open(path, O_RDONLY | O_CLOEXEC);
		cnb__rootfs_mapped_attr f = { 1000, 1000, S_IFREG | 0644, 0 };
		if (fd2 >= 0 && cnb__rootfs_mapped_xattr_write(fd2, &f) == 0) {
			r = check(base, "mapped-file.tar", &msg);
			is_int(r, 0, "a guest regular file with xattrs is accepted (%s)", msg);
		}
	}
	cnb__rm_rf(base, NULL);
	return tap_done();
}
