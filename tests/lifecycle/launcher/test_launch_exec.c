/* Unit tests of launch-exec and launch-shell: PATH lookup, working dir, the bash command line. */
#include "lib/common/cleanup.h"
#include "lib/lifecycle/launcher/launch-exec.h"
#include "lib/lifecycle/launcher/launch-shell.h"
#include "tests/lifecycle/launcher/launch-fixture.h"
#include "tests/lib/tap.h"

static void test_launch_exec__lookpath(void)
{
	fixture_init();
	fixture_write("one/tool", "#!/bin/sh\n", 0755);
	fixture_write("two/tool", "#!/bin/sh\n", 0755);
	fixture_write("two/data", "not executable", 0644);
	fixture_mkdir("two/dir-tool");
	char path[1024];
	snprintf(path, sizeof(path), "%s:%s", fixture_path("two"), fixture_path("one"));
	cnb_error *err = NULL;
	_cleanup_free_ char *found = NULL;
	is_int(cnb__lifecycle_launch_lookpath(&found, "tool", path, &err), 0, "found in PATH");
	is_str(found, fixture_path("two/tool"), "first PATH entry wins");
	free(TAKE_PTR(found));
	is_int(cnb__lifecycle_launch_lookpath(&found, "data", path, &err), CNB_ENOTFOUND, "a file without exec bit is skipped");
	ok(err && strstr(cnb_error_message(err), "\"data\" not found in PATH"), "error names the command");
	cnb__error_clear(&err);
	is_int(cnb__lifecycle_launch_lookpath(&found, "dir-tool", path, &err), CNB_ENOTFOUND, "a directory is skipped");
	cnb__error_clear(&err);
	is_int(cnb__lifecycle_launch_lookpath(&found, "./rel/x", path, &err), 0, "a name with / is used as is");
	is_str(found, "./rel/x", "unchanged");
	fixture_cleanup();
}

static void test_launch_exec__working_dir(void)
{
	cnb__lifecycle_launch_proc p = { 0 };
	_cleanup_free_ char *a = cnb__lifecycle_launch_working_dir(&p, "/workspace");
	is_str(a, "/workspace", "no working-dir: app dir");
	p.working_dir = "sub/dir";
	_cleanup_free_ char *b = cnb__lifecycle_launch_working_dir(&p, "/workspace");
	is_str(b, "/workspace/sub/dir", "relative: against app dir");
	p.working_dir = "/srv";
	_cleanup_free_ char *c = cnb__lifecycle_launch_working_dir(&p, "/workspace");
	is_str(c, "/srv", "absolute: as is");
}

static void test_launch_shell__argv(void)
{
	_cleanup_launch_proc_ cnb__lifecycle_launch_proc p = { 0 };
	cnb__strv_push(&p.command, "echo $GREETING");
	_cleanup_strv_list_ cnb__strv_list profiles = CNB_STRV_LIST_INIT;
	cnb__strv_push(&profiles, "/layers/bp/l/profile.d/a.sh");
	cnb__strv_push(&profiles, "/weird/\"$x\".sh");
	_cleanup_strv_list_ cnb__strv_list argv = CNB_STRV_LIST_INIT;
	cnb_error *err = NULL;
	is_int(cnb__lifecycle_launch_shell_argv(&argv, &profiles, "/workspace", "/cnb/process/web", &p, &err), 0, "script argv");
	is_int(argv.n, 5, "bash -c <script> <caller> <command>");
	if (argv.n == 5) {
		is_str(argv.v[0], "bash", "argv[0]");
		is_str(argv.v[1], "-c", "-c");
		is_str(argv.v[2],
		       "source \"/layers/bp/l/profile.d/a.sh\"\nsource \"/weird/\\\"\\$x\\\".sh\"\ncd \"/workspace\"\n"
		       "exec bash -c \"$@\"",
		       "profiles sourced, cd, command run as a script");
		is_str(argv.v[3], "/cnb/process/web", "caller is $0 of the profiles");
		is_str(argv.v[4], "echo $GREETING", "command");
	}
	cnb__strv_list_free(&argv);

	cnb__strv_push(&p.args, "$HOME");
	cnb__strv_push(&p.args, "two words");
	cnb__strv_list_free(&profiles);
	is_int(cnb__lifecycle_launch_shell_argv(&argv, &profiles, "/w", "launcher", &p, &err), 0, "token argv");
	if (argv.n == 7) {
		is_str(argv.v[2],
		       "cd \"/w\"\nexec bash -c '\"$(eval echo \\\"$0\\\")\" \"$(eval echo \\\"${1}\\\")\" "
		       "\"$(eval echo \\\"${2}\\\")\"' \"${@:1}\"",
		       "each token env-expanded then exec'd");
		is_str(argv.v[6], "two words", "args follow the command");
	} else {
		ok(0, "argv has 7 entries, not %zu", argv.n);
	}
}

int main(void)
{
	test_launch_exec__lookpath();
	test_launch_exec__working_dir();
	test_launch_shell__argv();
	return tap_done();
}
