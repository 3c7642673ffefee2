/* Profiles and the bash command line of shell processes (platform.md "launcher" › "Execution"). */
#include "launch-shell.h"

#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int cnb__lifecycle_launch_shell_profiles(cnb__strv_list *out, const cnb__lifecycle_launch_layers *layers, const char *type,
			       const char *app_dir, cnb_error **err)
{
	for (size_t i = 0; i < layers->n; i++) {
		int rc = cnb__lifecycle_launch_layer_files(out, layers->v[i].dir, "profile.d", type, err);
		if (rc)
			return rc;
	}
	_cleanup_free_ char *app_profile = cnb__path_join(app_dir, ".profile");
	if (!app_profile)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	struct stat st;
	if (stat(app_profile, &st) < 0)
		return errno == ENOENT ? 0 : cnb__error_errno(err, CNB_EIO, errno, "stat %s", app_profile);
	if (!S_ISDIR(st.st_mode) && cnb__strv_push_take(out, TAKE_PTR(app_profile)) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

/*
 * Appends `s` inside double quotes. lifecycle launch/bash.go pastes paths in as they are; escaping the
 * four characters special inside "..." gives the same script for every ordinary path and keeps a
 * path holding `"` or `$` from being run as code.
 */
static int append_quoted(cnb__buf *b, const char *s)
{
	if (cnb__buf_puts(b, "\"") < 0)
		return -1;
	for (; *s; s++) {
		if (strchr("\"\\$`", *s) && cnb__buf_puts(b, "\\") < 0)
			return -1;
		if (cnb__buf_append(b, s, 1) < 0)
			return -1;
	}
	return cnb__buf_puts(b, "\"");
}

static int build_script(cnb__buf *b, const cnb__strv_list *profiles, const char *working_dir, size_t n_args)
{
	for (size_t i = 0; i < profiles->n; i++)
		if (cnb__buf_puts(b, "source ") < 0 || append_quoted(b, profiles->v[i]) < 0 || cnb__buf_puts(b, "\n") < 0)
			return -1;
	if (cnb__buf_puts(b, "cd ") < 0 || append_quoted(b, working_dir) < 0 || cnb__buf_puts(b, "\n") < 0)
		return -1;
	/* No args: the command is itself a bash script, with the outer positional args as its own. */
	if (n_args == 0)
		return cnb__buf_puts(b, "exec bash -c \"$@\"");
	/* With args: every token is env-expanded on its own (eval echo), then the tokens are exec'd. */
	if (cnb__buf_puts(b, "exec bash -c '\"$(eval echo \\\"$0\\\")\"") < 0)
		return -1;
	for (size_t i = 1; i <= n_args; i++)
		if (cnb__buf_printf(b, " \"$(eval echo \\\"${%zu}\\\")\"", i) < 0)
			return -1;
	return cnb__buf_puts(b, "' \"${@:1}\"");
}

int cnb__lifecycle_launch_shell_argv(cnb__strv_list *out, const cnb__strv_list *profiles, const char *working_dir,
			   const char *caller, const cnb__lifecycle_launch_proc *proc, cnb_error **err)
{
	_cleanup_buf_ cnb__buf script = CNB_BUF_INIT;
	/* A multi-entry command reaches the shell as one string, as lifecycle launch/shell.go joins it. */
	_cleanup_free_ char *command = cnb__strv_join(&proc->command, " ");
	if (!command || build_script(&script, profiles, working_dir, proc->args.n) < 0 ||
	    cnb__strv_push(out, "bash") < 0 || cnb__strv_push(out, "-c") < 0 ||
	    cnb__strv_push_take(out, cnb__buf_steal(&script)) < 0 || cnb__strv_push(out, caller) < 0 ||
	    cnb__strv_push(out, command) < 0 || cnb__strv_extend(out, proc->args.v, proc->args.n) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}
