/* VM snapshots: the key, the trusted cache location, save over QMP and the restore fd. */
#include "vm-snapshot.h"
#include "../common/clock.h"
#include "../api/ctx-internal.h"
#include "../common/buf.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"
#include "../common/fs.h"
#include "../../oci/digest.h"
#include "../os/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SAVE_TIMEOUT_MS 60000
#define SNAPSHOT_SUFFIX ".vmstate"
#define KEY_LEN 64
/* QEMU 7.2 throttles migration to 32 MiB/s by default: 2+ s for a 75 MB state. */
#define SAVE_BANDWIDTH (64ll << 30)

/* The binary QEMU will run: $CNB_QEMU or the first qemu-system-x86_64 on $PATH. */
static char *resolve_binary(const char *name)
{
	if (strchr(name, '/'))
		return strdup(name);
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *save = NULL, *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = cnb__path_join(dir, name);
		if (candidate && access(candidate, X_OK) == 0)
			return candidate;
		free(candidate);
	}
	return NULL;
}

static int add_identity(cnb__buf *b, const char *what, const char *path)
{
	struct stat st;
	if (!path || stat(path, &st) < 0)
		return -1;
	int64_t mtime_ns = cnb__os_mtime_ns(&st);
	return cnb__buf_printf(b, "%s %s %llu %llu %lld %lld.%09lld\n", what, path, (unsigned long long)st.st_dev,
			       (unsigned long long)st.st_ino, (long long)st.st_size, (long long)(mtime_ns / 1000000000),
			       (long long)(mtime_ns % 1000000000));
}

/* sha256 hex of the configuration; NULL when a file it depends on cannot be identified. */
static char *snapshot_key(const cnb__executor_qemu_config *qc)
{
	cnb__executor_qemu_config keyed = *qc;
	keyed.rootfs = "<rootfs>";
	keyed.job_dir = "<job>";
	keyed.restore = false;
	/* Where a volume lives on the host does not matter to a snapshot taken before any 9p mount. */
	_cleanup_free_ cnb__executor_job_mount *mounts = qc->n_mounts ? calloc(qc->n_mounts, sizeof(*mounts)) : NULL;
	if (qc->n_mounts && !mounts)
		return NULL;
	for (size_t i = 0; i < qc->n_mounts; i++) {
		mounts[i] = qc->mounts[i];
		if (mounts[i].host_dir)
			mounts[i].host_dir = "<volume>";
	}
	keyed.mounts = mounts;
	char **argv = NULL;
	if (cnb__executor_qemu_argv(&keyed, &argv, NULL) < 0)
		return NULL;
	_cleanup_buf_ cnb__buf b = CNB_BUF_INIT;
	_cleanup_free_ char *qemu = resolve_binary(argv[0]);
	bool ok = cnb__buf_printf(&b, "libcnb vm snapshot 1\nuid %u\n", (unsigned)geteuid()) == 0 &&
		  add_identity(&b, "qemu", qemu) == 0 && add_identity(&b, "kernel", qc->kernel) == 0 &&
		  add_identity(&b, "initrd", qc->initrd) == 0;
	for (size_t i = 1; ok && argv[i]; i++)
		ok = cnb__buf_printf(&b, "arg %s\n", argv[i]) == 0;
	cnb__executor_qemu_argv_free(argv);
	if (!ok)
		return NULL;
	char digest[CNB_OCI_DIGEST_SIZE];
	cnb__oci_digest_of(b.data, b.len, digest);
	return strdup(digest + strlen("sha256:"));
}

/* The snapshot dir, created 0700; NULL unless it is ours and writable by nobody else. */
static char *trusted_dir(const cnb_ctx *ctx)
{
	const char *cache = cnb_ctx_cache_dir(ctx);
	_cleanup_free_ char *dir = cache ? cnb__path_join(cache, "vm/snapshots") : NULL;
	struct stat st;
	if (!dir || cnb__mkdir_p(dir, 0700, NULL) < 0 || lstat(dir, &st) < 0)
		return NULL;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return NULL;
	return TAKE_PTR(dir);
}

static int open_trusted(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) ||
			st.st_size == 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

#define MAX_RESTORE_FAILURES 2

