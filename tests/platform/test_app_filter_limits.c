/* project.toml globs that once crashed or hung the build, and cancel during the app copy or pack. */
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/platform/job-files.h"
#include "tests/lib/test-ctx.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static cnb_ctx *base_ctx;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *repeat(const char *unit, size_t times, const char *tail)
{
	size_t u = strlen(unit), t = strlen(tail);
	char *s = malloc(u * times + t + 1);
	for (size_t i = 0; s && i < times; i++)
		memcpy(s + i * u, unit, u);
	if (s)
		memcpy(s + u * times, tail, t + 1);
	return s;
}

static void test_app_filter__star_patterns_take_bounded_time(void)
{
	_cleanup_free_ char *name = repeat("a", 200, "");
	_cleanup_free_ char *deep = repeat("a/", 100, "a");
	_cleanup_free_ char *stars = repeat("*a", 13, "b");          /* the probe's "*a*a...*ab" */
	_cleanup_free_ char *anchored = repeat("**/*a", 13, "b");   /* the same across directories */
	_cleanup_free_ char *dstars = repeat("**/a/", 60, "b");     /* many "**" segments */
	_cleanup_free_ char *max_stars = repeat("*", CNB_APP_PATTERN_MAX, "");
	double t0 = now_s();
	ok(!cnb__platform_app_pattern_matches(stars, name, false), "'*a' x13 + 'b' does not match 200 a's");
	ok(!cnb__platform_app_pattern_matches(anchored, deep, false), "'**/*a' x13 + 'b' does not match a 100-deep path");
	ok(!cnb__platform_app_pattern_matches(dstars, deep, false), "'**/a/' x60 + 'b' does not match a 100-deep path");
	ok(cnb__platform_app_pattern_matches(max_stars, name, false), "%d stars match any name", CNB_APP_PATTERN_MAX);
	_cleanup_free_ char *hit = repeat("*a", 13, "");
	ok(cnb__platform_app_pattern_matches(hit, name, false), "'*a' x13 matches 200 a's");
	double took = now_s() - t0;
	ok(took < 1.0, "all of it in %.3f s (was > 640 s for the first pattern alone)", took);
}

static void test_app_filter__oversized_lists_are_refused(const char *tmp)
{
	_cleanup_free_ char *huge = repeat("*", 50 * 1024, "");
	ok(!cnb__platform_app_pattern_matches(huge, "name", false), "a 50 KB pattern matches nothing and does not crash");
	char *exclude[] = { "*.log", huge, NULL };
	cnb__platform_app_filter f = { NULL, exclude };
	cnb_error *err = NULL;
	is_int(cnb__platform_app_filter_check(&f, &err), CNB_EINVAL, "a 50 KB pattern is refused");
	ok(err && strstr(cnb_error_message(err), "exclude pattern 2") && strstr(cnb_error_message(err), "51200 bytes"),
	   "the message names it: %s", cnb_error_message(err));
	cnb__error_clear(&err);
	char **many = calloc(CNB_APP_PATTERNS_MAX + 2, sizeof(char *));
	for (size_t i = 0; i <= CNB_APP_PATTERNS_MAX; i++)
		many[i] = "x";
	cnb__platform_app_filter g = { many, NULL };
	is_int(cnb__platform_app_filter_check(&g, &err), CNB_EINVAL, "more than %d patterns are refused", CNB_APP_PATTERNS_MAX);
	ok(err && strstr(cnb_error_message(err), "include"), "message: %s", cnb_error_message(err));
	cnb__error_clear(&err);
	_cleanup_free_ char *tar = cnb__path_join(tmp, "refused.tar");
	cnb__platform_owner owner = { getuid(), getgid(), true };
	is_int(cnb__platform_job_pack_tree(NULL, tmp, tar, &owner, true, &g, 0, &err), CNB_EINVAL,
	       "packing the app for the VM refuses them too");
	ok(access(tar, F_OK) != 0, "before it writes anything");
	cnb__error_clear(&err);
	many[CNB_APP_PATTERNS_MAX] = NULL;
	is_int(cnb__platform_app_filter_check(&g, &err), 0, "exactly %d are fine", CNB_APP_PATTERNS_MAX);
	free(many);
}

typedef struct canceler {
	const char *watch; /* cancel once this file has some bytes */
	int cancel_fd;
} canceler;

static void *cancel_when_started(void *arg)
{
	canceler *c = arg;
	struct stat st;
	for (int i = 0; i < 20000 && (stat(c->watch, &st) != 0 || st.st_size == 0); i++)
		usleep(500);
	if (write(c->cancel_fd, "x", 1) != 1)
		return NULL;
	return NULL;
}

/* The host executor's copy (pack = false) and the VM's app tar (pack = true) of an app holding a
 * 1 GiB file both stop in the middle of it when the ctx is canceled. */
static void test_app_filter__stops_on_cancel(const char *tmp, bool pack)
{
	_cleanup_free_ char *src = cnb__path_join(tmp, "src");
	_cleanup_free_ char *dst = cnb__path_join(tmp, pack ? "app.tar" : "dst");
	_cleanup_free_ char *big = cnb__path_join(src, "big");
	_cleanup_free_ char *copied = pack ? strdup(dst) : cnb__path_join(dst, "big");
	const off_t size = (off_t)1 << 30;
	mkdir(src, 0755);
	if (!pack)
		mkdir(dst, 0755);
	int fd = open(big, O_WRONLY | O_CREAT, 0644);
	ok(fd >= 0 && ftruncate(fd, size) == 0, "a 1 GiB (sparse) file to %s", pack ? "pack" : "copy");
	close(fd);
	int pipefd[2];
	if (pipe(pipefd) != 0)
		return;
	cnb_ctx *ctx = cnb__api_ctx_with_cancel(base_ctx, pipefd[0]);
	canceler c = { copied, pipefd[1] };
	pthread_t th;
	pthread_create(&th, NULL, cancel_when_started, &c);
	cnb__platform_owner owner = { getuid(), getgid(), pack };
	cnb_error *err = NULL;
	int r = pack ? cnb__platform_job_pack_tree(ctx, src, dst, &owner, true, NULL, 0, &err)
		     : cnb__platform_job_copy_app(ctx, src, dst, &owner, NULL, &err);
	is_int(r, CNB_ECANCELED, "the %s stops: %s", pack ? "pack" : "copy", cnb_error_message(err));
	pthread_join(th, NULL);
	struct stat st = { 0 };
	int copied_ok = stat(copied, &st);
	ok(copied_ok == 0 && st.st_size > 0 && st.st_size < size,
	   "in the middle of the file (%lld of %lld bytes written)", (long long)st.st_size, (long long)size);
	cnb__error_clear(&err);
	free(ctx);
	close(pipefd[0]);
	close(pipefd[1]);
}

int main(void)
{
	char tmp[] = "/tmp/cnb-test-copy-XXXXXX";
	base_ctx = tap_scratch_ctx(tmp);
	test_app_filter__star_patterns_take_bounded_time();
	test_app_filter__oversized_lists_are_refused(tmp);
	test_app_filter__stops_on_cancel(tmp, false);
	test_app_filter__stops_on_cancel(tmp, true);
	cnb_ctx_free(base_ctx);
	cnb__rm_rf(tmp, NULL);
	return tap_done();
}
