/* The job runner shared by cnb-init and the host executor: root assembly and step execution. */
#include "job-runner.h"
#include "../common/clock.h"
#include "guest-local.h"
#include "guest-protocol.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"
#include "../common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SAFE_MOUNT (MS_NOSUID | MS_NODEV)
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void cnb__executor_jobrun_report(int event_fd, int type, const char *fmt, ...)
{
	cnb__executor_guest_event ev = { .type = (cnb__executor_guest_event_type)type };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev.message, sizeof(ev.message), fmt, ap);
	va_end(ap);
	cnb__executor_guest_event_write(event_fd, &ev);
}

/*
 * Opens (creating directories as needed) `path` below dirfd one component at a time, refusing
 * symlinks: the rootfs and the job dir are untrusted, and on the host a followed link would mount
 * over host paths. Returns an O_PATH fd or -1 with errno set.
 */
static int open_dir_beneath(int dirfd, const char *path, bool create)
{
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return -1;
	_cleanup_close_ int cur = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (char *save = NULL, *c = strtok_r(copy, "/", &save); c && cur >= 0; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, ".") || !strcmp(c, "..")) {
			errno = EINVAL;
			return -1;
		}
		int next = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST)
				return -1;
			next = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0 && (errno == ENOTDIR || errno == ELOOP))
			errno = ELOOP; /* "is a symlink or not a directory": say so in one errno */
		close(cur);
		cur = next;
	}
	return TAKE_FD(cur);
}

static int open_file_beneath(int rootfd, const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	if (!dir)
		return -1;
	char *slash = strrchr(dir, '/');
	const char *name = slash ? slash + 1 : dir;
	if (slash)
		*slash = '\0';
	_cleanup_close_ int dfd = open_dir_beneath(rootfd, slash ? dir : ".", true);
	if (dfd < 0)
		return -1;
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
		fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd;
}

static void fd_path(char buf[32], int fd)
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

/*
 * Mounts onto `target` inside rootfd. source_fd >= 0: bind that; else fstype/data. `flags` always
 * applies (a bind gets it by a remount, unless 0: device nodes keep the flags of the /dev they come
 * from). Nothing a step can reach is mounted without nosuid, so a
 * setuid file from an untrusted rootfs, layer or share never raises a step's privileges.
 */
static int mount_in_root(int rootfd, const char *target, bool file, int source_fd, const char *fstype,
			 const char *data, unsigned long flags, bool read_only, cnb_error **err)
{
	_cleanup_close_ int tfd = file ? open_file_beneath(rootfd, target) : open_dir_beneath(rootfd, target, true);
	if (tfd < 0)
		return cnb__error_errno(err, CNB_EUNSAFE, errno,
					"mount %s: cannot create the target (symlinks in the rootfs are not followed)",
					target);
	char tpath[32], spath[32];
	fd_path(tpath, tfd);
	if (source_fd >= 0) {
		fd_path(spath, source_fd);
		if (mount(spath, tpath, NULL, MS_BIND | MS_REC, NULL) < 0)
			return cnb__error_errno(err, CNB_EVM, errno, "bind mount onto %s", target);
	} else if (mount(fstype, tpath, fstype, flags, data) < 0) {
		return cnb__error_errno(err, CNB_EVM, errno, "mount %s on %s", fstype, target);
	}
	if (!read_only && (source_fd < 0 || !flags))
		return 0;
	/* The fd still names the directory under the new mount: reopen to reach the mount itself. */
	_cleanup_close_ int mfd = file ? open_file_beneath(rootfd, target) : open_dir_beneath(rootfd, target, false);
	fd_path(tpath, mfd);
	if (mfd < 0 || mount(NULL, tpath, NULL, MS_BIND | MS_REMOUNT | flags | (read_only ? MS_RDONLY : 0), NULL) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "remount %s %s", target, read_only ? "read-only" : "nosuid");
	return 0;
}

static int bind_path(int rootfd, const char *target, const char *source, bool file, unsigned long flags,
		     bool read_only, cnb_error **err)
{
	_cleanup_close_ int sfd = open(source, O_PATH | O_CLOEXEC);
	if (sfd < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "mount %s: open %s", target, source);
	return mount_in_root(rootfd, target, file, sfd, NULL, NULL, flags, read_only, err);
}