static int failure_count(const char *path)
{
	_cleanup_free_ char *failed = NULL, *data = NULL;
	size_t len = 0;
	if (asprintf(&failed, "%s.failed", path) < 0 || cnb__read_file(failed, 16, &data, &len, NULL) < 0)
		return 0;
	return atoi(data);
}

void cnb__executor_vm_snapshot_find(const cnb_ctx *ctx, const cnb__executor_qemu_config *qc, cnb__executor_vm_snapshot *out)
{
	*out = (cnb__executor_vm_snapshot){ .restore_fd = -1 };
	const char *env = getenv("CNB_VM_SNAPSHOT");
	if (env && !strcmp(env, "off"))
		return;
	_cleanup_free_ char *dir = trusted_dir(ctx), *key = snapshot_key(qc);
	if (!dir || !key) {
		cnb__api_log(ctx, CNB_LOG_DEBUG, "VM snapshots off: %s", dir ? "cannot identify QEMU, kernel or initramfs"
									: "no private cache dir");
		return;
	}
	if (asprintf(&out->path, "%s/%s" SNAPSHOT_SUFFIX, dir, key) < 0) {
		out->path = NULL;
		return;
	}
	if (failure_count(out->path) >= MAX_RESTORE_FAILURES) {
		cnb__api_log(ctx, CNB_LOG_DEBUG, "VM snapshot %s failed to restore %d times: booting cold (remove %s.failed to "
					     "retry)", key, MAX_RESTORE_FAILURES, out->path);
		free(TAKE_PTR(out->path));
		return;
	}
	out->restore_fd = open_trusted(out->path);
	cnb__api_log(ctx, CNB_LOG_DEBUG, "VM snapshot %s: %s", key, out->restore_fd >= 0 ? "restoring" : "none yet, booting cold");
}

/* Polls query-migrate until the state is written. */
static int wait_migrated(cnb__executor_qmp *qmp, uint64_t deadline, cnb_error **err)
{
	for (;;) {
		json_t *info = NULL;
		int r = cnb__executor_qmp_call(qmp, "query-migrate", NULL, -1, &info, deadline, err);
		if (r < 0)
			return r;
		const char *status = json_string_value(json_object_get(info, "status"));
		bool completed = status && !strcmp(status, "completed");
		bool failed = !status || !strcmp(status, "failed") || !strcmp(status, "cancelled");
		_cleanup_free_ char *why = failed ? strdup(json_string_value(json_object_get(info, "error-desc")) ?: "")
						  : NULL;
		json_decref(info);
		if (completed)
			return 0;
		if (failed)
			return cnb__error_set(err, CNB_EVM, "QEMU could not save the VM state: %s",
					      why && *why ? why : "migration failed");
		if (cnb__monotonic_ms() >= deadline)
			return cnb__error_set(err, CNB_ETIMEOUT, "saving the VM state took over %d s", SAVE_TIMEOUT_MS / 1000);
		usleep(5000);
	}
}

static int migrate_to(cnb__executor_qmp *qmp, int fd, uint64_t deadline, cnb_error **err)
{
	json_t *bw = json_pack("{s:I}", "max-bandwidth", (json_int_t)SAVE_BANDWIDTH);
	json_t *name = json_pack("{s:s}", "fdname", "cnb-snapshot");
	json_t *uri = json_pack("{s:s}", "uri", "fd:cnb-snapshot");
	int r = bw && name && uri ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r == 0)
		r = cnb__executor_qmp_call(qmp, "migrate-set-parameters", bw, -1, NULL, deadline, err);
	if (r == 0)
		r = cnb__executor_qmp_call(qmp, "getfd", name, fd, NULL, deadline, err);
	if (r == 0)
		r = cnb__executor_qmp_call(qmp, "migrate", uri, -1, NULL, deadline, err);
	json_decref(bw);
	json_decref(name);
	json_decref(uri);
	return r == 0 ? wait_migrated(qmp, deadline, err) : r;
}

