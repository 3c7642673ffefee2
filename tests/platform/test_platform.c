/* Unit tests of lib/platform helpers: project.toml include/exclude patterns, --buildpack orders. */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/target-data.h"
#include "lib/platform/analyzed-file.h"
#include "lib/platform/app-filter.h"
#include "lib/platform/build-order.h"
#include "lib/platform/job-files.h"
#include "tests/lib/tap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_platform_app_filter__gitignore_patterns(void)
{
	static const struct {
		const char *pattern, *path;
		bool is_dir, want;
	} cases[] = {
		{ "*.log", "a.log", false, true },
		{ "*.log", "deep/dir/b.log", false, true },     /* no "/": any depth */
		{ "*.log", "a.logx", false, false },
		{ "/build", "build", true, true },              /* anchored */
		{ "/build", "src/build", true, false },
		{ "docs/*.md", "docs/a.md", false, true },
		{ "docs/*.md", "docs/sub/a.md", false, false }, /* "*" does not cross "/" */
		{ "docs/**/*.md", "docs/sub/x/a.md", false, true },
		{ "docs/**/*.md", "docs/a.md", false, true },   /* a double star and slash also match zero directories */
		{ "**/node_modules", "a/b/node_modules", true, true },
		{ "tmp/", "tmp", true, true },                  /* trailing "/": directories only */
		{ "tmp/", "tmp", false, false },
		{ "file?.txt", "file1.txt", false, true },
		{ "file?.txt", "file12.txt", false, false },
		{ "[ab].c", "b.c", false, true },
		{ "[ab].c", "c.c", false, false },
		{ "\\*literal", "*literal", false, true },
	};
	for (size_t i = 0; i < CNB_ARRAY_SIZE(cases); i++)
		is_int(cnb__app_pattern_matches(cases[i].pattern, cases[i].path, cases[i].is_dir), cases[i].want,
		       "pattern '%s' vs '%s'%s", cases[i].pattern, cases[i].path, cases[i].is_dir ? " (dir)" : "");
}

static void test_platform_app_filter__include_exclude_negation(void)
{
	char *exclude[] = { "secret/", "*.log", "!keep.log", NULL };
	cnb__app_filter ex = { NULL, exclude };
	ok(!cnb__app_filter_keep(&ex, "secret", true), "excluded directory");
	ok(!cnb__app_filter_keep(&ex, "secret/key", false), "a file below an excluded directory goes with it");
	ok(!cnb__app_filter_keep(&ex, "logs/a.log", false), "excluded by name at depth");
	ok(cnb__app_filter_keep(&ex, "logs/keep.log", false), "a later ! pattern re-includes");
	ok(cnb__app_filter_keep(&ex, "app.sh", false), "everything else stays");
	char *include[] = { "src/", "app.sh", NULL };
	cnb__app_filter in = { include, NULL };
	ok(cnb__app_filter_keep(&in, "src/main.c", false), "included through its directory");
	ok(cnb__app_filter_keep(&in, "app.sh", false), "included by name");
	ok(!cnb__app_filter_keep(&in, "README", false), "not included");
	ok(cnb__app_filter_keep(&in, "other", true), "directories are walked for include lists");
	cnb__app_filter none = { NULL, NULL };
	ok(cnb__app_filter_keep(&none, "anything", false), "no lists: everything");
}

