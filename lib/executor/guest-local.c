/* Seeded mounts: directories of the job's local storage filled from one tar stream. */
#include "guest-local.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"
#include "../common/tar-reader.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Below this much free space a failed step is taken to have run out of it (tmpfs refuses writes a
 * page short of its size; a writer that failed usually leaves its partial file behind). */
#define FULL_BELOW_BYTES (4u << 20)

static int open_seed(int jobfd, const char *seed)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, jobfd, seed, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS && !strchr(seed, '/'))
		fd = openat(jobfd, seed, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static uint64_t storage_mb(const char *scratch)
{
	struct statfs s;
	return statfs(scratch, &s) == 0 ? (uint64_t)s.f_blocks * (uint64_t)s.f_bsize >> 20 : 0;
}

int cnb__executor_guest_local_seed(int jobfd, const char *scratch, size_t index, const cnb__executor_job_mount *m, int *dir_fd,
			  cnb_error **err)
{
	*dir_fd = -1;
	char name[32];
	snprintf(name, sizeof(name), "%zu", index);
	_cleanup_close_ int scratchfd = open(scratch, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (scratchfd < 0 || (mkdirat(scratchfd, "local", 0755) < 0 && errno != EEXIST))
		return cnb__error_errno(err, CNB_EVM, errno, "mount %s: create %s/local", m->target, scratch);
	_cleanup_close_ int localfd = openat(scratchfd, "local", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (localfd < 0 || mkdirat(localfd, name, 0755) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "mount %s: create %s/local/%s", m->target, scratch, name);
	_cleanup_close_ int dfd = openat(localfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int tar = open_seed(jobfd, m->seed);
	if (dfd < 0 || tar < 0)
		return cnb__error_errno(err, CNB_EUNSAFE, errno, "mount %s: %s", m->target,
					dfd < 0 ? "open its local directory"
						: "open its seed in the job dir (must be a regular file, no symlinks)");
	/* mtimes of now, as the host executor's copy of the app has: one syscall less per file */
	cnb__tar_extract_opts opts = { .owners = true, .now_mtimes = true };
	if (cnb__tar_extract(tar, dfd, NULL, &opts, err) < 0) {
		if (cnb__executor_guest_local_full(scratch))
			return cnb__error_prefix(err, "mount %s: the job's local storage (%llu MB) is full: raise --memory; "
						      "seed %s", m->target, (unsigned long long)storage_mb(scratch), m->seed);
		return cnb__error_prefix(err, "mount %s: seed %s", m->target, m->seed);
	}
	if ((*dir_fd = openat(localfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "mount %s: reopen its local directory", m->target);
	return 0;
}

bool cnb__executor_guest_local_full(const char *scratch)
{
	struct statfs s;
	return statfs(scratch, &s) == 0 && (uint64_t)s.f_bavail * (uint64_t)s.f_bsize < FULL_BELOW_BYTES;
}
