/* Unit tests of launch-metadata and launch-process: metadata.toml fields, process choice and arg rules per API. */
#include "lib/common/cleanup.h"
#include "lib/lifecycle/launcher/launch-process.h"
#include "tests/lifecycle/launcher/launch-fixture.h"
#include "tests/lib/tap.h"

static const char *const metadata_text =
	"buildpack-default-process-type = \"web\"\n"
	"[[buildpacks]]\n  id = \"new/bp\"\n  version = \"1.0\"\n  api = \"0.10\"\n"
	"[[buildpacks]]\n  id = \"old/bp\"\n  version = \"0.1\"\n  api = \"0.8\"\n"
	"[[labels]]\n  key = \"k\"\n  value = \"v\"\n"
	"[[processes]]\n  type = \"web\"\n  command = [\"node\", \"server.js\"]\n  args = [\"--port\", \"8080\"]\n"
	"  direct = true\n  buildpack-id = \"new/bp\"\n  working-dir = \"sub\"\n"
	"[[processes]]\n  type = \"single\"\n  command = [\"app\"]\n  args = [\"--default\"]\n  buildpack-id = \"new/bp\"\n"
	"[[processes]]\n  type = \"legacy\"\n  command = \"run.sh\"\n  args = [\"a\"]\n  direct = false\n"
	"  buildpack-id = \"old/bp\"\n"
	"[[processes]]\n  type = \"test-only\"\n  command = [\"t\"]\n  buildpack-id = \"new/bp\"\n  exec-env = [\"test\"]\n"
	"[[processes]]\n  type = \"everywhere\"\n  command = [\"e\"]\n  buildpack-id = \"new/bp\"\n  exec-env = [\"*\"]\n"
	"[[processes]]\n  type = \"orphan\"\n  command = [\"o\"]\n  buildpack-id = \"gone/bp\"\n";

static cnb__lifecycle_api api(unsigned minor)
{
	return (cnb__lifecycle_api){ 0, minor };
}

/* "a b c": the strv joined, for compact comparisons. */
static const char *joined(const cnb__strv_list *s)
{
	static char buf[4][256];
	static int next;
	_cleanup_free_ char *j = cnb__strv_join(s, " ");
	char *out = buf[next++ % 4];
	snprintf(out, sizeof(buf[0]), "%s", j ? j : "(oom)");
	return out;
}

static void test_launch_metadata__reads_every_field(void)
{
	_cleanup_launch_metadata_ cnb__lifecycle_launch_metadata *md = fixture_metadata(metadata_text, NULL);
	if (!ok(md, "metadata parses"))
		return;
	is_str(md->default_process_type, "web", "buildpack-default-process-type");
	is_int(md->n_buildpacks, 2, "two buildpacks");
	is_str(md->buildpacks[1].id, "old/bp", "buildpack id");
	is_str(md->buildpacks[1].version, "0.1", "buildpack version");
	ok(md->buildpacks[1].api.minor == 8, "buildpack api 0.8");
	is_int(md->n_labels, 1, "labels");
	is_str(md->labels[0].value, "v", "label value");
	const cnb__lifecycle_launch_process *web = cnb__lifecycle_launch_metadata_find_process(md, "web");
	if (!ok(web, "web process found"))
		return;
	is_str(joined(&web->command), "node server.js", "array command");
	is_str(joined(&web->args), "--port 8080", "args");
	ok(web->direct, "direct");
	is_str(web->buildpack_id, "new/bp", "buildpack-id");
	is_str(web->working_dir, "sub", "working-dir");
	const cnb__lifecycle_launch_process *legacy = cnb__lifecycle_launch_metadata_find_process(md, "legacy");
	is_str(joined(&legacy->command), "run.sh", "string command gives one entry");
	ok(!legacy->direct, "direct = false");
	is_str(joined(&cnb__lifecycle_launch_metadata_find_process(md, "test-only")->exec_env), "test", "exec-env");
	ok(!cnb__lifecycle_launch_metadata_find_process(md, "worker"), "unknown type not found");
}

