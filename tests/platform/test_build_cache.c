/*
 * The host build cache against a hostile build (issue 12): what the build hands back is copied
 * (never linked, so later writes by the build uid or root in the VM change nothing committed),
 * belongs to the user running cnb, is checked against its digest when read back, and must be a
 * layer tar.
 */
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-writer.h"
#include "lib/platform/build-cache.h"
#include "tests/lib/tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_layer_tar(const char *path, const char *content)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cnb__tar *t = NULL;
	const cnb__tar_norm n = { 1000, 1000, CNB_TAR_EPOCH };
	if (fd < 0 || cnb__tar_open(&t, fd, NULL) < 0 || cnb__tar_add_dir(t, "/layers/bp", 0755, &n, NULL) < 0 ||
	    cnb__tar_add_data(t, "/layers/bp/f", 0644, content, strlen(content), &n, NULL) < 0 ||
	    cnb__tar_finish(t, NULL) < 0)
		printf("# cannot write %s\n", path);
}

/* The one *.tar in dir (a cache holds one layer here), joined to dir; caller frees. */
static char *the_tar(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strlen(e->d_name) == 68)
			return cnb__path_join(dir, e->d_name);
	return NULL;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

static cnb__buf logged = CNB_BUF_INIT;

static void capture(int32_t level, const char *msg, void *ud)
{
	cnb__buf_printf(&logged, "%s\n", msg);
}

