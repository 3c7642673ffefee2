/* Unit tests of descriptors: API versions, buildpack.toml, targets, project.toml. */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "lib/lifecycle/spec/project-descriptor.h"
#include "tests/lib/tap.h"

#include <sys/stat.h>

static char root[] = "/tmp/cnb-desc-XXXXXX";

/* Parses buildpack.toml text as if found in <root>/<dir>; returns the code, *out on success. */
static int parse_bp(const char *dir, const char *text, cnb__lifecycle_bp_descriptor **out, cnb_error **err)
{
	_cleanup_free_ char *path = cnb__path_join(root, dir);
	cnb__mkdir_p(path, 0755, NULL);
	cnb_toml *doc = NULL;
	int rc = cnb__toml_parse(&doc, text, strlen(text), "buildpack.toml", err);
	if (rc == 0)
		rc = cnb__lifecycle_bp_descriptor_parse(out, doc, path, "buildpack.toml", err);
	cnb__toml_free(doc);
	return rc;
}

static void test_lifecycle_api_version__parse_and_ranges(void)
{
	cnb__lifecycle_api a;
	ok(cnb__lifecycle_api_parse("0.10", &a) == 0 && a.major == 0 && a.minor == 10, "0.10 parses");
	ok(cnb__lifecycle_api_parse("1", &a) == 0 && a.major == 1 && a.minor == 0, "<major> means <major>.0");
	ok(cnb__lifecycle_api_parse("0.x", &a) < 0 && cnb__lifecycle_api_parse("", &a) < 0 && cnb__lifecycle_api_parse("0.1.2", &a) < 0,
	   "junk is refused");
	ok(cnb__lifecycle_api_parse("0.7", &a) == 0 && cnb__lifecycle_api_buildpack_supported(a), "buildpack 0.7 supported");
	ok(cnb__lifecycle_api_parse("0.6", &a) == 0 && !cnb__lifecycle_api_buildpack_supported(a), "buildpack 0.6 not supported");
	ok(cnb__lifecycle_api_parse("0.13", &a) == 0 && !cnb__lifecycle_api_buildpack_supported(a), "buildpack 0.13 not supported");
	cnb_error *err = NULL;
	is_int(cnb__lifecycle_api_check_platform("0.11", &a, &err), CNB_EUNSUPPORTED, "platform 0.11 refused");
	ok(strstr(cnb_error_message(err), "0.12 to 0.15") != NULL, "the message gives the range");
	cnb__error_clear(&err);
	ok(cnb__lifecycle_api_check_platform(NULL, &a, &err) == 0 && a.minor == 15, "unset platform API behaves as 0.15");
}

static void test_lifecycle_buildpack_descriptor__fields(void)
{
	cnb__lifecycle_bp_descriptor *d = NULL;
	cnb_error *err = NULL;
	int rc = parse_bp("full", "api = \"0.12\"\n[buildpack]\nid = \"acme/go\"\nversion = \"1.2\"\nhomepage = \"h\"\n"
				  "clear-env = true\nexec-env = [\"production\"]\n"
				  "sbom-formats = [\"application/spdx+json\"]\n"
				  "[[targets]]\nos = \"linux\"\narch = \"arm64\"\nvariant = \"v8\"\n"
				  "[[targets.distros]]\nname = \"ubuntu\"\nversion = \"22.04\"\n",
			  &d, &err);
	is_int(rc, 0, "a full buildpack.toml parses");
	if (rc) {
		printf("# %s\n", cnb_error_message(err));
		cnb__error_clear(&err);
		return;
	}
	is_str(d->id, "acme/go", "id");
	ok(d->clear_env, "clear-env");
	ok(cnb__strv_contains(d->sbom_formats, "application/spdx+json"), "sbom-formats");
	is_int(d->n_targets, 1, "one target");
	is_str(d->targets[0].variant, "v8", "`variant` is read (pack writes it)");
	is_str(d->targets[0].distros[0].version, "22.04", "distros");
	ok(cnb__lifecycle_bp_exec_env_allows(d, "production") && !cnb__lifecycle_bp_exec_env_allows(d, "test"), "exec-env filters");
	cnb__lifecycle_target run = { "linux", "arm64", "v8", (cnb__lifecycle_distro[]){ { "ubuntu", "22.04" } }, 1 };
	ok(cnb__lifecycle_bp_target_matches(d, &run), "matching target");
	run.arch = "amd64";
	ok(!cnb__lifecycle_bp_target_matches(d, &run), "other arch does not match");
	run.arch = "";
	ok(cnb__lifecycle_bp_target_matches(d, &run), "an empty field is a wildcard");
	run.n_distros = 0;
	ok(!cnb__lifecycle_bp_target_matches(d, &run), "declared distros need a base image distro");
	cnb__lifecycle_bp_descriptor_free(d);
}

