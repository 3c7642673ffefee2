/* Unit tests of lib/platform helpers: project.toml include/exclude patterns, --buildpack orders. */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/target-data.h"
#include "lib/platform/analyzed-file.h"
#include "lib/platform/app-filter.h"
#include "lib/platform/build-order.h"
#include "lib/platform/build-volumes.h"
#include "lib/platform/job-files.h"
#include "tests/lib/tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
		is_int(cnb__platform_app_pattern_matches(cases[i].pattern, cases[i].path, cases[i].is_dir), cases[i].want,
		       "pattern '%s' vs '%s'%s", cases[i].pattern, cases[i].path, cases[i].is_dir ? " (dir)" : "");
}

static void test_platform_app_filter__include_exclude_negation(void)
{
	char *exclude[] = { "secret/", "*.log", "!keep.log", NULL };
	cnb__platform_app_filter ex = { NULL, exclude };
	ok(!cnb__platform_app_filter_keep(&ex, "secret", true), "excluded directory");
	ok(!cnb__platform_app_filter_keep(&ex, "secret/key", false), "a file below an excluded directory goes with it");
	ok(!cnb__platform_app_filter_keep(&ex, "logs/a.log", false), "excluded by name at depth");
	ok(cnb__platform_app_filter_keep(&ex, "logs/keep.log", false), "a later ! pattern re-includes");
	ok(cnb__platform_app_filter_keep(&ex, "app.sh", false), "everything else stays");
	char *include[] = { "src/", "app.sh", NULL };
	cnb__platform_app_filter in = { include, NULL };
	ok(cnb__platform_app_filter_keep(&in, "src/main.c", false), "included through its directory");
	ok(cnb__platform_app_filter_keep(&in, "app.sh", false), "included by name");
	ok(!cnb__platform_app_filter_keep(&in, "README", false), "not included");
	ok(cnb__platform_app_filter_keep(&in, "other", true), "directories are walked for include lists");
	cnb__platform_app_filter none = { NULL, NULL };
	ok(cnb__platform_app_filter_keep(&none, "anything", false), "no lists: everything");
}

/* cnb__platform_build_order_resolve() for refs that need no fetching (the e2e tests fetch). */
static int order_of(const json_t *config, const char *const *main, const char *const *pre, const char *const *post,
		    char **text, cnb_error **err)
{
	cnb__builder_bp_set extra;
	cnb__platform_build_order_in in = { main, pre, post, config, "builder", NULL };
	int r = cnb__builder_bp_set_init(&extra, err);
	if (r == 0)
		r = cnb__platform_build_order_resolve(NULL, &in, &extra, text, err);
	cnb__builder_bp_set_clear(&extra);
	return r;
}

static void test_platform_build_order__versions_from_the_builder(void)
{
	json_t *config = json_pack("{s:{s:{s:s}}}", "config", "Labels", "io.buildpacks.buildpack.layers",
				   "{\"a/one\":{\"1.0\":{}},\"b\":{\"1.0\":{},\"2.0\":{}}}");
	cnb_error *err = NULL;
	char *text = NULL;
	const char *refs[] = { "a/one", "urn:cnb:builder:b@2.0", NULL };
	is_int(order_of(config, refs, NULL, NULL, &text, &err), 0, "order from refs: %s", cnb_error_message(err));
	ok(text && strstr(text, "id = \"a/one\"") && strstr(text, "version = \"1.0\"") && strstr(text, "version = \"2.0\""),
	   "versions filled in and kept:\n%s", text ? text : "");
	free(text);
	text = NULL;
	ok(order_of(config, NULL, NULL, NULL, &text, &err) == 0 && !text, "nothing given: the builder's order stays");
	static const struct {
		const char *ref, *why, *says;
		int code;
	} refused[] = {
		{ "b", "several versions: say which", "2 versions", CNB_EINVAL },
		{ "c@1", "unknown buildpack refused", "no c@1", CNB_ENOTFOUND },
		{ "./no-such-bp", "a missing directory named clearly", "no-such-bp", CNB_EINVAL },
		{ "urn:cnb:registry:paketo-buildpacks/go", "registry urn refused", "registry", CNB_EUNSUPPORTED },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *refs[] = { refused[i].ref, NULL };
		is_int(order_of(config, refs, NULL, NULL, &text, &err), refused[i].code, "%s", refused[i].why);
		ok(strstr(cnb_error_message(err), refused[i].says), "%s: message: %s", refused[i].ref,
		   cnb_error_message(err));
		cnb__error_clear(&err);
	}
	json_decref(config);
}

