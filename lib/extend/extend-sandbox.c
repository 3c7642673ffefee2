/* A Dockerfile RUN (or WORKDIR) in namespaces of its own over the overlay (see extend-sandbox.h). */
#include "extend-sandbox.h"
#include "extend-copy.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit code of the sandbox itself failing before the command ran (docker uses 125 the same way). */
#define SETUP_FAILED 125
#define ACCOUNTS_MAX (1u << 20)
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* docker's default capability set for a RUN (moby oci/caps/defaults.go), less CAP_MKNOD: a layer
 * holds no device nodes. */
static const int kept_caps[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID,
				 CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_CHROOT,
				 CAP_AUDIT_WRITE, CAP_SETFCAP };

static void __attribute__((noreturn)) die(const cnb__extend_op *op, const char *what, const char *arg)
{
	dprintf(STDERR_FILENO, "cnb extend: %s: %s %s: %s\n", op->where, what, arg ? arg : "", strerror(errno));
	_exit(SETUP_FAILED);
}

/* A passwd or group line by name (field 0) or, with name NULL, by id (field 2): *id = field 2,
 * *gid = field 3 when asked. */
static bool lookup(const char *file, const char *name, long by_id, long *id, long *gid)
{
	_cleanup_free_ char *text = NULL;
	if (cnb__read_file(file, ACCOUNTS_MAX, &text, NULL, NULL) < 0)
		return false;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *f[4] = { line, NULL, NULL, NULL };
		for (int i = 1; i < 4 && f[i - 1]; i++)
			if ((f[i] = strchr(f[i - 1], ':')))
				*f[i]++ = '\0';
		if (!f[2] || (name ? strcmp(f[0], name) : strtol(f[2], NULL, 10) != by_id))
			continue;
		*id = strtol(f[2], NULL, 10);
		if (gid)
			*gid = f[3] ? strtol(f[3], NULL, 10) : 0;
		return true;
	}
	return false;
}

static bool numeric(const char *s, long *out)
{
	char *end = NULL;
	if (!*s)
		return false;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end || errno || v < 0 || v > 0x7fffffff)
		return false;
	*out = v;
	return true;
}

/* USER as docker resolves it: a name through /etc/passwd, with its group; a number as is, with the
 * group of its passwd line when there is one (else 0); ":group" by name through /etc/group or a
 * number. */
static void resolve_user(const cnb__extend_op *op, uid_t *uid, gid_t *gid)
{
	const char *what = op->copy ? "COPY --chown" : "USER";
	char msg[64];
	char user[256];
	snprintf(user, sizeof(user), "%s", op->user);
	char *group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	long u = 0, g = 0, ignored;
	if (numeric(user, &u)) {
		if (!lookup("/etc/passwd", NULL, u, &ignored, &g))
			g = 0;
	} else if (!lookup("/etc/passwd", user, 0, &u, &g) && strcmp(user, "root")) { /* root needs no passwd line */
		errno = ENOENT;
		snprintf(msg, sizeof(msg), "%s: no such user in the image's /etc/passwd:", what);
		die(op, msg, user);
	}
	if (group && !numeric(group, &g) && !lookup("/etc/group", group, 0, &g, NULL)) {
		errno = ENOENT;
		snprintf(msg, sizeof(msg), "%s: no such group in the image's /etc/group:", what);
		die(op, msg, group);
	}
	*uid = (uid_t)u;
	*gid = (gid_t)g;
}

static void drop_caps(const cnb__extend_op *op)
{
	uint64_t keep = 0;
	for (size_t i = 0; i < CNB_ARRAY_SIZE(kept_caps); i++)
		keep |= 1ull << kept_caps[i];
	for (int cap = 0; cap <= 63; cap++)
		if (!(keep & (1ull << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			die(op, "drop capabilities", NULL);
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };
	for (int i = 0; i < 2; i++)
		data[i].effective = data[i].permitted = data[i].inheritable = (uint32_t)(keep >> (32 * i));
	if (syscall(SYS_capset, &hdr, data) < 0)
		die(op, "drop capabilities", NULL);
}

/* Binds the job root's `path` (a file or directory) over the same path in `merged` when both
 * exist as that type and the target is no symlink. */
static void bind_from_job(const cnb__extend_op *op, const char *merged, const char *path, bool dir, bool read_only)
{
	char target[4096];
	struct stat src, dst;
	snprintf(target, sizeof(target), "%s%s", merged, path);
	if (stat(path, &src) < 0 || lstat(target, &dst) < 0 || !!S_ISDIR(src.st_mode) != dir ||
	    !!S_ISDIR(dst.st_mode) != dir || S_ISLNK(dst.st_mode))
		return;
	if (mount(path, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		die(op, "bind", path);
	if (read_only && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		die(op, "remount read-only", path);
}

static void mkdir_parents(const cnb__extend_op *op, const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1;; p++) {
		char c = *p;
		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			die(op, "WORKDIR: create", buf);
		if (!(*p = c))
			break;
	}
}

static char **with_path(char **env)
{
	size_t n = 0;
	bool has_path = false;
	for (; env && env[n]; n++)
		has_path |= !strncmp(env[n], "PATH=", 5);
	if (has_path)
		return env;
	char **out = calloc(n + 2, sizeof(char *));
	if (!out)
		return env;
	memcpy(out, env, n * sizeof(char *));
	out[n] = (char *)DEFAULT_PATH;
	return out;
}

static void __attribute__((noreturn)) sandbox(const char *merged, const cnb__extend_op *op)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die(op, "make mounts private", NULL);
	char proc[4096];
	snprintf(proc, sizeof(proc), "%s/proc", merged);
	if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die(op, "mount", proc);
	bind_from_job(op, merged, "/dev", true, false);
	bind_from_job(op, merged, "/etc/resolv.conf", false, true);
	bind_from_job(op, merged, "/etc/hosts", false, true);
	/* the build context, opened before the VM's tree is out of reach */
	int context = op->copy ? open(op->context, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (op->copy && context < 0)
		die(op, "open the build context", op->context);
	if (chdir(merged) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		die(op, "enter", merged);
	if (op->mkdir) {
		mkdir_parents(op, op->mkdir);
		_exit(0);
	}
	uid_t uid;
	gid_t gid;
	resolve_user(op, &uid, &gid);
	if (op->copy) /* --chown=user without a group: the group is the user's id (docker's rule) */
		_exit(cnb__extend_copy(op->where, context, op->copy, op->dest, uid, strchr(op->user, ':') ? gid : (gid_t)uid) < 0
			      ? SETUP_FAILED
			      : 0);
	drop_caps(op);
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		die(op, "become", op->user);
	if (chdir(op->workdir) < 0)
		die(op, "enter the working directory", op->workdir);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull > 0)
		dup2(devnull, STDIN_FILENO);
	environ = with_path(op->env);
	execvp(op->argv[0], op->argv);
	dprintf(STDERR_FILENO, "cnb extend: %s: execute %s: %s\n", op->where, op->argv[0], strerror(errno));
	_exit(127);
}

int cnb__extend_sandbox_run(const char *merged, const cnb__extend_op *op, cnb_error **err)
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "%s: new PID and mount namespaces", op->where);
	if (pid == 0)
		sandbox(merged, op);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cnb__error_errno(err, CNB_EVM, errno, "%s: wait", op->where);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return cnb__error_set(err, CNB_EBUILD, "%s: %s failed (exit %d)", op->where, op->argv ? "RUN" : op->copy ? "COPY" : "WORKDIR", code);
}
