/* PATH lookup and exec of the launched process (platform.md "launcher" › "Execution"). */
#include "launch-exec.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/launcher/launch-shell.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_executable(const char *file)
{
	struct stat st;
	return stat(file, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

static char *absolute(const char *file)
{
	if (file[0] == '/')
		return strdup(file);
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	return cwd ? cnb__path_join(cwd, file) : NULL;
}

int cnb__lifecycle_launch_lookpath(char **out, const char *name, const char *path, cnb_error **err)
{
	if (!*name)
		return cnb__error_set(err, CNB_EINVAL, "the process has an empty command; rebuild the image");
	if (strchr(name, '/')) {
		if (!(*out = strdup(name)))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		return 0;
	}
	for (const char *s = path ? path : "";;) {
		const char *end = strchrnul(s, ':');
		_cleanup_free_ char *dir = end == s ? strdup(".") : strndup(s, (size_t)(end - s));
		_cleanup_free_ char *file = dir ? cnb__path_join(dir, name) : NULL;
		if (!file)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (is_executable(file)) {
			if (!(*out = absolute(file)))
				return cnb__error_set(err, CNB_ENOMEM, "out of memory");
			return 0;
		}
		if (!*end)
			break;
		s = end + 1;
	}
	return cnb__error_set(err, CNB_ENOTFOUND,
			      "executable file \"%s\" not found in PATH (%s); check the process command or add a "
			      "layer bin/ directory providing it",
			      name, path ? path : "unset");
}

char *cnb__lifecycle_launch_working_dir(const cnb__lifecycle_launch_proc *proc, const char *app_dir)
{
	if (!proc->working_dir || !*proc->working_dir)
		return strdup(app_dir);
	return proc->working_dir[0] == '/' ? strdup(proc->working_dir) : cnb__path_join(app_dir, proc->working_dir);
}

static int exec_direct(const cnb__lifecycle_launch_proc *proc, cnb__lifecycle_env *env, const char *working_dir, cnb_error **err)
{
	if (proc->command.n == 0)
		return cnb__error_set(err, CNB_EINVAL, "process type %s has no command; rebuild the image", proc->type);
	_cleanup_free_ char *binary = NULL;
	/* Looked up before the chdir, from <app>, as lifecycle launch/launcher.go does. */
	int rc = cnb__lifecycle_launch_lookpath(&binary, proc->command.v[0], cnb__lifecycle_env_get(env, "PATH"), err);
	if (rc)
		return rc;
	if (chdir(working_dir) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "change to working directory %s", working_dir);
	_cleanup_strv_list_ cnb__strv_list argv = CNB_STRV_LIST_INIT;
	if (cnb__strv_extend(&argv, proc->command.v, proc->command.n) < 0 ||
	    cnb__strv_extend(&argv, proc->args.v, proc->args.n) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	execve(binary, cnb__strv_argv(&argv), cnb__lifecycle_env_envp(env));
	return cnb__error_errno(err, CNB_EIO, errno, "exec %s", binary);
}

static int exec_shell(const cnb__lifecycle_launch_proc *proc, cnb__lifecycle_env *env, const cnb__lifecycle_launch_layers *layers,
		      const char *app_dir, const char *working_dir, const char *caller, cnb_error **err)
{
	_cleanup_strv_list_ cnb__strv_list profiles = CNB_STRV_LIST_INIT;
	_cleanup_strv_list_ cnb__strv_list argv = CNB_STRV_LIST_INIT;
	int rc = cnb__lifecycle_launch_shell_profiles(&profiles, layers, proc->type, app_dir, err);
	if (rc || (rc = cnb__lifecycle_launch_shell_argv(&argv, &profiles, working_dir, caller, proc, err)))
		return rc;
	execve(CNB_LAUNCH_SHELL, cnb__strv_argv(&argv), cnb__lifecycle_env_envp(env));
	return cnb__error_errno(err, CNB_EIO, errno,
				"exec %s for process %s (it is not direct, so it needs bash in the image)",
				CNB_LAUNCH_SHELL, *proc->type ? proc->type : proc->command.v[0]);
}

int cnb__lifecycle_launch_exec(const cnb__lifecycle_launch_proc *proc, cnb__lifecycle_env *env, const cnb__lifecycle_launch_layers *layers,
		     const char *app_dir, const char *caller, cnb_error **err)
{
	_cleanup_free_ char *working_dir = cnb__lifecycle_launch_working_dir(proc, app_dir);
	if (!working_dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return proc->direct ? exec_direct(proc, env, working_dir, err)
			    : exec_shell(proc, env, layers, app_dir, working_dir, caller, err);
}
