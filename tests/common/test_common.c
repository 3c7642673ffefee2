/* Unit tests of lib/common: errors with context, buffers, atomic files, rm -rf without following links,
 * string lists and sorted directory listings. */
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/dir-list.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"
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

static void test_common_strv__list_builds_argv(void)
{
	_cleanup_strv_list_ cnb__strv_list l = CNB_STRV_LIST_INIT;
	ok(cnb__strv_argv(&l)[0] == NULL, "an empty list is an empty argv");
	char *const more[] = { "b", "c" };
	ok(cnb__strv_push(&l, "a") == 0 && cnb__strv_extend(&l, more, 2) == 0, "push and extend");
	is_int(l.n, 3, "three entries");
	ok(l.v[3] == NULL, "NULL-terminated");
	_cleanup_free_ char *joined = cnb__strv_join(&l, ", ");
	is_str(joined, "a, b, c", "joined");
	ok(cnb__strv_contains(l.v, "b") && !cnb__strv_contains(l.v, "d") && !cnb__strv_contains(NULL, "b"),
	   "contains");
	char **v = cnb__strv_steal(&l);
	ok(v && !strcmp(v[2], "c") && l.n == 0 && l.v == NULL, "steal hands over the array and empties the list");
	cnb__strv_free(v);
	v = cnb__strv_steal(&l);
	ok(v && v[0] == NULL, "stealing an empty list gives an empty array");
	cnb__strv_free(v);
}

static void test_common_dir_list__sorted_bytewise(void)
{
	char dir[] = "/tmp/cnb-test-dir-list-XXXXXX";
	ok(mkdtemp(dir) != NULL, "temp dir");
	const char *names[] = { "b", "B", "a.toml", "a" };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(names); i++) {
		_cleanup_free_ char *p = cnb__path_join(dir, names[i]);
		close(open(p, O_CREAT | O_WRONLY, 0644));
	}
	char **list = NULL;
	size_t n = 0;
	ok(cnb__dir_list_sorted_path(dir, NULL, NULL, &list, &n, NULL) == 0, "listed");
	is_int(n, 4, "four names, no . or ..");
	if (n == 4)
		ok(!strcmp(list[0], "B") && !strcmp(list[1], "a") && !strcmp(list[2], "a.toml") && !strcmp(list[3], "b") &&
			   list[4] == NULL,
		   "sorted bytewise, NULL-terminated");
	cnb__strv_free(list);
	_cleanup_free_ char *missing = cnb__path_join(dir, "missing");
	ok(cnb__dir_list_sorted_path(missing, NULL, NULL, &list, &n, NULL) == 0 && n == 0 && list && !list[0],
	   "a missing directory lists as empty");
	cnb__strv_free(list);
	cnb__rm_rf(dir, NULL);
}

int main(void)
{
	test_common_strv__list_builds_argv();
	test_common_dir_list__sorted_bytewise();
	test_common_error__prefix_travels_up();
	test_common_buf__grows_and_formats();
	test_common_fs__atomic_write_and_safe_rm();
	return tap_done();
}
