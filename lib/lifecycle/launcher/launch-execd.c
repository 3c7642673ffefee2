/* Running exec.d programs and reading their fd 3 output (platform.md "Launch Environment"). */
#include "launch-execd.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/buf.h"
#include "lib/common/fs.h"
#include "lib/toml/toml.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* buildpack.md "Exec.d": the program writes its output to file descriptor 3. */
#define EXECD_OUTPUT_FD 3

int cnb__lifecycle_launch_execd_apply_output(cnb__lifecycle_env *env, const char *data, size_t len, const char *name, cnb_error **err)
{
	cnb_toml *doc = NULL;
	int rc = cnb__toml_parse(&doc, data, len, name, err);
	for (size_t i = 0; rc == 0 && i < cnb__toml_len(doc); i++) {
		size_t key_len = 0, value_len = 0;
		const char *key = cnb__toml_key_at_n(doc, i, &key_len);
		const char *value = cnb__toml_string_n(cnb__toml_at(doc, i), &value_len);
		/* An env entry is NAME=value\0: a name with `=` or NUL, or a value with NUL, cannot be one. */
		if (!key_len || memchr(key, '=', key_len) || memchr(key, '\0', key_len))
			rc = cnb__error_set(err, CNB_EPARSE, "%s: output key \"%.*s\" is not an environment variable name",
					    name, (int)key_len, key);
		else if (!value || memchr(value, '\0', value_len))
			rc = cnb__error_set(err, CNB_EPARSE,
					    "%s: output value of %s must be a string (without NUL): exec.d writes "
					    "NAME = \"value\" lines to fd 3",
					    name, key);
		else if (cnb__lifecycle_env_setn(env, key, value, value_len) < 0)
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	cnb__toml_free(doc);
	return rc;
}

/* Reads the pipe to EOF; output past the limit is drained (so the child never blocks) and refused. */
static int read_output(int fd, cnb__buf *out, const char *path, cnb_error **err)
{
	char chunk[4096];
	bool too_big = false;
	for (;;) {
		ssize_t n = cnb__read_some(fd, chunk, sizeof(chunk));
		if (n < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "%s: read fd %d output", path, EXECD_OUTPUT_FD);
		if (n == 0)
			break;
		too_big = too_big || out->len + (size_t)n > CNB_LAUNCH_EXECD_OUTPUT_MAX;
		if (!too_big && cnb__buf_append(out, chunk, (size_t)n) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (too_big)
		return cnb__error_set(err, CNB_EUNSAFE, "%s: output on fd %d is over %u bytes", path, EXECD_OUTPUT_FD,
				      CNB_LAUNCH_EXECD_OUTPUT_MAX);
	return 0;
}

static int wait_child(pid_t pid, const char *path, cnb_error **err)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cnb__error_errno(err, CNB_EIO, errno, "%s: wait", path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return cnb__error_set(err, CNB_EINVAL, "%s was killed by signal %d", path, WTERMSIG(status));
	return cnb__error_set(err, CNB_EINVAL, "%s exited with status %d", path, WEXITSTATUS(status));
}

/* posix_spawn with fd 3 = `write_fd`, stdin = /dev/null and nothing else of ours inherited. */
static int spawn(pid_t *pid, const char *path, int write_fd, char *const *envp)
{
	posix_spawn_file_actions_t fa;
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		return rc;
	char *const argv[] = { (char *)path, NULL };
	if (!(rc = posix_spawn_file_actions_adddup2(&fa, write_fd, EXECD_OUTPUT_FD)) &&
	    !(rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) &&
	    !(rc = posix_spawn_file_actions_addclosefrom_np(&fa, EXECD_OUTPUT_FD + 1)))
		rc = posix_spawn(pid, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

int cnb__lifecycle_launch_execd_run(cnb__lifecycle_env *env, const char *path, cnb_error **err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "%s: pipe", path);
	_cleanup_close_ int read_fd = fds[0], write_fd = fds[1];
	/* dup2 onto itself would keep close-on-exec set: make sure the write end is not fd 3 already. */
	if (write_fd == EXECD_OUTPUT_FD) {
		int moved = fcntl(write_fd, F_DUPFD_CLOEXEC, EXECD_OUTPUT_FD + 1);
		if (moved < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "%s: pipe", path);
		close(write_fd);
		write_fd = moved;
	}
	pid_t pid;
	int rc = spawn(&pid, path, write_fd, cnb__lifecycle_env_envp(env));
	if (rc)
		return cnb__error_errno(err, CNB_EIO, rc, "run exec.d program %s", path);
	close(TAKE_FD(write_fd)); /* EOF on read_fd once the program (and its children) close fd 3 */
	_cleanup_buf_ cnb__buf out = CNB_BUF_INIT;
	cnb_error *read_err = NULL;
	int read_rc = read_output(read_fd, &out, path, &read_err);
	/* The exit status explains more than a read error: report it first, as lifecycle launch/exec_d.go does. */
	if ((rc = wait_child(pid, path, err)) || read_rc) {
		if (!rc && err && !*err)
			*err = TAKE_PTR(read_err);
		cnb_error_free(read_err);
		return rc ? rc : read_rc;
	}
	return cnb__lifecycle_launch_execd_apply_output(env, out.data ? out.data : "", out.len, path, err);
}

int cnb__lifecycle_launch_execd_run_layers(cnb__lifecycle_env *env, const cnb__lifecycle_launch_layers *layers, const char *type,
				 cnb_error **err)
{
	for (size_t i = 0; i < layers->n; i++) {
		_cleanup_strv_list_ cnb__strv_list programs = CNB_STRV_LIST_INIT;
		int rc = cnb__lifecycle_launch_layer_files(&programs, layers->v[i].dir, "exec.d", type, err);
		for (size_t j = 0; rc == 0 && j < programs.n; j++)
			rc = cnb__lifecycle_launch_execd_run(env, programs.v[j], err);
		if (rc)
			return rc;
	}
	return 0;
}