static void test_lifecycle_buildpack_descriptor__exec_env_table_form(void)
{
	cnb__lifecycle_bp_descriptor *d = NULL;
	int rc = parse_bp("ee", "api = \"0.12\"\n[buildpack]\nid = \"a\"\nversion = \"1\"\n"
				"[[buildpack.exec-env]]\nname = \"test\"\n",
			  &d, NULL);
	ok(rc == 0 && cnb__lifecycle_bp_exec_env_allows(d, "test") && !cnb__lifecycle_bp_exec_env_allows(d, "production"),
	   "the spec's [[buildpack.exec-env]] name form is accepted too");
	cnb__lifecycle_bp_descriptor_free(d);
}

static void test_lifecycle_buildpack_descriptor__arch_variant(void)
{
	cnb__lifecycle_bp_descriptor *d = NULL;
	int rc = parse_bp("av", "api = \"0.10\"\n[buildpack]\nid = \"a\"\nversion = \"1\"\n"
				"[[targets]]\nos = \"linux\"\narch-variant = \"v7\"\n",
			  &d, NULL);
	ok(rc == 0 && !strcmp(d->targets[0].variant, "v7"), "`arch-variant` is read (the lifecycle's key)");
	cnb__lifecycle_bp_descriptor_free(d);
}

/* An executable <root>/<rel> (its directory made). */
static void put_script(const char *rel)
{
	_cleanup_free_ char *path = cnb__path_join(root, rel);
	_cleanup_free_ char *dir = strndup(path, strrchr(path, '/') - path);
	cnb__mkdir_p(dir, 0755, NULL);
	cnb__write_file_atomic(path, "#!/bin/sh\n", 10, 0755, NULL);
}

static void test_lifecycle_buildpack_descriptor__targets_inferred(void)
{
	cnb__lifecycle_bp_descriptor *d = NULL;
	cnb__lifecycle_target ubuntu18 = { "linux", "amd64", "", (cnb__lifecycle_distro[]){ { "ubuntu", "18.04" } }, 1 };
	cnb__lifecycle_target alpine = { "linux", "amd64", "", (cnb__lifecycle_distro[]){ { "alpine", "3.18" } }, 1 };
	cnb__lifecycle_target windows = { "windows", "amd64", "", NULL, 0 };
	int rc = parse_bp("bionic", "api = \"0.10\"\n[buildpack]\nid = \"a\"\nversion = \"1\"\n"
				    "[[stacks]]\nid = \"io.buildpacks.stacks.bionic\"\n[[stacks]]\nid = \"other\"\n",
			  &d, NULL);
	ok(rc == 0 && cnb__lifecycle_bp_target_matches(d, &ubuntu18) && !cnb__lifecycle_bp_target_matches(d, &alpine),
	   "the bionic stack means linux/amd64 ubuntu 18.04");
	cnb__lifecycle_bp_descriptor_free(d);
	rc = parse_bp("star", "api = \"0.10\"\n[buildpack]\nid = \"a\"\nversion = \"1\"\n[[stacks]]\nid = \"*\"\n", &d, NULL);
	ok(rc == 0 && cnb__lifecycle_bp_target_matches(d, &windows), "stack * matches anything");
	cnb__lifecycle_bp_descriptor_free(d);
	put_script("withbuild/bin/build");
	rc = parse_bp("withbuild", "api = \"0.10\"\n[buildpack]\nid = \"a\"\nversion = \"1\"\n", &d, NULL);
	ok(rc == 0 && cnb__lifecycle_bp_target_matches(d, &alpine) && !cnb__lifecycle_bp_target_matches(d, &windows),
	   "no targets but bin/build: linux");
	cnb__lifecycle_bp_descriptor_free(d);
}

