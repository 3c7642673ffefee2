/* Child processes for buildpack executables: fork + execve, optional bounded capture. */
#include "buildpack-exec.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

int cnb__exec_run(char *const argv[], char *const envp[], const char *cwd, cnb__buf *capture, int *status,
		  cnb_error **err)
{
	struct stat st;
	if (stat(argv[0], &st) < 0)
		return cnb__error_errno(err, CNB_ENOTFOUND, errno, "%s", argv[0]);
	int report[2], out[2] = { -1, -1 };
	if (pipe2(report, O_CLOEXEC) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "pipe");
	if (capture && pipe2(out, O_CLOEXEC) < 0) {
		close(report[0]);
		close(report[1]);
		return cnb__error_errno(err, CNB_EIO, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(report[0]);
		close(report[1]);
		if (capture) {
			close(out[0]);
			close(out[1]);
		}
		return cnb__error_errno(err, CNB_EIO, e, "fork for %s", argv[0]);
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (capture && (dup2(out[1], STDOUT_FILENO) < 0 || dup2(out[1], STDERR_FILENO) < 0))
			child_fail(report[1]);
		/* Buildpacks read no stdin ([B § Detection/Build]); give them an empty one. */
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
	if (capture) {
		close(out[1]);
		char chunk[8192];
		for (;;) {
			ssize_t n = read(out[0], chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			size_t room = capture->len < CNB_EXEC_CAPTURE_MAX ? CNB_EXEC_CAPTURE_MAX - capture->len : 0;
			cnb__buf_append(capture, chunk, (size_t)n < room ? (size_t)n : room);
		}
		close(out[0]);
	}
	int child_errno = 0;
	ssize_t got;
	do
		got = read(report[0], &child_errno, sizeof(child_errno));
	while (got < 0 && errno == EINTR);
	close(report[0]);
	int wstatus = 0;
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return cnb__error_errno(err, CNB_EIO, errno, "wait for %s", argv[0]);
	if (got == (ssize_t)sizeof(child_errno))
		return cnb__error_errno(err, CNB_EIO, child_errno, "run %s", argv[0]);
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	return 0;
}
