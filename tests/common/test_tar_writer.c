/* Unit tests of the deterministic tar writer: GNU tar reads what it writes, and output is reproducible. */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-writer.h"
#include "tests/lib/tap.h"
#include "tar-test-fixture.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char work[] = "/tmp/cnb-tar-test-XXXXXX";

static void put(const char *rel, const char *content, mode_t mode)
{
	_cleanup_free_ char *p = cnb__path_join(work, rel);
	cnb__write_file_atomic(p, content, strlen(content), mode, NULL);
}

static int tar_tree(const char *out_name, cnb_error **err)
{
	_cleanup_free_ char *out = cnb__path_join(work, out_name);
	_cleanup_close_ int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	_cleanup_close_ int root = open(work, O_RDONLY | O_DIRECTORY);
	cnb__tar *t = NULL;
	cnb__tar_norm norm = { 1000, 1001, CNB_TAR_EPOCH };
	int r = cnb__tar_open(&t, fd, err);
	if (r == 0)
		r = cnb__tar_add_parents(t, "/layers/my_bp/layer", 0755, &norm, err);
	if (r == 0)
		r = cnb__tar_add_tree(t, root, "src", "/layers/my_bp/layer", &norm, err);
	if (r == 0)
		r = cnb__tar_add_data(t, "/cnb/process/web", 0755, "x", 1, &norm, err);
	if (r == 0)
		return cnb__tar_finish(t, err);
	cnb__tar_free(t);
	return r;
}

static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	static char out[16384];
	size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
	out[n] = '\0';
	if (p)
		pclose(p);
	return out;
}

int main(void)
{
	if (!mkdtemp(work))
		tap_skip_all("no temp dir");
	_cleanup_free_ char *src = cnb__path_join(work, "src/sub/deeper");
	cnb__mkdir_p(src, 0755, NULL);
	put("src/b.txt", "bee\n", 0644);
	put("src/a.sh", "#!/bin/sh\necho hi\n", 0755);
	const char *longname = tar_test_long_name();
	char rel[260];
	snprintf(rel, sizeof(rel), "src/sub/%s", longname);
	put(rel, "long\n", 0600);
	_cleanup_free_ char *lnk = cnb__path_join(work, "src/sub/link");
	ok(symlink("../b.txt", lnk) == 0, "symlink in fixture");

	cnb_error *err = NULL;
	is_int(tar_tree("one.tar", &err), 0, "tar written: %s", cnb_error_message(err));
	is_int(tar_tree("two.tar", &err), 0, "tar written again");
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cmp %s/one.tar %s/two.tar && echo same", work, work);
	is_str(run(cmd), "same\n", "same tree, same bytes");

	snprintf(cmd, sizeof(cmd), "tar -tf %s/one.tar 2>&1", work);
	const char *listing = run(cmd);
	ok(strstr(listing, "/layers\n/layers/my_bp\n/layers/my_bp/layer\n/layers/my_bp/layer/a.sh\n/layers/my_bp/layer/b.txt\n"
			   "/layers/my_bp/layer/sub\n") != NULL,
	   "parents first, entries sorted:\n%s", listing);
	ok(strstr(listing, longname) != NULL, "long name survives via PAX");

	snprintf(cmd, sizeof(cmd), "tar --numeric-owner -tvf %s/one.tar | grep 'a.sh'", work);
	const char *line = run(cmd);
	ok(strstr(line, "-rwxr-xr-x 1000/1001") && strstr(line, "1980-01-01"), "owner, mode, mtime normalized: %s", line);

	snprintf(cmd, sizeof(cmd), "mkdir %s/x && tar -xf %s/one.tar -C %s/x && cat %s/x/layers/my_bp/layer/sub/link && readlink %s/x/layers/my_bp/layer/sub/link",
		 work, work, work, work, work);
	is_str(run(cmd), "bee\n../b.txt\n", "GNU tar extracts content and symlink");
	cnb__rm_rf(work, NULL);
	return tap_done();
}
