/* Child processes for buildpack executables: fork + execve, bounded capture, parallel collect. */
#include "buildpack-exec.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/group-plan-files.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: report the errno of a failed setup through the CLOEXEC pipe, then exit. */
static void child_fail(int report_fd)
{
	int e = errno;
	(void)!write(report_fd, &e, sizeof(e));
	_exit(127);
}

static void close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

int cnb__lifecycle_exec_spawn(cnb__lifecycle_child *child, char *const argv[], char *const envp[], const char *cwd, bool capture,
		    cnb_error **err)
{
	struct stat st;
	if (stat(argv[0], &st) < 0)
		return cnb__error_errno(err, CNB_ENOTFOUND, errno, "%s", argv[0]);
	int report[2] = { -1, -1 }, out[2] = { -1, -1 };
	if (pipe2(report, O_CLOEXEC) < 0 || (capture && pipe2(out, O_CLOEXEC) < 0)) {
		int e = errno;
		close_pair(report);
		return cnb__error_errno(err, CNB_EIO, e, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close_pair(report);
		close_pair(out);
		return cnb__error_errno(err, CNB_EIO, e, "fork for %s", argv[0]);
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (capture && (dup2(out[1], STDOUT_FILENO) < 0 || dup2(out[1], STDERR_FILENO) < 0))
			child_fail(report[1]);
		/* Buildpacks read no stdin (buildpack.md "Detection/Build"); give them an empty one. */
		int null_fd = open("/dev/null", O_RDONLY);
		if (null_fd >= 0 && null_fd != STDIN_FILENO) {
			dup2(null_fd, STDIN_FILENO);
			close(null_fd);
		}
		if (cwd && chdir(cwd) < 0)
			child_fail(report[1]);
		execve(argv[0], argv, envp);
		child_fail(report[1]);
	}
	close(report[1]);
	if (capture)
		close(out[1]);
	*child = (cnb__lifecycle_child){ pid, out[0], report[0], argv[0] };
	return 0;
}

/* Reads what is available on one capture pipe; false at EOF or error. */
static bool read_some(int fd, cnb__buf *capture)
{
	char chunk[8192];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	size_t room = capture->len < CNB_EXEC_CAPTURE_MAX ? CNB_EXEC_CAPTURE_MAX - capture->len : 0;
	cnb__buf_append(capture, chunk, (size_t)n < room ? (size_t)n : room);
	return true;
}

void cnb__lifecycle_exec_collect(cnb__lifecycle_child *children, size_t n, cnb__buf *capture, int *status, int *errno_out)
{
	_cleanup_free_ struct pollfd *fds = calloc(n ? n : 1, sizeof(*fds));
	size_t open_fds = 0;
	for (size_t i = 0; i < n; i++) {
		fds[i] = (struct pollfd){ children[i].out_fd, POLLIN, 0 };
		open_fds += children[i].out_fd >= 0;
	}
	/* All pipes at once: one chatty buildpack must not block the others on a full pipe. */
	while (fds && open_fds) {
		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			if (!read_some(fds[i].fd, &capture[i])) {
				close(fds[i].fd);
				children[i].out_fd = fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (children[i].out_fd >= 0) /* poll failed: still drain, blocking */
			while (read_some(children[i].out_fd, &capture[i]))
				;
		if (children[i].out_fd >= 0)
			close(children[i].out_fd);
		int child_errno = 0;
		ssize_t got;
		do
			got = read(children[i].report_fd, &child_errno, sizeof(child_errno));
		while (got < 0 && errno == EINTR);
		close(children[i].report_fd);
		int wstatus = 0;
		while (waitpid(children[i].pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		errno_out[i] = got == (ssize_t)sizeof(child_errno) ? child_errno : 0;
		status[i] = errno_out[i] ? -1 : WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	}
}

int cnb__lifecycle_exec_run(char *const argv[], char *const envp[], const char *cwd, cnb__buf *capture, int *status,
		  cnb_error **err)
{
	cnb__lifecycle_child child;
	int rc = cnb__lifecycle_exec_spawn(&child, argv, envp, cwd, capture != NULL, err);
	if (rc)
		return rc;
	cnb__buf none = CNB_BUF_INIT;
	int child_errno = 0;
	cnb__lifecycle_exec_collect(&child, 1, capture ? capture : &none, status, &child_errno);
	cnb__buf_reset(&none);
	return child_errno ? cnb__error_errno(err, CNB_EIO, child_errno, "run %s", argv[0]) : 0;
}

/* Writes the buildpack plan to $TMPDIR/<esc>-XXXXXX/<esc>/plan.toml (lifecycle buildpack/build.go). */
int cnb__lifecycle_exec_write_plan(const cnb_toml *plan, const char *esc, char **tmpdir, char **path, cnb_error **err)
{
	const char *tmp = getenv("TMPDIR");
	_cleanup_free_ char *sub = NULL;
	if (asprintf(tmpdir, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", esc) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (!mkdtemp(*tmpdir))
		return cnb__error_errno(err, CNB_EIO, errno, "create a temp dir for %s's plan", esc);
	if (!(sub = cnb__path_join(*tmpdir, esc)) || !(*path = cnb__path_join(sub, "plan.toml")))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (mkdir(sub, 0755) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", sub);
	return cnb__lifecycle_toml_doc_write_file(plan, *path, err);
}