int cnb__executor_vm_snapshot_save(const cnb__executor_vm_snapshot *s, cnb__executor_qmp *qmp, cnb_error **err)
{
	uint64_t deadline = cnb__monotonic_ms() + SAVE_TIMEOUT_MS;
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp-XXXXXX", s->path) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = cnb__executor_qmp_call(qmp, "stop", NULL, -1, NULL, deadline, err);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		r = cnb__error_errno(err, CNB_EIO, errno, "create %s", tmp);
	if (r == 0 && fchmod(fd, 0600) < 0)
		r = cnb__error_errno(err, CNB_EIO, errno, "chmod %s", tmp);
	if (r == 0)
		r = migrate_to(qmp, fd, deadline, err);
	if (r == 0 && rename(tmp, s->path) < 0)
		r = cnb__error_errno(err, CNB_EIO, errno, "rename %s", tmp);
	if (r < 0 && fd >= 0)
		unlink(tmp);
	cnb_error *cont_err = NULL;
	if (cnb__executor_qmp_call(qmp, "cont", NULL, -1, NULL, cnb__monotonic_ms() + 10000, &cont_err) < 0 && r == 0)
		r = cnb__error_pass(err, cont_err, CNB_EVM);
	else
		cnb_error_free(cont_err);
	return r;
}

void cnb__executor_vm_snapshot_discard(cnb__executor_vm_snapshot *s)
{
	struct stat used, now;
	if (s->restore_fd >= 0 && s->path && fstat(s->restore_fd, &used) == 0 && stat(s->path, &now) == 0 &&
	    used.st_dev == now.st_dev && used.st_ino == now.st_ino)
		unlink(s->path);
	/* A damaged file fails once and is replaced; a configuration that cannot be restored at all
	 * (a QEMU or kernel that does not migrate) would fail every time: count, and stop trying. */
	_cleanup_free_ char *failed = NULL;
	char count[16];
	int n = snprintf(count, sizeof(count), "%d\n", failure_count(s->path) + 1);
	if (s->path && asprintf(&failed, "%s.failed", s->path) > 0)
		cnb__write_file_atomic(failed, count, (size_t)n, 0600, NULL);
	if (s->restore_fd >= 0)
		close(s->restore_fd);
	s->restore_fd = -1;
}

void cnb__executor_vm_snapshot_restored(const cnb__executor_vm_snapshot *s)
{
	_cleanup_free_ char *failed = NULL;
	if (s->path && asprintf(&failed, "%s.failed", s->path) > 0)
		unlink(failed);
	if (s->path)
		utimensat(AT_FDCWD, s->path, NULL, 0);
}

void cnb__executor_vm_snapshot_free(cnb__executor_vm_snapshot *s)
{
	if (s->restore_fd >= 0)
		close(s->restore_fd);
	free(s->path);
	*s = (cnb__executor_vm_snapshot){ .restore_fd = -1 };
}

/* What a name in the snapshot dir is: 's' a snapshot, 'f' a failure count, 't' a save's temp file, 0 other. */
static int snapshot_file_kind(const char *name)
{
	if (strspn(name, "0123456789abcdef") != KEY_LEN || strncmp(name + KEY_LEN, SNAPSHOT_SUFFIX, strlen(SNAPSHOT_SUFFIX)))
		return 0;
	const char *rest = name + KEY_LEN + strlen(SNAPSHOT_SUFFIX);
	return !*rest ? 's' : !strcmp(rest, ".failed") ? 'f' : !strncmp(rest, ".tmp-", 5) ? 't' : 0;
}

void cnb__executor_vm_snapshot_prune(const cnb_ctx *ctx, bool all, int64_t older_than, uint64_t *freed, size_t *removed)
{
	const char *cache = cnb_ctx_cache_dir(ctx);
	_cleanup_free_ char *dir = cache ? cnb__path_join(cache, "vm/snapshots") : NULL;
	_cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
	time_t now = time(NULL);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int kind = snapshot_file_kind(de->d_name);
		struct stat st;
		if (!kind || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		int64_t age = (int64_t)(now - st.st_mtime);
		/* A failure count goes by its own age: removing it lets a configuration try snapshots again. */
		bool doomed = kind == 't' ? age * 1000 > SAVE_TIMEOUT_MS : all || age >= older_than;
		if (!doomed || unlinkat(dirfd(d), de->d_name, 0) < 0)
			continue;
		*freed += (uint64_t)st.st_blocks * 512;
		*removed += kind == 's';
	}
}