static void test_lifecycle_extension_descriptor__kind_and_targets(void)
{
	cnb__lifecycle_bp_descriptor *d = NULL;
	cnb__lifecycle_target windows = { "windows", "amd64", "", NULL, 0 };
	int rc = parse_bp("ext", "api = \"0.10\"\n[extension]\nid = \"e/x\"\nversion = \"2\"\nhomepage = \"h\"\n"
				 "[[order]]\n[[order.group]]\nid = \"ignored\"\nversion = \"1\"\n", &d, NULL);
	ok(rc == 0 && d->extension && !strcmp(d->id, "e/x") && !strcmp(d->homepage, "h") && !strcmp(cnb__lifecycle_bp_kind(d), "extension"),
	   "extension.toml: [extension] makes an image extension");
	ok(rc == 0 && d->order.n == 0, "an extension has no order, whatever the file says");
	ok(rc == 0 && cnb__lifecycle_bp_target_matches(d, &windows), "no targets, no bin/detect or bin/generate: any target");
	cnb__lifecycle_bp_descriptor_free(d);
	put_script("extgen/bin/generate");
	rc = parse_bp("extgen", "api = \"0.10\"\n[extension]\nid = \"e\"\nversion = \"1\"\n", &d, NULL);
	ok(rc == 0 && !cnb__lifecycle_bp_target_matches(d, &windows), "an extension with bin/generate is for linux");
	cnb__lifecycle_bp_descriptor_free(d);
	rc = parse_bp("bpext", "api = \"0.10\"\n[buildpack]\nid = \"b\"\nversion = \"1\"\n[extension]\nid = \"e\"\n", &d, NULL);
	ok(rc == 0 && !d->extension && !strcmp(d->id, "b"), "[buildpack] wins: a buildpack");
	cnb__lifecycle_bp_descriptor_free(d);
	/* On disk: <extensions>/<escaped id>/<version>/extension.toml, and the kind must match. */
	_cleanup_free_ char *exts = cnb__path_join(root, "exts"), *dir = cnb__path_join(root, "exts/e_x/2");
	_cleanup_free_ char *toml = cnb__path_join(dir, "extension.toml");
	cnb__mkdir_p(dir, 0755, NULL);
	const char *text = "api = \"0.10\"\n[extension]\nid = \"e/x\"\nversion = \"2\"\n";
	cnb__write_file_atomic(toml, text, strlen(text), 0644, NULL);
	rc = cnb__lifecycle_ext_descriptor_load(&d, exts, "e/x", "2", NULL);
	ok(rc == 0 && d->extension, "cnb__lifecycle_ext_descriptor_load finds <extensions>/e_x/2/extension.toml");
	cnb__lifecycle_bp_descriptor_free(d);
	is_int(cnb__lifecycle_bp_descriptor_load(&d, exts, "e/x", "2", NULL), CNB_ENOTFOUND, "it is no buildpack");
	const char *bp_text = "api = \"0.10\"\n[buildpack]\nid = \"e/x\"\nversion = \"2\"\n";
	cnb__write_file_atomic(toml, bp_text, strlen(bp_text), 0644, NULL);
	is_int(cnb__lifecycle_ext_descriptor_load(&d, exts, "e/x", "2", NULL), CNB_EPARSE,
	       "an extension.toml with [buildpack] is refused");
}

static void test_lifecycle_buildpack_descriptor__composite_order(void)
{
	cnb__lifecycle_bp_descriptor *d = NULL;
	int rc = parse_bp("meta", "api = \"0.10\"\n[buildpack]\nid = \"meta\"\nversion = \"1\"\n"
				  "[[order]]\n[[order.group]]\nid = \"a\"\nversion = \"1\"\n"
				  "[[order.group]]\nid = \"b\"\nversion = \"2\"\noptional = true\n"
				  "[[order]]\n[[order.group]]\nid = \"c\"\nversion = \"3\"\n",
			  &d, NULL);
	ok(rc == 0 && d->order.n == 2 && d->order.groups[0].n == 2 && d->order.groups[0].elems[1].optional &&
		   !strcmp(d->order.groups[1].elems[0].id, "c"),
	   "a composite's [[order]] groups, optional flags kept");
	cnb__lifecycle_bp_descriptor_free(d);
}

