/* Unit tests of the files a buildpack writes in build: <layer>.toml, launch.toml, SBOMs. */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/build-plan.h"
#include "lib/lifecycle/phases/build-launch-data.h"
#include "lib/lifecycle/spec/layer-metadata.h"
#include "lib/lifecycle/spec/legacy-bom.h"
#include "lib/lifecycle/spec/sbom-files.h"
#include "tests/lib/tap.h"

#include <sys/stat.h>

static char root[] = "/tmp/cnb-bfiles-XXXXXX";

static char *put(const char *rel, const char *content)
{
	char *path = cnb__path_join(root, rel);
	_cleanup_free_ char *dir = strdup(path);
	*strrchr(dir, '/') = '\0';
	cnb__mkdir_p(dir, 0755, NULL);
	cnb__write_file_atomic(path, content, strlen(content), 0644, NULL);
	return path;
}

static cnb__lifecycle_bp_descriptor *bp(const char *api)
{
	static cnb__lifecycle_bp_descriptor d;
	static char id[] = "acme/bp", version[] = "1", api_text[8];
	snprintf(api_text, sizeof(api_text), "%s", api);
	d = (cnb__lifecycle_bp_descriptor){ .id = id, .version = version, .api_text = api_text };
	cnb__lifecycle_api_parse(api, &d.api);
	return &d;
}

/* Reads launch.toml text with a buildpack API; returns the code. */
static int launch(const char *api, const char *text, cnb__lifecycle_launch_data *out, cnb_error **err)
{
	_cleanup_free_ char *path = put("launch/launch.toml", text);
	return cnb__lifecycle_launch_toml_read(out, path, bp(api), NULL, NULL, err);
}

static void test_lifecycle_launch_toml__api09_array_command(void)
{
	cnb__lifecycle_launch_data l;
	int rc = launch("0.9", "[[processes]]\ntype = \"web\"\ncommand = [\"node\", \"s.js\"]\nargs = [\"-p\"]\n"
			       "default = true\nworking-dir = \"/app\"\n",
			&l, NULL);
	ok(rc == 0 && l.n_processes == 1, "API 0.9: array command parses");
	if (rc)
		return;
	is_str(l.processes[0].command[1], "s.js", "command array kept");
	is_str(l.processes[0].args[0], "-p", "args");
	ok(l.processes[0].direct && l.processes[0].is_default, "always direct; default");
	is_str(l.processes[0].working_dir, "/app", "working-dir from API 0.8");
	cnb__lifecycle_launch_toml_free(&l);
}

static void test_lifecycle_launch_toml__api09_direct_key_error(void)
{
	cnb__lifecycle_launch_data l;
	is_int(launch("0.9", "[[processes]]\ntype = \"web\"\ncommand = [\"x\"]\ndirect = true\n", &l, NULL), CNB_EPARSE,
	       "API 0.9: `direct` is an error");
}

static void test_lifecycle_launch_toml__api09_string_command_error(void)
{
	cnb__lifecycle_launch_data l;
	is_int(launch("0.10", "[[processes]]\ntype = \"web\"\ncommand = \"x\"\n", &l, NULL), CNB_EPARSE,
	       "API 0.10: a string command is an error");
}

static void test_lifecycle_launch_toml__api08_string_command(void)
{
	cnb__lifecycle_launch_data l;
	int rc = launch("0.8", "[[processes]]\ntype = \"web\"\ncommand = \"node s.js\"\n", &l, NULL);
	ok(rc == 0 && !strcmp(l.processes[0].command[0], "node s.js") && !l.processes[0].command[1] &&
		   !l.processes[0].direct,
	   "API 0.8: string command, direct defaults to false");
	if (rc == 0)
		cnb__lifecycle_launch_toml_free(&l);
}

static void test_lifecycle_launch_toml__api07_working_dir_ignored(void)
{
	cnb__lifecycle_launch_data l;
	int rc = launch("0.7", "[[processes]]\ntype = \"web\"\ncommand = \"x\"\ndirect = true\nworking-dir = \"/w\"\n", &l,
			NULL);
	ok(rc == 0 && l.processes[0].direct && !l.processes[0].working_dir, "API 0.7: direct honoured, working-dir ignored");
	if (rc == 0)
		cnb__lifecycle_launch_toml_free(&l);
}

static void test_lifecycle_launch_toml__two_defaults_error(void)
{
	cnb__lifecycle_launch_data l;
	is_int(launch("0.10",
		      "[[processes]]\ntype = \"a\"\ncommand = [\"x\"]\ndefault = true\n"
		      "[[processes]]\ntype = \"b\"\ncommand = [\"y\"]\ndefault = true\n",
		      &l, NULL),
	       CNB_EPARSE, "two default processes in one launch.toml are an error");
}

static void test_lifecycle_launch_toml__bad_type_error(void)
{
	cnb__lifecycle_launch_data l;
	is_int(launch("0.10", "[[processes]]\ntype = \"a/b\"\ncommand = [\"x\"]\n", &l, NULL), CNB_EPARSE,
	       "a process type with / is refused");
}