static void test_platform_build_order__from_builder_pre_post(void)
{
	json_t *config = json_pack("{s:{s:{s:s, s:s}}}", "config", "Labels", "io.buildpacks.buildpack.layers",
				   "{\"a\":{\"1\":{}},\"b\":{\"1\":{}},\"p\":{\"1\":{}},\"q\":{\"1\":{}}}",
				   "io.buildpacks.buildpack.order",
				   "[{\"group\":[{\"id\":\"a\",\"version\":\"1\"}]},{\"group\":[{\"id\":\"b\",\"optional\":true}]}]");
	cnb_error *err = NULL;
	char *text = NULL;
	const char *pre[] = { "p", NULL }, *post[] = { "q", NULL };
	is_int(order_of(config, NULL, pre, post, &text, &err), 0, "pre/post alone: %s", cnb_error_message(err));
	const char *p1 = text ? strstr(text, "\"p\"") : NULL, *a = p1 ? strstr(p1, "\"a\"") : NULL;
	const char *q1 = a ? strstr(a, "\"q\"") : NULL, *p2 = q1 ? strstr(q1, "\"p\"") : NULL;
	const char *b = p2 ? strstr(p2, "\"b\"") : NULL, *opt = b ? strstr(b, "optional = true") : NULL;
	ok(opt && strstr(opt, "\"q\""), "each builder group wrapped in pre and post, optional kept:\n%s", text ? text : "");
	free(text);
	text = NULL;
	const char *main[] = { "q", "from=builder", NULL };
	is_int(order_of(config, main, NULL, NULL, &text, &err), 0, "from=builder spliced: %s", cnb_error_message(err));
	ok(text && strstr(text, "\"q\"") < strstr(text, "\"a\""), "before the builder's group:\n%s", text ? text : "");
	free(text);
	const char *twice[] = { "from=builder", "from=builder", NULL };
	is_int(order_of(config, twice, NULL, NULL, &text, &err), CNB_EINVAL, "from=builder at most once");
	cnb__error_clear(&err);
	json_decref(config);
}