static void test_platform_build_order__versions_from_the_builder(void)
{
	json_t *config = json_pack("{s:{s:{s:s}}}", "config", "Labels", "io.buildpacks.buildpack.layers",
				   "{\"a/one\":{\"1.0\":{}},\"b\":{\"1.0\":{},\"2.0\":{}}}");
	cnb_error *err = NULL;
	char *text = NULL;
	const char *refs[] = { "a/one", "b@2.0", NULL };
	is_int(cnb__build_order_toml(refs, config, "builder", &text, &err), 0, "order from refs: %s", cnb_error_message(err));
	ok(text && strstr(text, "id = \"a/one\"") && strstr(text, "version = \"1.0\"") && strstr(text, "version = \"2.0\""),
	   "versions filled in and kept:\n%s", text ? text : "");
	free(text);
	text = NULL;
	const char *ambiguous[] = { "b", NULL };
	is_int(cnb__build_order_toml(ambiguous, config, "builder", &text, &err), CNB_EINVAL, "several versions: say which");
	ok(strstr(cnb_error_message(err), "2 versions"), "message: %s", cnb_error_message(err));
	cnb__error_clear(&err);
	const char *missing[] = { "c@1", NULL };
	is_int(cnb__build_order_toml(missing, config, "builder", &text, &err), CNB_ENOTFOUND, "unknown buildpack refused");
	cnb__error_clear(&err);
	const char *dir[] = { "./my-bp", NULL };
	is_int(cnb__build_order_toml(dir, config, "builder", &text, &err), CNB_EUNSUPPORTED, "directories refused clearly");
	cnb__error_clear(&err);
	json_decref(config);
}

/* The run image's os, arch, variant and distro labels reach the buildpacks (CNB_TARGET_*) through analyzed.toml. */
static void test_platform_analyzed__run_image_target(void)
{
	char dir[] = "/tmp/cnb-test-analyzed-XXXXXX";
	if (!mkdtemp(dir))
		return;
	_cleanup_free_ char *path = cnb__path_join(dir, "analyzed.toml");
	cnb__oci_image *run = NULL;
	cnb_error *err = NULL;
	if (cnb__oci_image_new(&run, &err) < 0)
		return;
	json_t *config = cnb__oci_image_config_edit(run);
	json_object_set_new(config, "os", json_string("linux"));
	json_object_set_new(config, "architecture", json_string("arm"));
	json_object_set_new(config, "variant", json_string("v7"));
	json_object_set_new(config, "config", json_pack("{s:{s:s, s:s, s:s}}", "Labels", "io.buildpacks.base.distro.name",
							"testos", "io.buildpacks.base.distro.version", "9.1",
							"io.buildpacks.base.id", "example/base"));
	cnb__owner owner = { getuid(), getgid(), false };
	is_int(cnb__write_analyzed(path, NULL, run, "example/run", &owner, &err), 0, "analyzed.toml written: %s",
	       cnb_error_message(err));
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	cnb__read_file(path, 1 << 20, &text, &len, NULL);
	ok(text && strstr(text, "[run-image.target]\nid = \"example/base\"\nos = \"linux\"\narch = \"arm\"\n"
				"arch-variant = \"v7\"\n\n[run-image.target.distro]\nname = \"testos\"\nversion = \"9.1\"\n"),
	   "[run-image.target] as the reference writes it:\n%s", text ? text : "");
	cnb__target t;
	is_int(cnb__target_data_load(&t, path, &err), 0, "the lifecycle reads it back");
	cnb__env env = CNB_ENV_INIT;
	cnb__target_data_env(&env, &t);
	const char *want[] = { "CNB_TARGET_OS=linux", "CNB_TARGET_ARCH=arm", "CNB_TARGET_ARCH_VARIANT=v7",
			       "CNB_TARGET_DISTRO_NAME=testos", "CNB_TARGET_DISTRO_VERSION=9.1" };
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		bool found = false;
		for (char *const *e = cnb__env_envp(&env); e && *e && !found; e++)
			found = !strcmp(*e, want[i]);
		ok(found, "buildpacks get %s", want[i]);
	}
	cnb__env_free(&env);
	cnb__target_free(&t);
	cnb__oci_image_free(run);
	cnb__error_clear(&err);
	cnb__rm_rf(dir, NULL);
}

int main(void)
{
	test_platform_analyzed__run_image_target();
	test_platform_app_filter__gitignore_patterns();
	test_platform_app_filter__include_exclude_negation();
	test_platform_build_order__versions_from_the_builder();
	return tap_done();
}