static void test_lifecycle_buildpack_descriptor__unsupported_api(void)
{
	cnb__lifecycle_bp_descriptor *d = NULL;
	cnb_error *err = NULL;
	is_int(parse_bp("old", "api = \"0.6\"\n[buildpack]\nid = \"old/bp\"\nversion = \"9\"\n", &d, &err), CNB_EUNSUPPORTED,
	       "API 0.6 is refused (exit 12)");
	ok(err && strstr(cnb_error_message(err), "old/bp@9") && strstr(cnb_error_message(err), "0.7 to 0.12"),
	   "the message names the buildpack and the supported range: %s", cnb_error_message(err));
	cnb_error_free(err);
}

static void test_lifecycle_buildpack_descriptor__invalid_id(void)
{
	cnb__lifecycle_bp_descriptor *d = NULL;
	is_int(parse_bp("bad", "api = \"0.10\"\n[buildpack]\nid = \"sbom\"\nversion = \"1\"\n", &d, NULL), CNB_EPARSE,
	       "a reserved id is refused");
	is_int(parse_bp("bad", "api = \"0.10\"\n[buildpack]\nid = \"a b\"\nversion = \"1\"\n", &d, NULL), CNB_EPARSE,
	       "an id with a space is refused");
}

static cnb__lifecycle_project_descriptor *parse_project(const char *text, cnb_error **err)
{
	cnb_toml *doc = NULL;
	cnb__lifecycle_project_descriptor *d = NULL;
	if (cnb__toml_parse(&doc, text, strlen(text), "project.toml", err) == 0)
		cnb__lifecycle_project_descriptor_parse(&d, doc, "project.toml", err);
	cnb__toml_free(doc);
	return d;
}

static void test_lifecycle_project_descriptor__schema_02(void)
{
	cnb__lifecycle_project_descriptor *d = parse_project(
		"[_]\nschema-version = \"0.2\"\nid = \"app\"\n[io.buildpacks]\nexclude = [\"/README.md\"]\n"
		"[[io.buildpacks.group]]\nuri = \"bp/\"\n[[io.buildpacks.build.env]]\nname = \"BP_X\"\nvalue = \"1\"\n"
		"[[io.buildpacks.env.build]]\nname = \"BP_OLD\"\nvalue = \"2\"\n",
		NULL);
	ok(d != NULL, "schema 0.2 parses");
	if (!d)
		return;
	is_str(d->schema_version, "0.2", "schema version");
	is_str(d->exclude[0], "/README.md", "exclude");
	is_int(d->n_env, 2, "build env, including the deprecated [[io.buildpacks.env.build]]");
	is_str(d->group[0].uri, "bp/", "group");
	_cleanup_free_ char *platform = cnb__path_join(root, "platform");
	ok(cnb__lifecycle_project_descriptor_write_env(d, platform, NULL) == 0, "env written to <platform>/env");
	_cleanup_free_ char *file = cnb__path_join(platform, "env/BP_X"), *data = NULL;
	size_t len = 0;
	ok(cnb__read_file(file, 100, &data, &len, NULL) == 0 && !strcmp(data, "1"), "<platform>/env/BP_X = 1");
	cnb__lifecycle_project_descriptor_free(d);
}

static void test_lifecycle_project_descriptor__schema_01(void)
{
	cnb__lifecycle_project_descriptor *d = parse_project(
		"[project]\nname = \"old\"\n[build]\ninclude = [\"src\"]\n[[build.env]]\nname = \"A\"\nvalue = \"b\"\n"
		"[[build.buildpacks]]\nid = \"x\"\nversion = \"1\"\n",
		NULL);
	ok(d && !strcmp(d->schema_version, "0.1") && !strcmp(d->include[0], "src") && d->n_env == 1 &&
		   !strcmp(d->group[0].id, "x"),
	   "schema 0.1 ([project], [build]) parses");
	cnb__lifecycle_project_descriptor_free(d);
}