static void test_platform_volumes__forms_and_refusals(void)
{
	char dir[] = "/tmp/cnb-test-volumes-XXXXXX";
	if (!mkdtemp(dir))
		return;
	char binding[64], spec[160];
	snprintf(binding, sizeof(binding), "%s/b", dir);
	mkdir(binding, 0755);
	cnb_error *err = NULL;
	cnb__platform_volume *v = NULL;
	size_t n = 0;
	snprintf(spec, sizeof(spec), "%s:/data//x/", dir);
	const char *one[] = { spec, NULL };
	is_int(cnb__platform_volumes_parse(one, NULL, NULL, &v, &n, &err), 0, "HOST:TARGET: %s", cnb_error_message(err));
	ok(n == 1 && v[0].read_only && !strcmp(v[0].target, "/data/x") && !v[0].binding, "read-only by default, target normalised");
	cnb__platform_volumes_free(v, n);
	snprintf(spec, sizeof(spec), "%s:/data:rw", dir);
	is_int(cnb__platform_volumes_parse(one, NULL, NULL, &v, &n, &err), 0, ":rw");
	ok(n == 1 && !v[0].read_only, "rw taken");
	cnb__platform_volumes_free(v, n);
	static const char *const bad_targets[] = { "/layers", "/workspace/x", "/cnb/buildpacks", "/", "/platform",
						   "relative", "/a/../layers" };
	for (size_t i = 0; i < sizeof(bad_targets) / sizeof(*bad_targets); i++) {
		snprintf(spec, sizeof(spec), "%s:%s", dir, bad_targets[i]);
		is_int(cnb__platform_volumes_parse(one, NULL, NULL, &v, &n, &err), CNB_EINVAL, "target %s refused", bad_targets[i]);
		cnb__error_clear(&err);
	}
	snprintf(spec, sizeof(spec), "%s:/platform/bindings/ca", binding);
	is_int(cnb__platform_volumes_parse(one, NULL, NULL, &v, &n, &err), CNB_EINVAL, "a binding without type refused");
	ok(err && strstr(cnb_error_message(err), "type"), "message: %s", cnb_error_message(err));
	cnb__error_clear(&err);
	snprintf(spec, sizeof(spec), "%s:/bindings/ca", binding);
	const char *env[] = { "SERVICE_BINDING_ROOT=/bindings", NULL };
	is_int(cnb__platform_volumes_parse(one, env, NULL, &v, &n, &err), CNB_EINVAL, "SERVICE_BINDING_ROOT honoured");
	cnb__error_clear(&err);
	char type[96];
	snprintf(type, sizeof(type), "%s/type", binding);
	FILE *f = fopen(type, "w");
	if (f)
		fclose(f);
	is_int(cnb__platform_volumes_parse(one, env, NULL, &v, &n, &err), 0, "a binding with type: %s", cnb_error_message(err));
	ok(n == 1 && v[0].binding, "recognised as a binding");
	cnb__platform_volumes_free(v, n);
	snprintf(spec, sizeof(spec), "%s/missing:/data", dir);
	is_int(cnb__platform_volumes_parse(one, NULL, NULL, &v, &n, &err), CNB_EINVAL, "a missing host directory refused");
	cnb__error_clear(&err);
	unlink(type);
	rmdir(binding);
	rmdir(dir);
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
	cnb__platform_owner owner = { getuid(), getgid(), false };
	is_int(cnb__platform_write_analyzed(path, NULL, run, "example/run", &owner, &err), 0, "analyzed.toml written: %s",
	       cnb_error_message(err));
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	cnb__read_file(path, 1 << 20, &text, &len, NULL);
	ok(text && strstr(text, "[run-image.target]\nid = \"example/base\"\nos = \"linux\"\narch = \"arm\"\n"
				"arch-variant = \"v7\"\n\n[run-image.target.distro]\nname = \"testos\"\nversion = \"9.1\"\n"),
	   "[run-image.target] as the reference writes it:\n%s", text ? text : "");
	cnb__lifecycle_target t;
	is_int(cnb__lifecycle_target_data_load(&t, path, &err), 0, "the lifecycle reads it back");
	cnb__lifecycle_env env = CNB_ENV_INIT;
	cnb__lifecycle_target_data_env(&env, &t);
	const char *want[] = { "CNB_TARGET_OS=linux", "CNB_TARGET_ARCH=arm", "CNB_TARGET_ARCH_VARIANT=v7",
			       "CNB_TARGET_DISTRO_NAME=testos", "CNB_TARGET_DISTRO_VERSION=9.1" };
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		bool found = false;
		for (char *const *e = cnb__lifecycle_env_envp(&env); e && *e && !found; e++)
			found = !strcmp(*e, want[i]);
		ok(found, "buildpacks get %s", want[i]);
	}
	cnb__lifecycle_env_free(&env);
	cnb__lifecycle_target_free(&t);
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
	test_platform_build_order__from_builder_pre_post();
	test_platform_volumes__forms_and_refusals();
	return tap_done();
}