static int setup_dev(int rootfd, cnb_error **err)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	int rc = mount_in_root(rootfd, "/dev", false, -1, "tmpfs", "mode=0755,size=64k", MS_NOSUID | MS_NOEXEC,
			       false, err);
	for (size_t i = 0; rc == 0 && i < CNB_ARRAY_SIZE(nodes); i++) {
		char src[32], dst[32];
		snprintf(src, sizeof(src), "/dev/%s", nodes[i]);
		snprintf(dst, sizeof(dst), "/dev/%s", nodes[i]);
		rc = bind_path(rootfd, dst, src, true, 0, false, err); /* the host's /dev flags stay */
	}
	if (rc == 0)
		rc = mount_in_root(rootfd, "/dev/shm", false, -1, "tmpfs", "mode=1777", SAFE_MOUNT, false, err);
	_cleanup_close_ int dev = rc == 0 ? open_dir_beneath(rootfd, "dev", false) : -1;
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
	};
	for (size_t i = 0; dev >= 0 && i < CNB_ARRAY_SIZE(links); i++)
		symlinkat(links[i][0], dev, links[i][1]);
	return rc;
}

static int open_job_source(int jobfd, const char *source)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, jobfd, source, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = open_dir_beneath(jobfd, source, false);
	return fd;
}

/*
 * With a user namespace per step, the rootfs is seen through an idmapped mount of it: its root-owned
 * files are step root's, the CNB user's home is the CNB user's, as in the image. Where the file system
 * cannot be idmapped, the rootfs is used as is: its files then appear owned by the overflow ids
 * (nobody), readable but not writable by any step (reported as a "log" event). NULL on OOM.
 */
static char *idmapped_lower(const cnb__executor_jobrun_env *env)
{
	if (!env->idmap)
		return strdup(env->lower);
	char *lower = cnb__path_join(env->scratch, "lower");
	if (lower && (mkdir(lower, 0755) < 0 || cnb__executor_idmap_bind(env->idmap, env->lower, lower) < 0)) {
		cnb__executor_jobrun_report(env->event_fd, CNB_GUEST_EVENT_LOG,
				   "the rootfs %s cannot be idmapped (%s): steps see its files owned by nobody", env->lower,
				   strerror(errno));
		free(lower);
		return strdup(env->lower);
	}
	return lower;
}

