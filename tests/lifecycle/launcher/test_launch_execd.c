/* Unit tests of launch-execd: fd 3 output parsing, running programs, order across layers. */
#include "lib/common/cleanup.h"
#include "lib/lifecycle/launcher/launch-execd.h"
#include "tests/lifecycle/launcher/launch-fixture.h"
#include "tests/lib/tap.h"

#include <unistd.h>

static int apply(cnb__lifecycle_env *env, const char *text)
{
	cnb_error *err = NULL;
	int rc = cnb__lifecycle_launch_execd_apply_output(env, text, strlen(text), "exec.d/x", &err);
	if (rc)
		printf("# %s\n", cnb_error_message(err));
	cnb_error_free(err);
	return rc;
}

static void test_launch_execd__parses_output(void)
{
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	cnb__lifecycle_env_set(&env, "A", "old");
	is_int(apply(&env, "A = \"new\"\nB = 'with spaces'\n\"C.D\" = \"\"\"multi\nline\"\"\"\n"), 0, "valid output");
	is_str(cnb__lifecycle_env_get(&env, "A"), "new", "overrides an existing var");
	is_str(cnb__lifecycle_env_get(&env, "B"), "with spaces", "literal string");
	is_str(cnb__lifecycle_env_get(&env, "C.D"), "multi\nline", "quoted key, multi-line string");
	is_int(apply(&env, ""), 0, "empty output changes nothing");
	is_int(apply(&env, "N = 1\n"), CNB_EPARSE, "an integer is refused");
	is_int(apply(&env, "[t]\nK = \"v\"\n"), CNB_EPARSE, "a table is refused");
	is_int(apply(&env, "\"A=B\" = \"v\"\n"), CNB_EPARSE, "a name with = is refused");
	is_int(apply(&env, "V = \"a\\u0000b\"\n"), CNB_EPARSE, "a value with NUL is refused");
	ok(apply(&env, "A = \n") != 0, "bad TOML is an error");
	is_str(cnb__lifecycle_env_get(&env, "A"), "new", "failed outputs left A alone");
}

static void test_launch_execd__runs_programs_in_order(void)
{
	fixture_init();
	/* Each program appends its name to ORDER, read from its env: proves order and env passing. */
	const char *script = "#!/bin/sh\necho \"ORDER = \\\"${ORDER}${0##*/},\\\"\" >&3\necho \"# stdout of ${0##*/}\"\n";
	fixture_write("layers/bp/a/exec.d/2-second", script, 0755);
	fixture_write("layers/bp/a/exec.d/1-first", script, 0755);
	fixture_write("layers/bp/a/exec.d/web/3-typed", script, 0755);
	fixture_write("layers/bp/a/exec.d/worker/never", script, 0755);
	fixture_write("layers/bp/b/exec.d/4-next-layer", script, 0755);
	fixture_write("layers/bp/b/exec.d/5-pwd", "#!/bin/sh\necho \"PWD_SEEN = \\\"$(pwd)\\\"\" >&3\n", 0755);
	fixture_write("layers/bp/c/exec.d/fails", "#!/bin/sh\nexit 3\n", 0755);

	cnb__lifecycle_launch_layers layers = { NULL, 0 };
	cnb__lifecycle_launch_layer v[] = { { (char *)fixture_path("layers/bp/a"), 0 }, { (char *)fixture_path("layers/bp/b"), 0 } };
	layers.v = v;
	layers.n = 2;
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	cnb__lifecycle_env_set(&env, "PATH", "/usr/bin:/bin");
	cnb_error *err = NULL;
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	is_int(cnb__lifecycle_launch_execd_run_layers(&env, &layers, "web", &err), 0, "exec.d ran");
	is_str(cnb__lifecycle_env_get(&env, "ORDER"), "1-first,2-second,3-typed,4-next-layer,", "exec.d/ then exec.d/<type>/, layer by layer");
	is_str(cnb__lifecycle_env_get(&env, "PWD_SEEN"), cwd, "programs run in the launcher's directory");

	cnb__lifecycle_launch_layer failing[] = { { (char *)fixture_path("layers/bp/c"), 0 } };
	layers.v = failing;
	layers.n = 1;
	is_int(cnb__lifecycle_launch_execd_run_layers(&env, &layers, "", &err), CNB_EINVAL, "a failing program is an error");
	ok(err && strstr(cnb_error_message(err), "exited with status 3"), "the error names the status: %s",
	   cnb_error_message(err));
	cnb__error_clear(&err);

	fixture_write("layers/bp/d/exec.d/not-executable", "#!/bin/sh\n", 0644);
	cnb__lifecycle_launch_layer noexec[] = { { (char *)fixture_path("layers/bp/d"), 0 } };
	layers.v = noexec;
	ok(cnb__lifecycle_launch_execd_run_layers(&env, &layers, "", &err) != 0, "a program without exec permission is an error");
	ok(err && strstr(cnb_error_message(err), "not-executable"), "the error names it: %s", cnb_error_message(err));
	cnb__error_clear(&err);
	fixture_cleanup();
}

int main(void)
{
	test_launch_execd__parses_output();
	test_launch_execd__runs_programs_in_order();
	return tap_done();
}
