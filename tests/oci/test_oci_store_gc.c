/* Leftovers of killed processes (temp blobs, job dirs) and blob garbage collection. */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/platform/job-files.h"
#include "oci/store.h"
#include "oci/store-gc.h"
#include "tests/lib/tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmp[] = "/tmp/cnb-test-store-gc-XXXXXX";
static char *root; /* the blob store */

/* Entries of `dir` whose name starts with `prefix`. */
static int count(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		n += !strncmp(de->d_name, prefix, strlen(prefix));
	if (d)
		closedir(d);
	return n;
}

static int temps(void)
{
	_cleanup_free_ char *dir = cnb__path_join(root, "blobs/sha256");
	return count(dir, ".tmp-");
}

/* A child that starts a blob of unknown digest (a temp file), says so, and waits to be killed. */
static pid_t writer_child(void)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		cnb__oci_blob_writer w;
		if (cnb__oci_blob_writer_open(&w, root, NULL, UINT64_MAX, false, NULL) == 0 &&
		    cnb__oci_blob_writer_write(&w, "half", 4, NULL) == 0 && write(p[1], "x", 1) == 1)
			pause();
		_exit(1);
	}
	char c;
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

static void test_store_gc__temps_of_dead_writers_go_live_ones_stay(void)
{
	cnb__oci_blob_writer live;
	ok(cnb__oci_blob_writer_open(&live, root, NULL, UINT64_MAX, false, NULL) == 0, "a live writer in this process");
	pid_t child = writer_child();
	ok(child > 0, "a writer in a child");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	is_int(temps(), 2, "two temp files: the live one and the killed one's");
	cnb__oci_gc_stats st = { 0 };
	cnb__oci_store_clean_temps(root, false, 0, &st);
	is_int(temps(), 1, "the killed writer's temp is gone");
	is_int((int)st.removed, 1, "one removed");
	ok(cnb__oci_blob_writer_write(&live, "data", 4, NULL) == 0 && cnb__oci_blob_writer_commit(&live, NULL, NULL) == 0,
	   "the live writer was left alone and commits");
	is_int(temps(), 0, "no temp left");
}

static void put(const char *text, char digest[CNB_OCI_DIGEST_SIZE])
{
	cnb__oci_store_put_bytes(root, text, strlen(text), digest, NULL);
}

static void age(const char *digest, int64_t seconds)
{
	_cleanup_free_ char *p = cnb__oci_store_path(root, digest);
	struct timespec t[2] = { { time(NULL) - seconds, 0 }, { time(NULL) - seconds, 0 } };
	utimensat(AT_FDCWD, p, t, 0);
}

static void test_store_gc__removes_only_unused_old_blobs(void)
{
	char kept[CNB_OCI_DIGEST_SIZE], shared[CNB_OCI_DIGEST_SIZE], young[CNB_OCI_DIGEST_SIZE], old[CNB_OCI_DIGEST_SIZE];
	put("a blob a tree was made from", kept);
	put("a blob a stored image shares", shared);
	put("a blob written a minute ago", young);
	put("a blob nobody uses", old);
	age(kept, 100 * 86400), age(shared, 100 * 86400), age(young, 60), age(old, 100 * 86400);
	_cleanup_free_ char *shared_path = cnb__oci_store_path(root, shared);
	_cleanup_free_ char *layout_copy = cnb__path_join(tmp, "layout-blob");
	ok(link(shared_path, layout_copy) == 0, "an OCI layout holds a hard link to one");
	const char *keep[] = { kept };

	int hold = cnb__oci_store_use(root, NULL);
	cnb__oci_gc_stats st = { 0 };
	is_int(cnb__oci_store_gc(root, keep, 1, true, 0, &st, NULL), 0, "gc while a build holds the store");
	ok(st.busy && st.removed == 0, "is skipped: nothing removed under a build");
	close(hold);

	memset(&st, 0, sizeof(st));
	is_int(cnb__oci_store_gc(root, keep, 1, false, 30 * 86400, &st, NULL), 0, "gc --older-than 30 days");
	ok(!cnb__oci_store_has(root, old, UINT64_MAX), "removes the old unused blob");
	ok(cnb__oci_store_has(root, kept, UINT64_MAX), "keeps the tree's blob");
	ok(cnb__oci_store_has(root, shared, UINT64_MAX), "keeps the blob a layout shares");
	ok(cnb__oci_store_has(root, young, UINT64_MAX), "keeps the young one");
	ok(st.removed == 1 && st.freed > 0, "one removed, %llu bytes freed", (unsigned long long)st.freed);

	memset(&st, 0, sizeof(st));
	is_int(cnb__oci_store_gc(root, keep, 1, true, 0, &st, NULL), 0, "gc --all");
	ok(!cnb__oci_store_has(root, young, UINT64_MAX) && cnb__oci_store_has(root, kept, UINT64_MAX) &&
	   cnb__oci_store_has(root, shared, UINT64_MAX), "removes the young one too, still keeps used ones");
}

static pid_t job_child(char path[128])
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char *dir = NULL;
		int lock = -1;
		if (cnb__platform_job_dir_create(&dir, &lock, NULL) == 0) {
			_cleanup_free_ char *file = cnb__path_join(dir, "workspace");
			mkdir(file, 0755);
			if (write(p[1], dir, strlen(dir) + 1) > 0)
				pause();
		}
		_exit(1);
	}
	close(p[1]);
	ssize_t n = read(p[0], path, 127);
	path[n > 0 ? n : 0] = '\0';
	close(p[0]);
	return n > 0 ? pid : -1;
}

static void test_job_dirs__stale_ones_go_live_ones_stay(void)
{
	_cleanup_free_ char *base = cnb__path_join(tmp, "tmpdir");
	mkdir(base, 0700);
	setenv("TMPDIR", base, 1);
	char *live = NULL;
	int live_lock = -1;
	int r = cnb__platform_job_dir_create(&live, &live_lock, NULL);
	ok(r == 0 && live && !strncmp(live, base, strlen(base)), "a job dir in $TMPDIR: %s", live ? live : "(none)");
	char killed[128];
	pid_t child = job_child(killed);
	ok(child > 0, "a build in a child made %s", killed);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	is_int(count(base, "cnb-job-"), 4, "two job dirs and their lock files");
	is_int((int)cnb__platform_job_dirs_clean_stale(), 1, "the cleaner removes one");
	struct stat st;
	ok(stat(killed, &st) != 0 && stat(live, &st) == 0, "the killed build's, not ours");
	is_int(count(base, "cnb-job-"), 2, "ours and its lock stay");
	cnb__platform_job_dir_remove(live, live_lock);
	is_int(count(base, "cnb-job-"), 0, "removing ours leaves nothing");
	free(live);
	unsetenv("TMPDIR");
}

int main(void)
{
	if (!mkdtemp(tmp))
		tap_skip_all("mkdtemp failed");
	root = cnb__path_join(tmp, "store");
	test_store_gc__temps_of_dead_writers_go_live_ones_stay();
	test_store_gc__removes_only_unused_old_blobs();
	test_job_dirs__stale_ones_go_live_ones_stay();
	cnb__rm_rf(tmp, NULL);
	free(root);
	return tap_done();
}