static int setup_overlay(const cnb__executor_jobrun_env *env, const char *root, cnb_error **err)
{
	_cleanup_free_ char *upper = NULL, *work = NULL, *opts = NULL;
	if (asprintf(&upper, "%s/upper", env->scratch) < 0 || asprintf(&work, "%s/work", env->scratch) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0755) < 0 || mkdir(root, 0755) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "create overlay directories in %s", env->scratch);
	if (strpbrk(env->lower, ",:\\"))
		return cnb__error_set(err, CNB_EINVAL, "rootfs path %s contains ',' ':' or '\\', which overlayfs cannot take",
				      env->lower);
	_cleanup_free_ char *lower = idmapped_lower(env);
	if (!lower || asprintf(&opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	/* The merged root directory shows the upper one's owner and mode: the lower root's, as steps see it. */
	struct stat st;
	if (stat(lower, &st) < 0 || chown(upper, st.st_uid, st.st_gid) < 0 || chmod(upper, st.st_mode & 07777) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "own the overlay's upper directory as the rootfs %s", env->lower);
	if (mount("overlay", root, "overlay", SAFE_MOUNT, opts) == 0)
		return 0;
	int e = errno;
	if (mount(lower, root, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount(NULL, root, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | SAFE_MOUNT, NULL) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "mount the rootfs %s (overlay failed: %s)", env->lower,
					strerror(e));
	cnb__executor_jobrun_report(env->event_fd, CNB_GUEST_EVENT_LOG,
			   "overlayfs unavailable (%s): the rootfs is mounted read-only, steps cannot write to /",
			   strerror(e));
	return 0;
}

int cnb__executor_jobrun_setup(const cnb__executor_job *job, const cnb__executor_jobrun_env *env, char **root_out, cnb_error **err)
{
	*root_out = NULL;
	if (mount("cnb-scratch", env->scratch, "tmpfs", SAFE_MOUNT, "mode=0755,size=" CNB_JOB_SCRATCH_SIZE) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "mount a tmpfs on %s", env->scratch);
	_cleanup_free_ char *root = cnb__path_join(env->scratch, "root");
	if (!root)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = setup_overlay(env, root, err);
	if (rc < 0)
		return rc;
	_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int jobfd = open(env->job_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || jobfd < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "open %s", rootfd < 0 ? root : env->job_dir);
	rc = mount_in_root(rootfd, "/proc", false, -1, "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, false, err);
	if (rc == 0)
		rc = setup_dev(rootfd, err);
	if (rc == 0)
		rc = bind_path(rootfd, CNB_TOOLS_TARGET, env->tools_dir, false, SAFE_MOUNT, true, err);
	for (size_t i = 0; rc == 0 && i < job->n_mounts; i++) {
		const cnb__executor_job_mount *m = &job->mounts[i];
		if (m->seed) {
			_cleanup_close_ int dfd = -1;
			rc = cnb__executor_guest_local_seed(jobfd, env->scratch, i, m, &dfd, err);
			if (rc == 0)
				rc = mount_in_root(rootfd, m->target, false, dfd, NULL, NULL, SAFE_MOUNT, m->read_only, err);
			continue;
		}
		const char *own_share = env->mount_dirs ? env->mount_dirs[i] : NULL;
		if (!m->source && !m->host_dir && !own_share) {
			rc = mount_in_root(rootfd, m->target, false, -1, "tmpfs", "mode=0755", SAFE_MOUNT, m->read_only,
					   err);
			continue;
		}
		_cleanup_close_ int sfd = own_share    ? open(own_share, O_PATH | O_DIRECTORY | O_CLOEXEC)
					  : m->host_dir ? open(m->host_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
							: open_job_source(jobfd, m->source);
		if (sfd < 0)
			return cnb__error_errno(err, CNB_EUNSAFE, errno,
						"mount %s: %s \"%s\" (must be a directory, no symlinks)", m->target,
						m->host_dir ? "host directory" : "job dir entry",
						m->host_dir ? m->host_dir : m->source);
		rc = mount_in_root(rootfd, m->target, false, sfd, NULL, NULL, SAFE_MOUNT, m->read_only, err);
	}
	if (rc < 0)
		return rc;
	const char *hostname = job->hostname ? job->hostname : "cnb";
	if (sethostname(hostname, strlen(hostname)) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "set hostname %s", hostname);
	*root_out = TAKE_PTR(root);
	return 0;
}

static const char *env_get(char **env, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], key, n) && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

/* execvpe() searches the caller's PATH; a step must be resolved with its own. */
static void exec_step(const cnb__executor_job_step *step)
{
	static char *const empty_env[] = { NULL };
	char *const *envp = step->env ? step->env : empty_env;
	const char *file = step->argv[0];
	if (strchr(file, '/')) {
		execve(file, step->argv, envp);
		return;
	}
	const char *path = env_get(step->env, "PATH");
	_cleanup_free_ char *copy = strdup(path ? path : DEFAULT_PATH);
	int first_errno = ENOENT;
	for (char *save = NULL, *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
		char full[4096];
		if (snprintf(full, sizeof(full), "%s/%s", dir, file) >= (int)sizeof(full))
			continue;
		execve(full, step->argv, envp);
		if (errno == EACCES)
			first_errno = EACCES;
	}
	errno = first_errno;
}

/*
 * No capability survives into a step, whatever its uid: the bounding and ambient sets are emptied
 * (so no later execve can gain any back), then the effective/permitted/inheritable sets; with
 * no_new_privs a setuid or file-capability binary cannot raise them either.
 */
static int drop_privileges(const cnb__executor_job_step *step)
{
	if (step->privileged) /* our own sandboxing tool, as root (cnb__executor_job_validate); VM only */
		return 0;
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -1;
	if (setgroups(0, NULL) < 0 || setgid(step->gid) < 0 || setuid(step->uid) < 0)
		return -1;
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* Where a step's stdout and stderr go (the same fd when the caller wants them merged). */
typedef struct step_io {
	int out, err;
} step_io;

static void __attribute__((noreturn)) step_child(const cnb__executor_job_step *step, step_io io)
{
	const char *cwd = step->cwd ? step->cwd : "/";
	const char *what = "drop privileges";
	if (dup2(io.out, STDOUT_FILENO) < 0 || dup2(io.err, STDERR_FILENO) < 0)
		_exit(127);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0 && devnull != STDIN_FILENO)
		dup2(devnull, STDIN_FILENO);
	if (drop_privileges(step) == 0) {
		what = "enter the working directory";
		if (chdir(cwd) == 0) {
			what = "execute";
			exec_step(step);
		}
	}
	int e = errno;
	dprintf(STDERR_FILENO, "cnb: step %s: %s %s: %s\n", step->name, what,
		!strcmp(what, "execute") ? step->argv[0] : !strcmp(what, "enter the working directory") ? cwd : "",
		strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

/*
 * Makes `root` this process's root. In a mount namespace of our own, pivot_root detaches the
 * runner's root entirely (the host's / for the host executor); where that cannot work (the VM's
 * initramfs root cannot be pivoted away from) a chroot does, since steps keep no capability to
 * leave it.
 */
static int enter_root(const char *root, bool own_mount_ns)
{
	if (chdir(root) < 0)
		return -1;
	if (own_mount_ns && syscall(SYS_pivot_root, ".", ".") == 0 && umount2(".", MNT_DETACH) == 0)
		return chdir("/");
	return chroot(".") == 0 ? chdir("/") : -1;
}

/* Runs the step as a child and returns its status the way a shell reports it. Reaps orphans on the way. */
static void __attribute__((noreturn)) step_init(const cnb__executor_job_step *step, step_io io)
{
	pid_t pid = fork();
	if (pid == 0)
		step_child(step, io);
	int status = 0;
	pid_t r;
	while (pid > 0 && ((r = wait(&status)) != pid))
		if (r < 0 && errno != EINTR)
			_exit(255);
	_exit(pid < 0 ? 126 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/*
 * The process a step runs under (a child of the runner). Each step gets a PID namespace of its own
 * whose init is this process, inside the job root, owned by root: when the step's main process
 * ends, this init exits and the kernel kills every process the step left behind, setsid or not
 * (buildpacks cannot tamper with what the lifecycle hands over after them). Its /proc is mounted
 * anew, so /proc/1 is this init and /proc/1/root the job root, never the runner's.
 * Kernels without PID namespaces: the step runs directly; see kill_step_leftovers().
 */
static void __attribute__((noreturn)) step_sandbox(const cnb__executor_job_step *step, const char *root, step_io io,
						   bool own_pid_ns, bool own_mount_ns)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setsid();
	if (own_mount_ns && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		own_mount_ns = false;
	if (enter_root(root, own_mount_ns) < 0) {
		dprintf(io.err, "cnb: step %s: enter the job root %s: %s\n", step->name, root, strerror(errno));
		_exit(126);
	}
	if (own_pid_ns && mount("proc", "/proc", "proc", SAFE_MOUNT | MS_NOEXEC, NULL) < 0) {
		dprintf(io.err, "cnb: step %s: mount /proc: %s\n", step->name, strerror(errno));
		_exit(126);
	}
	if (own_pid_ns)
		step_init(step, io);
	step_child(step, io);
}

/* clone() like fork(), into new PID and mount namespaces; plain fork() where the kernel has none. */
static pid_t fork_sandbox(bool *own_pid_ns, bool *own_mount_ns)
{
	static const unsigned long tries[] = { CLONE_NEWPID | CLONE_NEWNS, CLONE_NEWNS, 0 };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(tries); i++) {
		pid_t pid = (pid_t)syscall(SYS_clone, tries[i] | SIGCHLD, NULL, NULL, NULL, NULL);
		if (pid >= 0 || (errno != EINVAL && errno != EPERM && errno != ENOSPC && errno != EUSERS)) {
			*own_pid_ns = tries[i] & CLONE_NEWPID;
			*own_mount_ns = tries[i] & CLONE_NEWNS;
			return pid;
		}
	}
	return -1;
}

/*
 * clone() into new user, PID and mount namespaces (the host executor: no fallback, the step must not
 * run with host ids). The child goes on once we wrote its id maps; it exits if we could not.
 */
static pid_t fork_sandbox_userns(const cnb__executor_idmap *idmap)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		char c = 0;
		close(ready[1]);
		if (read(ready[0], &c, 1) != 1 || c != 'm')
			_exit(126);
		close(ready[0]);
		return 0;
	}
	int e = errno;
	close(ready[0]);
	if (pid > 0 && cnb__executor_idmap_write(pid, idmap) < 0) {
		e = errno;
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		pid = -1;
	} else if (pid > 0) {
		(void)!write(ready[1], "m", 1);
	}
	close(ready[1]);
	errno = e;
	return pid;
}

/*
 * Without a PID namespace, what a step started may outlive it (setsid leaves its process group):
 * kill every process of the step's uid, as that uid, until none is left.
 */
static void kill_step_leftovers(uid_t uid)
{
	if (uid == 0)
		return; /* kill(-1) as root would take the runner's own helpers; root steps are our own tools */
	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(uid) < 0)
			_exit(1);
		for (int i = 0; i < 100 && kill(-1, SIGKILL) == 0; i++)
			usleep(1000);
		_exit(0);
	}
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Waits for `pid`, reaping every other child on the way (we are PID 1: orphans come to us). */
static int wait_step(pid_t pid, int timeout_s, bool *timed_out)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	uint64_t deadline = timeout_s > 0 ? cnb__monotonic_ms() + (uint64_t)timeout_s * 1000u : 0;
	int status = 0;
	for (;;) {
		pid_t r;
		bool done = false;
		while ((r = waitpid(-1, &status, WNOHANG)) > 0)
			if (r == pid) {
				done = true;
				break;
			}
		if (done || (r < 0 && errno == ECHILD))
			break;
		int wait_ms = pidfd >= 0 ? -1 : 50;
		if (deadline && !*timed_out) {
			uint64_t now = cnb__monotonic_ms();
			if (now >= deadline) {
				*timed_out = true;
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				continue;
			}
			if (wait_ms < 0 || deadline - now < (uint64_t)wait_ms)
				wait_ms = (int)(deadline - now);
		}
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		poll(&p, pidfd >= 0 ? 1 : 0, wait_ms);
	}
	if (pidfd >= 0)
		close(pidfd);
	kill(-pid, SIGKILL); /* what the step left running in its session does not outlive it */
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

int cnb__executor_jobrun_steps(const cnb__executor_job *job, const char *root, const cnb__executor_jobrun_env *env)
{
	step_io io = { env->output_fd, env->error_fd >= 0 ? env->error_fd : env->output_fd };
	for (size_t i = 0; i < job->n_steps; i++) {
		const cnb__executor_job_step *step = &job->steps[i];
		cnb__executor_guest_event ev = { .type = CNB_GUEST_EVENT_STEP_START, .step = (uint32_t)i };
		cnb__executor_guest_event_write(env->event_fd, &ev);
		uint64_t t0 = cnb__monotonic_ms();
		bool own_pid_ns = env->idmap != NULL, own_mount_ns = own_pid_ns;
		pid_t pid = env->idmap ? fork_sandbox_userns(env->idmap) : fork_sandbox(&own_pid_ns, &own_mount_ns);
		if (pid == 0)
			step_sandbox(step, root, io, own_pid_ns, own_mount_ns);
		ev.type = CNB_GUEST_EVENT_STEP_END;
		if (pid < 0) {
			dprintf(io.err, "cnb: step %s: %s: %s\n", step->name,
				env->idmap ? "create its user, PID and mount namespaces" : "fork", strerror(errno));
			ev.exit_code = 126;
		} else {
			ev.exit_code = wait_step(pid, step->timeout_s, &ev.timed_out);
			if (!own_pid_ns)
				kill_step_leftovers(step->uid);
		}
		ev.ms = cnb__monotonic_ms() - t0;
		ev.no_space = (ev.exit_code != 0 || ev.timed_out) && cnb__executor_guest_local_full(env->scratch);
		cnb__executor_guest_event_write(env->event_fd, &ev);
		if (ev.exit_code != 0 || ev.timed_out)
			return -1;
	}
	return 0;
}