static void test_launch_metadata__refuses_bad_input(void)
{
	int rc = 0;
	cnb__lifecycle_launch_metadata *md = fixture_metadata("[[processes]]\n type = \"web\"\n args = \"not-an-array\"\n", &rc);
	ok(!md && rc == CNB_EPARSE, "args as a string is a parse error");
	md = fixture_metadata("[[processes]]\n command = [\"x\"]\n", &rc);
	ok(!md && rc == CNB_EPARSE, "a process without type is a parse error");
	md = fixture_metadata("processes = 3\n", &rc);
	ok(!md && rc == CNB_EPARSE, "processes not an array of tables");
	md = fixture_metadata("[[buildpacks]]\n id = \"x\"\n version = \"1\"\n api = \"0.6\"\n", &rc);
	ok(!md && rc == CNB_EUNSUPPORTED, "Buildpack API 0.6 is unsupported (exit 12)");
	md = fixture_metadata("[[buildpacks]]\n id = \"x\"\n api = \"0.13\"\n", &rc);
	ok(!md && rc == CNB_EUNSUPPORTED, "Buildpack API 0.13 is unsupported");
	md = fixture_metadata("future-key = 1\n", &rc);
	ok(md && md->n_processes == 0, "unknown keys are ignored");
	cnb__lifecycle_launch_metadata_free(md);
}

/* Selects with argv0 and user args; returns the rc and leaves the process in *p. */
static int select_proc(cnb__lifecycle_launch_proc *p, const cnb__lifecycle_launch_metadata *md, unsigned platform_minor,
		       const char *exec_env, const char *argv0, char *const *user, size_t n)
{
	cnb_error *err = NULL;
	int rc = cnb__lifecycle_launch_process_select(p, md, api(platform_minor), exec_env, argv0, (char **)user, n, &err);
	if (rc)
		printf("# %s\n", cnb_error_message(err));
	cnb_error_free(err);
	return rc;
}

static void test_launch_process__default_by_argv0(void)
{
	_cleanup_launch_metadata_ cnb__lifecycle_launch_metadata *md = fixture_metadata(metadata_text, NULL);
	_cleanup_launch_proc_ cnb__lifecycle_launch_proc p;
	is_str(cnb__lifecycle_launch_process_type_of("/cnb/process/web"), "web", "type is argv[0]'s basename");
	is_str(cnb__lifecycle_launch_process_type_of("web"), "web", "bare argv[0]");

	is_int(select_proc(&p, md, 15, "production", "/cnb/process/web", NULL, 0), 0, "web selected");
	is_str(p.type, "web", "type");
	is_str(joined(&p.command), "node", "command[0] only");
	is_str(joined(&p.args), "server.js --port 8080", "command[1:] then the default args");
	ok(p.direct, "direct");
	is_str(p.working_dir, "sub", "working dir kept");
	cnb__lifecycle_launch_proc_free(&p);

	char *const user[] = { "--port", "9090" };
	is_int(select_proc(&p, md, 15, "production", "/cnb/process/web", user, 2), 0, "web with user args");
	is_str(joined(&p.args), "server.js --port 9090", "user args replace the default args, command[1:] stays");
	cnb__lifecycle_launch_proc_free(&p);
}

