/* Unit tests of lib/common: errors with context, buffers, atomic files, rm -rf without following links. */
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "tests/lib/tap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_common_error__prefix_travels_up(void)
{
	cnb_error *err = NULL;
	int rc = cnb__error_set(&err, CNB_ENOTFOUND, "HTTP %d", 404);
	is_int(rc, CNB_ENOTFOUND, "set returns the code");
	cnb__error_prefix(&err, "manifest");
	cnb__error_prefix(&err, "pull %s", "127.0.0.1:5000/app");
	is_str(cnb_error_message(err), "pull 127.0.0.1:5000/app: manifest: HTTP 404", "context is prepended");
	is_int(cnb_error_code_of(err), CNB_ENOTFOUND, "code survives prefixes");
	is_str(cnb_error_code_name(CNB_ENOTFOUND), "CNB_ENOTFOUND", "code has a name");
	cnb__error_set(&err, CNB_EIO, "second");
	is_str(cnb_error_message(err), "pull 127.0.0.1:5000/app: manifest: HTTP 404", "first error wins");
	cnb_error_free(err);
	is_int(cnb__error_set(NULL, CNB_EIO, "x"), CNB_EIO, "NULL err still returns the code");
}

static void test_common_buf__grows_and_formats(void)
{
	_cleanup_buf_ cnb__buf b = CNB_BUF_INIT;
	for (int i = 0; i < 1000; i++)
		cnb__buf_printf(&b, "%d,", i);
	ok(b.len > 3000, "buffer grew to %zu bytes", b.len);
	ok(!strncmp(b.data, "0,1,2,", 6), "content in order");
	_cleanup_free_ char *s = cnb__buf_steal(&b);
	ok(s && b.data == NULL && b.len == 0, "steal resets the buffer");
	_cleanup_buf_ cnb__buf empty = CNB_BUF_INIT;
	_cleanup_free_ char *e = cnb__buf_steal(&empty);
	is_str(e, "", "an empty buffer steals as \"\"");
}

static void test_common_fs__atomic_write_and_safe_rm(void)
{
	char dir[] = "/tmp/cnb-test-XXXXXX";
	ok(mkdtemp(dir) != NULL, "temp dir");
	_cleanup_free_ char *file = cnb__path_join(dir, "a/b/c.txt");
	_cleanup_free_ char *sub = cnb__path_join(dir, "a/b");
	cnb_error *err = NULL;
	is_int(cnb__mkdir_p(sub, 0755, &err), 0, "mkdir -p");
	is_int(cnb__write_file_atomic(file, "hello", 5, 0644, &err), 0, "atomic write");
	char *data = NULL;
	size_t len = 0;
	is_int(cnb__read_file(file, 100, &data, &len, &err), 0, "read back");
	is_str(data, "hello", "content");
	free(data);
	data = NULL;
	is_int(cnb__read_file(file, 3, &data, &len, &err), CNB_EUNSAFE, "size limit enforced");
	cnb__error_clear(&err);

	/* A symlink inside the tree pointing outside must be removed, not followed. */
	char outside[] = "/tmp/cnb-outside-XXXXXX";
	ok(mkdtemp(outside) != NULL, "outside dir");
	_cleanup_free_ char *victim = cnb__path_join(outside, "keep");
	cnb__write_file_atomic(victim, "x", 1, 0644, NULL);
	_cleanup_free_ char *link = cnb__path_join(dir, "a/escape");
	ok(symlink(outside, link) == 0, "symlink to outside");
	is_int(cnb__rm_rf(dir, &err), 0, "rm -rf");
	ok(access(dir, F_OK) != 0, "tree is gone");
	ok(access(victim, F_OK) == 0, "file behind the symlink survived");
	cnb__rm_rf(outside, NULL);
}

int main(void)
{
	test_common_error__prefix_travels_up();
	test_common_buf__grows_and_formats();
	test_common_fs__atomic_write_and_safe_rm();
	return tap_done();
}