int main(void)
{
	cnb_ctx *ctx = NULL;
	cnb_ctx_opts ctx_opts = CNB_CTX_OPTS_INIT;
	ctx_opts.log = capture;
	if (cnb_ctx_new(&ctx, &ctx_opts, NULL) < 0)
		tap_skip_all("no context");
	char base[] = "/tmp/cnb-test-cache-XXXXXX";
	if (!mkdtemp(base))
		tap_skip_all("cannot create a temp dir");
	_cleanup_free_ char *out = cnb__path_join(base, "out"), *out_cache = cnb__path_join(base, "out/cache"),
			    *tar = cnb__path_join(base, "out/cache/a.tar"), *json = cnb__path_join(base, "out/export.json"),
			    *cache = cnb__path_join(base, "cache"), *committed = cnb__path_join(base, "cache/committed"),
			    *job_cache = cnb__path_join(base, "job-cache");
	cnb__mkdir_p(out_cache, 0755, NULL);
	cnb__mkdir_p(job_cache, 0755, NULL);
	write_layer_tar(tar, "v1");
	const char *desc = "{\"cache\":[{\"file\":\"cache/a.tar\",\"buildpack\":\"bp\",\"layer\":\"l\"}]}";
	cnb__write_file_atomic(json, desc, strlen(desc), 0644, NULL);
	bool root = geteuid() == 0;
	if (root && chown(tar, 1000, 1000) < 0)
		printf("# chown failed\n");

	cnb__platform_cache_stats stats = { 0 };
	cnb_error *err = NULL;
	is_int(cnb__platform_build_cache_commit(ctx, cache, out, &stats, &err), 0, "commit (%s)", err ? cnb_error_message(err) : "ok");
	cnb_error_free(err);
	err = NULL;
	_cleanup_free_ char *saved = the_tar(committed);
	struct stat st;
	ok(saved && stat(saved, &st) == 0, "the layer is committed");
	ok(saved && !same_file(saved, tar), "as a copy, not a link to what the build wrote");
	if (root)
		ok(saved && st.st_uid == geteuid(), "owned by the user running cnb, not the build uid (%u)", (unsigned)st.st_uid);
	else
		ok(1, "# SKIP ownership needs root to give the build's tar another owner");
	write_layer_tar(tar, "tampered after the commit");
	ok(cnb__platform_build_cache_stage_in(ctx, cache, job_cache, &stats, &err) == 0,
	   "a later write to the build's tar does not reach the cache (%s)", err ? cnb_error_message(err) : "ok");
	cnb_error_free(err);
	err = NULL;
	_cleanup_free_ char *staged = the_tar(job_cache);
	ok(staged && !same_file(staged, saved), "staged into the job as a copy");
	if (staged) { /* what the build (or root in the VM) does to its copy */
		_cleanup_close_ int fd = open(staged, O_WRONLY | O_APPEND | O_CLOEXEC);
		ok(fd >= 0 && write(fd, "x", 1) == 1, "the build changes its staged copy");
	}
	cnb__rm_rf(job_cache, NULL);
	cnb__mkdir_p(job_cache, 0755, NULL);
	ok(cnb__platform_build_cache_stage_in(ctx, cache, job_cache, &stats, &err) == 0, "the committed cache is still intact (%s)",
	   err ? cnb_error_message(err) : "ok");
	cnb_error_free(err);
	err = NULL;

	if (saved) { /* changed outside cnb: read back, the digest no longer matches the name */
		_cleanup_close_ int fd = open(saved, O_WRONLY | O_APPEND | O_CLOEXEC);
		ok(fd >= 0 && write(fd, "x", 1) == 1, "corrupt the committed tar");
	}
	cnb__rm_rf(job_cache, NULL);
	cnb__mkdir_p(job_cache, 0755, NULL);
	/* The reference's way (lifecycle phase/cache.go): a warning, the layer is rebuilt, the commit rewrites it. */
	cnb__buf_reset(&logged);
	int r = cnb__platform_build_cache_stage_in(ctx, cache, job_cache, &stats, &err);
	_cleanup_free_ char *not_staged = the_tar(job_cache);
	ok(r == 0 && !not_staged, "a cache tar that does not hash to its name is not handed to the build (%s)",
	   err ? cnb_error_message(err) : "ok");
	ok(logged.data && strstr(logged.data, "Skipping restore for layer bp:l: expected layer contents to have SHA 'sha256:"),
	   "with the reference's warning: %s", logged.data ? logged.data : "(none)");
	cnb_error_free(err);
	err = NULL;
	write_layer_tar(tar, "v1"); /* the build makes the same layer again */
	cnb__buf_reset(&logged);
	r = cnb__platform_build_cache_commit(ctx, cache, out, &stats, &err);
	ok(r == 0 && logged.data && strstr(logged.data, "Skipping reuse for layer bp:l: expected layer contents to have SHA"),
	   "the commit does not keep the corrupt copy (%s): %s", err ? cnb_error_message(err) : "ok",
	   logged.data ? logged.data : "(none)");
	ok(logged.data && strstr(logged.data, "Adding cache layer 'bp:l'"), "it adds the build's copy");
	cnb_error_free(err);
	err = NULL;
	cnb__rm_rf(job_cache, NULL);
	cnb__mkdir_p(job_cache, 0755, NULL);
	cnb__buf_reset(&logged);
	r = cnb__platform_build_cache_stage_in(ctx, cache, job_cache, &stats, &err);
	_cleanup_free_ char *rewritten = the_tar(job_cache);
	ok(r == 0 && rewritten && !logged.data, "the next build gets the rewritten layer, no warning (%s)",
	   logged.data ? logged.data : "none");
	cnb__buf_reset(&logged);
	r = cnb__platform_build_cache_commit(ctx, cache, out, &stats, &err);
	ok(r == 0 && logged.data && strstr(logged.data, "Reusing cache layer 'bp:l'"), "an unchanged layer: Reusing cache layer");
	cnb__error_clear(&err);

	cnb__rm_rf(cache, NULL);
	cnb__write_file_atomic(tar, "not a tar at all\n", 17, 0644, NULL);
	r = cnb__platform_build_cache_commit(ctx, cache, out, &stats, &err);
	ok(r < 0 && strstr(cnb_error_message(err), "not a valid layer tar"), "a cache layer that is no tar is refused (%s)",
	   err ? cnb_error_message(err) : "accepted");
	ok(access(committed, F_OK) != 0, "and nothing was committed");
	cnb_error_free(err);
	cnb__rm_rf(base, NULL);
	cnb__buf_reset(&logged);
	cnb_ctx_free(ctx);
	return tap_done();
}