static void test_launch_process__user_args_per_api(void)
{
	_cleanup_launch_metadata_ cnb__lifecycle_launch_metadata *md = fixture_metadata(metadata_text, NULL);
	_cleanup_launch_proc_ cnb__lifecycle_launch_proc p;
	char *const user[] = { "b" };

	is_int(select_proc(&p, md, 15, "production", "single", user, 1), 0, "single-entry command");
	is_str(joined(&p.args), "b", "Buildpack API >= 0.9: user args replace args");
	cnb__lifecycle_launch_proc_free(&p);
	is_int(select_proc(&p, md, 15, "production", "single", NULL, 0), 0, "no user args");
	is_str(joined(&p.args), "--default", "no user args: default args");
	ok(!p.direct, "metadata.toml decides: no `direct` is false, for Buildpack API >= 0.9 too (the reference)");
	cnb__lifecycle_launch_proc_free(&p);

	is_int(select_proc(&p, md, 15, "production", "/cnb/process/legacy", user, 1), 0, "legacy process");
	is_str(joined(&p.args), "a b", "Buildpack API < 0.9: user args are appended");
	ok(!p.direct, "Buildpack API < 0.9 direct = false stays a shell process");
	cnb__lifecycle_launch_proc_free(&p);

	is_int(select_proc(&p, md, 9, "production", "web", user, 1), 0, "Platform API 0.9");
	is_str(joined(&p.command), "node server.js", "Platform API < 0.10: command untouched");
	is_str(joined(&p.args), "--port 8080 b", "Platform API < 0.10: user args appended");
	cnb__lifecycle_launch_proc_free(&p);

	ok(select_proc(&p, md, 15, "production", "orphan", user, 1) == CNB_ENOTFOUND,
	   "user args for a process of an unknown buildpack: error");
	is_int(select_proc(&p, md, 15, "production", "orphan", NULL, 0), 0, "without user args it runs");
	cnb__lifecycle_launch_proc_free(&p);
}

static void test_launch_process__no_default_process(void)
{
	_cleanup_launch_metadata_ cnb__lifecycle_launch_metadata *md = fixture_metadata(metadata_text, NULL);
	_cleanup_launch_proc_ cnb__lifecycle_launch_proc p;
	is_int(select_proc(&p, md, 15, "production", "/cnb/lifecycle/launcher", NULL, 0), CNB_EINVAL,
	       "no default process and no command: error (exit 82)");

	char *const direct[] = { "--", "echo", "hi", "there" };
	is_int(select_proc(&p, md, 15, "production", "/cnb/lifecycle/launcher", direct, 4), 0, "-- cmd args");
	is_str(joined(&p.command), "echo", "command after --");
	is_str(joined(&p.args), "hi there", "its args");
	ok(p.direct && !*p.type && !p.working_dir, "direct, no type, working dir = app");
	cnb__lifecycle_launch_proc_free(&p);

	char *const shell[] = { "echo", "$HOME" };
	is_int(select_proc(&p, md, 15, "production", "launcher", shell, 2), 0, "cmd args");
	ok(!p.direct, "without -- it is a shell process");
	is_str(joined(&p.command), "echo", "command");
	cnb__lifecycle_launch_proc_free(&p);

	char *const lone[] = { "--" };
	is_int(select_proc(&p, md, 15, "production", "launcher", lone, 1), 0, "a lone --");
	ok(!p.direct && !strcmp(p.command.v[0], "--"), "a lone -- is a shell command, as in the lifecycle");
	cnb__lifecycle_launch_proc_free(&p);
}

static void test_launch_process__exec_env_filter(void)
{
	static const struct {
		unsigned platform_minor;
		const char *exec_env, *argv0;
		int want;
		const char *why;
	} cases[] = {
		{ 15, "production", "/cnb/process/test-only", CNB_ENOTFOUND,
		  "Platform 0.15: exec-env [test] is not eligible in production" },
		{ 15, "test", "/cnb/process/test-only", 0, "eligible in test" },
		{ 14, "production", "/cnb/process/test-only", 0, "Platform 0.14: no exec-env filtering" },
		{ 15, "anything", "/cnb/process/everywhere", 0, "exec-env [*] runs anywhere" },
		{ 15, "production", "/cnb/process/single", 0, "no exec-env runs anywhere" },
	};
	_cleanup_launch_metadata_ cnb__lifecycle_launch_metadata *md = fixture_metadata(metadata_text, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_launch_proc_ cnb__lifecycle_launch_proc p;
		is_int(select_proc(&p, md, cases[i].platform_minor, cases[i].exec_env, cases[i].argv0, NULL, 0),
		       cases[i].want, "%s", cases[i].why);
	}
}

int main(void)
{
	test_launch_metadata__reads_every_field();
	test_launch_metadata__refuses_bad_input();
	test_launch_process__default_by_argv0();
	test_launch_process__user_args_per_api();
	test_launch_process__no_default_process();
	test_launch_process__exec_env_filter();
	return tap_done();
}