static void test_lifecycle_launch_toml__merge_rules(void)
{
	cnb__lifecycle_launch_data merged = { 0 }, l;
	launch("0.10", "[[processes]]\ntype = \"web\"\ncommand = [\"a\"]\ndefault = true\n[[labels]]\nkey = \"k\"\nvalue = \"1\"\n",
	       &l, NULL);
	cnb__lifecycle_launch_toml_merge(&merged, &l, NULL, NULL, NULL);
	is_str(merged.default_type, "web", "default from the first buildpack");
	launch("0.10", "[[processes]]\ntype = \"web\"\ncommand = [\"b\"]\n[[processes]]\ntype = \"api\"\ncommand = [\"c\"]\n"
		       "[[slices]]\npaths = [\"public/*\"]\n",
	       &l, NULL);
	cnb__lifecycle_launch_toml_merge(&merged, &l, NULL, NULL, NULL);
	is_int(merged.n_processes, 2, "a later buildpack replaces a type, adds others");
	is_str(merged.processes[0].command[0], "b", "the replacement wins");
	is_str(merged.default_type, NULL, "redefining the default type without default=true clears the default");
	ok(merged.n_labels == 1 && merged.n_slices == 1, "labels and slices appended");
	_cleanup_free_ char *path = cnb__path_join(root, "metadata.toml");
	cnb__lifecycle_group_elem group[] = { { "acme/bp", "1", "0.10", "", false } };
	ok(cnb__lifecycle_launch_toml_write_metadata(path, &merged, group, 1, NULL) == 0, "metadata.toml written");
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	cnb__read_file(path, 1 << 20, &text, &len, NULL);
	ok(text && strstr(text, "type = \"api\"") < strstr(text, "type = \"web\""), "processes sorted by type");
	ok(text && strstr(text, "buildpack-id = \"acme/bp\"") && strstr(text, "paths = [\"public/*\"]"),
	   "buildpack-id and slices written");
	cnb__lifecycle_launch_toml_free(&merged);
}

static void test_lifecycle_layer_metadata__types_and_ignore(void)
{
	free(put("layers/a.toml", "[types]\nlaunch = true\n[metadata]\nv = 1\n"));
	free(put("layers/b.toml", "[types]\nlaunch = false\nbuild = false\ncache = false\n"));
	free(put("layers/b/file", "x"));
	free(put("layers/c.toml", "[metadata]\nrestored = true\n"));
	free(put("layers/launch.toml", "[[processes]]\n"));
	free(put("layers/nolayer/file", "x"));
	_cleanup_free_ char *dir = cnb__path_join(root, "layers");
	cnb__lifecycle_layer_list l;
	is_int(cnb__lifecycle_layer_metadata_process(&l, dir, "acme/bp@1", NULL), 0, "layers processed");
	is_int(l.n, 1, "only layers with a type set are kept; launch.toml is no layer");
	ok(l.n && !strcmp(l.v[0].name, "a") && l.v[0].launch && !l.v[0].build, "types read from [types]");
	struct stat st;
	_cleanup_free_ char *ign = cnb__path_join(dir, "b.ignore"), *b = cnb__path_join(dir, "b");
	ok(stat(ign, &st) == 0 && stat(b, &st) < 0, "all types false: renamed to <layer>.ignore");
	_cleanup_free_ char *c = cnb__path_join(dir, "c.ignore");
	ok(stat(c, &st) < 0, "no dir to rename is fine (restored metadata without types)");
	cnb__lifecycle_layer_list_free(&l);
}

static void test_lifecycle_layer_metadata__top_level_types_error(void)
{
	free(put("layers2/x.toml", "launch = true\n"));
	_cleanup_free_ char *dir = cnb__path_join(root, "layers2");
	cnb__lifecycle_layer_list l;
	cnb_error *err = NULL;
	is_int(cnb__lifecycle_layer_metadata_process(&l, dir, "acme/bp@1", &err), CNB_EPARSE, "top-level launch is an error");
	ok(err && strstr(cnb_error_message(err), "acme/bp@1") && strstr(cnb_error_message(err), "[types]"),
	   "the message names the buildpack and the fix: %s", cnb_error_message(err));
	cnb_error_free(err);
}