static void test_lifecycle_project_descriptor__scripts_pre_post(void)
{
	cnb__lifecycle_project_descriptor *d = parse_project(
		"[_]\nschema-version = \"0.2\"\n[io.buildpacks]\nbuilder = \"reg/builder\"\n"
		"[[io.buildpacks.pre.group]]\nid = \"inline\"\n[io.buildpacks.pre.group.script]\napi = \"0.10\"\n"
		"inline = \"echo hi\"\nshell = \"/bin/bash\"\n"
		"[[io.buildpacks.group]]\nid = \"a\"\nuri = \"bp.cnb\"\n"
		"[[io.buildpacks.post.group]]\nuri = \"docker://reg/post\"\n",
		NULL);
	ok(d && !strcmp(d->builder, "reg/builder"), "builder");
	ok(d && d->pre.n == 1 && !strcmp(d->pre.bps[0].script_inline, "echo hi") &&
		   !strcmp(d->pre.bps[0].script_shell, "/bin/bash") && !strcmp(d->pre.bps[0].script_api, "0.10"),
	   "an inline pre buildpack");
	ok(d && d->n_group == 1 && !strcmp(d->group[0].id, "a") && !strcmp(d->group[0].uri, "bp.cnb"), "id and uri kept");
	ok(d && d->post.n == 1 && !strcmp(d->post.bps[0].uri, "docker://reg/post"), "a post group");
	cnb__lifecycle_project_descriptor_free(d);
	cnb_error *err = NULL;
	ok(!parse_project("[[io.buildpacks.group]]\nversion = \"1\"\n", &err) && cnb_error_code_of(err) == CNB_EPARSE &&
		   strstr(cnb_error_message(err), "`id` or a `uri`"),
	   "an entry without id or uri is refused: %s", cnb_error_message(err));
	cnb__error_clear(&err);
	ok(!parse_project("[[io.buildpacks.group]]\n[io.buildpacks.group.script]\napi = \"0.10\"\ninline = \"x\"\n", &err) &&
		   strstr(cnb_error_message(err), "needs an `id`"),
	   "an inline buildpack without id is refused: %s", cnb_error_message(err));
	cnb__error_clear(&err);
	ok(!parse_project("[[build.buildpacks]]\nid = \"s\"\n[build.buildpacks.script]\napi = \"0.10\"\n", &err) &&
		   strstr(cnb_error_message(err), "`inline`"),
	   "schema 0.1: a script without inline is refused: %s", cnb_error_message(err));
	cnb__error_clear(&err);
}

static void test_lifecycle_project_descriptor__include_and_exclude_refused(void)
{
	cnb_error *err = NULL;
	ok(!parse_project("[io.buildpacks]\ninclude = [\"a\"]\nexclude = [\"b\"]\n", &err) &&
		   cnb_error_code_of(err) == CNB_EPARSE,
	   "include and exclude together are refused");
	cnb_error_free(err);
}

static void test_lifecycle_project_descriptor__env_name_is_not_a_path(void)
{
	cnb__lifecycle_project_descriptor *d = parse_project("[[io.buildpacks.build.env]]\nname = \"../x\"\nvalue = \"1\"\n", NULL);
	_cleanup_free_ char *platform = cnb__path_join(root, "platform2");
	ok(d && cnb__lifecycle_project_descriptor_write_env(d, platform, NULL) == CNB_EUNSAFE, "an env name with / is refused");
	cnb__lifecycle_project_descriptor_free(d);
}

int main(void)
{
	if (!mkdtemp(root))
		tap_skip_all("mkdtemp failed");
	test_lifecycle_api_version__parse_and_ranges();
	test_lifecycle_buildpack_descriptor__fields();
	test_lifecycle_buildpack_descriptor__exec_env_table_form();
	test_lifecycle_buildpack_descriptor__arch_variant();
	test_lifecycle_buildpack_descriptor__targets_inferred();
	test_lifecycle_buildpack_descriptor__composite_order();
	test_lifecycle_extension_descriptor__kind_and_targets();
	test_lifecycle_buildpack_descriptor__unsupported_api();
	test_lifecycle_buildpack_descriptor__invalid_id();
	test_lifecycle_project_descriptor__schema_02();
	test_lifecycle_project_descriptor__schema_01();
	test_lifecycle_project_descriptor__scripts_pre_post();
	test_lifecycle_project_descriptor__include_and_exclude_refused();
	test_lifecycle_project_descriptor__env_name_is_not_a_path();
	cnb__rm_rf(root, NULL);
	return tap_done();
}