static void test_lifecycle_sbom_files__format_must_be_declared(void)
{
	free(put("sb/layers/bp/launch.sbom.spdx.json", "{}"));
	_cleanup_free_ char *layers = cnb__path_join(root, "sb/layers"), *bpdir = cnb__path_join(root, "sb/layers/bp");
	cnb__lifecycle_bp_descriptor *d = bp("0.10");
	char *formats[] = { "application/vnd.cyclonedx+json", NULL };
	d->sbom_formats = formats;
	cnb__lifecycle_layer_list none = { NULL, 0 };
	is_int(cnb__lifecycle_sbom_files_collect(layers, bpdir, d, &none, NULL), CNB_EUNSUPPORTED,
	       "an SBOM whose media type is not in sbom-formats fails the build");
	char *both[] = { "application/vnd.cyclonedx+json", "application/spdx+json", NULL };
	d->sbom_formats = both;
	is_int(cnb__lifecycle_sbom_files_collect(layers, bpdir, d, &none, NULL), 0, "declared: accepted");
	_cleanup_free_ char *copy = cnb__path_join(root, "sb/layers/sbom/launch/acme_bp/sbom.spdx.json");
	struct stat st;
	ok(stat(copy, &st) == 0, "copied to sbom/launch/<escaped id>/sbom.spdx.json");
}

/* Parses a build plan text into run; returns the code. */
static int build_plan(const char *text, cnb__lifecycle_detect_run *run)
{
	cnb_toml *doc = NULL;
	memset(run, 0, sizeof(*run));
	int rc = cnb__toml_parse(&doc, text, strlen(text), "plan.toml", NULL);
	if (rc == 0)
		rc = cnb__lifecycle_build_plan_parse(run, doc, "acme/bp@1", NULL);
	cnb__toml_free(doc);
	return rc;
}

static void test_lifecycle_build_plan__or_options(void)
{
	cnb__lifecycle_detect_run run;
	int rc = build_plan("[[provides]]\nname = \"a\"\n[[requires]]\nname = \"a\"\n[requires.metadata]\nv = 1\n"
			    "[[or]]\n[[or.provides]]\nname = \"b\"\n",
			    &run);
	ok(rc == 0 && run.n_options == 2, "top level + one [[or]] = two options");
	ok(rc == 0 && !strcmp(run.options[0].requires[0].name, "a") && run.options[0].requires[0].metadata &&
		   !strcmp(run.options[1].provides[0], "b") && run.options[1].n_requires == 0,
	   "provides, requires with metadata, and the alternative");
	cnb__lifecycle_detect_run_free(&run);
}

static void test_lifecycle_build_plan__requires_version_error(void)
{
	cnb__lifecycle_detect_run run;
	is_int(build_plan("[[requires]]\nname = \"a\"\nversion = \"1\"\n", &run), CNB_EPARSE,
	       "a top-level requires.version is an error (the buildpack errors in detect)");
	cnb__lifecycle_detect_run_free(&run);
	is_int(build_plan("[[or]]\n[[or.requires]]\nversion = \"1\"\n", &run), CNB_EPARSE,
	       "a requires without name is an error, also in [[or]]");
	cnb__lifecycle_detect_run_free(&run);
}

static void test_lifecycle_legacy_bom__entries_and_version_error(void)
{
	const char *text = "[[bom]]\nname = \"ICU\"\n[bom.metadata]\nversion = \"74\"\n";
	cnb_toml *doc = NULL;
	cnb__toml_parse(&doc, text, strlen(text), "launch.toml", NULL);
	json_t *entries = json_array();
	is_int(cnb__lifecycle_legacy_bom_add(entries, doc, bp("0.10"), "launch.toml", NULL), 0, "[[bom]] read");
	_cleanup_free_ char *json = json_dumps(entries, JSON_COMPACT | JSON_PRESERVE_ORDER);
	is_str(json, "[{\"name\":\"ICU\",\"metadata\":{\"version\":\"74\"},\"buildpack\":{\"id\":\"acme/bp\",\"version\":\"1\"}}]",
	       "entries carry the buildpack, in the reference's field order");
	cnb__toml_free(doc);
	text = "[[bom]]\nname = \"ICU\"\nversion = \"74\"\n";
	cnb__toml_parse(&doc, text, strlen(text), "launch.toml", NULL);
	is_int(cnb__lifecycle_legacy_bom_add(entries, doc, bp("0.10"), "launch.toml", NULL), CNB_EPARSE,
	       "a top-level bom version is an error");
	cnb__toml_free(doc);
	json_decref(entries);
}

int main(void)
{
	if (!mkdtemp(root))
		tap_skip_all("mkdtemp failed");
	test_lifecycle_launch_toml__api09_array_command();
	test_lifecycle_launch_toml__api09_direct_key_error();
	test_lifecycle_launch_toml__api09_string_command_error();
	test_lifecycle_launch_toml__api08_string_command();
	test_lifecycle_launch_toml__api07_working_dir_ignored();
	test_lifecycle_launch_toml__two_defaults_error();
	test_lifecycle_launch_toml__bad_type_error();
	test_lifecycle_launch_toml__merge_rules();
	test_lifecycle_layer_metadata__types_and_ignore();
	test_lifecycle_layer_metadata__top_level_types_error();
	test_lifecycle_sbom_files__format_must_be_declared();
	test_lifecycle_build_plan__or_options();
	test_lifecycle_build_plan__requires_version_error();
	test_lifecycle_legacy_bom__entries_and_version_error();
	cnb__rm_rf(root, NULL);
	return tap_done();
}
