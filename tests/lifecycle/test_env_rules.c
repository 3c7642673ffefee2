/* Unit tests of the environment modification rules (lib/lifecycle/spec/env-rules.c; buildpack.md "Environment"). */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/env-rules.h"
#include "tests/lib/tap.h"

#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/cnb-env-XXXXXX";

/* Writes `root/rel` with exact contents (parents created). */
static void put(const char *rel, const char *content)
{
	_cleanup_free_ char *path = cnb__path_join(root, rel);
	_cleanup_free_ char *dir = strdup(path);
	*strrchr(dir, '/') = '\0';
	cnb__mkdir_p(dir, 0755, NULL);
	cnb__write_file_atomic(path, content, strlen(content), 0644, NULL);
}

/* A fresh dir per case: rm -rf root/<name>; returns its path (static). */
static const char *fresh(const char *name)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", root, name);
	cnb__rm_rf(path, NULL);
	cnb__mkdir_p(path, 0755, NULL);
	return path;
}

static const char *apply(cnb__lifecycle_env *env, const char *rel, cnb__lifecycle_env_action no_suffix)
{
	_cleanup_free_ char *dir = cnb__path_join(root, rel);
	cnb_error *err = NULL;
	int rc = cnb__lifecycle_env_apply_dir(env, dir, no_suffix, true, &err);
	if (rc)
		printf("# %s\n", cnb_error_message(err));
	cnb_error_free(err);
	return rc ? "(error)" : cnb__lifecycle_env_get(env, "V");
}

/*
 * One rule per case: the files of one env dir ("NAME=contents" pairs split on '|'), the value
 * of V before (NULL = unset), what a file without suffix means, and V after.
 */
typedef struct rule_case {
	const char *name;
	const char *files;
	const char *before;
	cnb__lifecycle_env_action no_suffix;
	const char *want;
} rule_case;

static const rule_case rule_cases[] = {
	{ "test_lifecycle_env_rules__override", "V.override=new", "old", CNB_ENV_OVERRIDE, "new" },
	{ "test_lifecycle_env_rules__no_suffix_overrides_for_layers", "V=new", "old", CNB_ENV_OVERRIDE, "new" },
	{ "test_lifecycle_env_rules__no_suffix_defaults_for_build_config", "V=operator", "user", CNB_ENV_DEFAULT, "user" },
	{ "test_lifecycle_env_rules__default_sets_unset", "V.default=dflt", NULL, CNB_ENV_OVERRIDE, "dflt" },
	{ "test_lifecycle_env_rules__default_keeps_set", "V.default=dflt", "set", CNB_ENV_OVERRIDE, "set" },
	{ "test_lifecycle_env_rules__default_treats_empty_as_unset", "V.default=dflt", "", CNB_ENV_OVERRIDE, "dflt" },
	{ "test_lifecycle_env_rules__prepend_with_delim", "V.prepend=/new|V.delim=:", "/old", CNB_ENV_OVERRIDE, "/new:/old" },
	{ "test_lifecycle_env_rules__append_with_delim", "V.append=b|V.delim=,", "a", CNB_ENV_OVERRIDE, "a,b" },
	{ "test_lifecycle_env_rules__append_without_delim_concatenates", "V.append=b", "a", CNB_ENV_OVERRIDE, "ab" },
	{ "test_lifecycle_env_rules__prepend_to_unset_has_no_delim", "V.prepend=x|V.delim=:", NULL, CNB_ENV_OVERRIDE, "x" },
	{ "test_lifecycle_env_rules__contents_verbatim", "V= spaced value\n", NULL, CNB_ENV_OVERRIDE, " spaced value\n" },
	{ "test_lifecycle_env_rules__unknown_suffix_ignored", "V.bogus=x|V.delim=:", "keep", CNB_ENV_OVERRIDE, "keep" },
	/* Alphabetical: V.append, V.override, V.prepend: "2", then "1", then "0" + "1". */
	{ "test_lifecycle_env_rules__alphabetical_order", "V.append=2|V.override=1|V.prepend=0", NULL, CNB_ENV_OVERRIDE, "01" },
};

static void run_rule_case(const rule_case *c)
{
	const char *dir = fresh(c->name);
	_cleanup_free_ char *rel = strdup(dir + strlen(root) + 1);
	_cleanup_free_ char *files = strdup(c->files);
	char *save = NULL;
	for (char *f = strtok_r(files, "|", &save); f; f = strtok_r(NULL, "|", &save)) {
		char *eq = strchr(f, '=');
		*eq = '\0';
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", rel, f);
		put(path, eq + 1);
	}
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	if (c->before)
		cnb__lifecycle_env_set(&env, "V", c->before);
	is_str(apply(&env, rel, c->no_suffix), c->want, "%s", c->name);
}

static void test_lifecycle_env_rules__delim_only_from_same_dir(void)
{
	fresh("s1");
	fresh("s2");
	put("s1/V.delim", ":");
	put("s2/V.append", "b");
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	cnb__lifecycle_env_set(&env, "V", "a");
	apply(&env, "s1", CNB_ENV_OVERRIDE);
	is_str(apply(&env, "s2", CNB_ENV_OVERRIDE), "ab", "a .delim in another dir does not apply");
}

static void test_lifecycle_env_rules__subdirs_skipped(void)
{
	fresh("sd");
	put("sd/V/inner", "x");
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	is_str(apply(&env, "sd", CNB_ENV_OVERRIDE), NULL, "a subdirectory is not a variable");
}

static void test_lifecycle_env_rules__missing_dir_is_nothing(void)
{
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	is_str(apply(&env, "does-not-exist", CNB_ENV_OVERRIDE), NULL, "a missing env dir changes nothing");
}

static void test_lifecycle_env_rules__root_dirs_prepend_paths(void)
{
	_cleanup_free_ char *la = strdup(fresh("layers/a"));
	_cleanup_free_ char *lb = strdup(fresh("layers/b"));
	put("layers/a/bin/.keep", "");
	put("layers/a/lib/.keep", "");
	put("layers/b/bin/.keep", "");
	put("layers/b/include/.keep", "");
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	cnb__lifecycle_env_set(&env, "PATH", "/usr/bin");
	ok(cnb__lifecycle_env_apply_build_layer(&env, la, NULL) == 0 && cnb__lifecycle_env_apply_build_layer(&env, lb, NULL) == 0,
	   "apply two layers");
	char want[512];
	/* ⚠ DIFF (buildpack.md "Environment Variable Modification Rules"): prepending per layer lists later layers first. */
	snprintf(want, sizeof(want), "%s/bin:%s/bin:/usr/bin", lb, la);
	is_str(cnb__lifecycle_env_get(&env, "PATH"), want, "bin → PATH, later layers first");
	snprintf(want, sizeof(want), "%s/lib", la);
	is_str(cnb__lifecycle_env_get(&env, "LD_LIBRARY_PATH"), want, "lib → LD_LIBRARY_PATH");
	is_str(cnb__lifecycle_env_get(&env, "LIBRARY_PATH"), want, "lib → LIBRARY_PATH at build time");
	snprintf(want, sizeof(want), "%s/include", lb);
	is_str(cnb__lifecycle_env_get(&env, "CPATH"), want, "include → CPATH");
	is_str(cnb__lifecycle_env_get(&env, "PKG_CONFIG_PATH"), NULL, "no pkgconfig dir, no PKG_CONFIG_PATH");
}

static void test_lifecycle_env_rules__launch_root_dirs_bin_lib_only(void)
{
	const char *l = fresh("layers/l");
	put("layers/l/lib/.keep", "");
	put("layers/l/include/.keep", "");
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	ok(cnb__lifecycle_env_add_root_dir(&env, l, false, NULL) == 0, "launch root dir");
	ok(cnb__lifecycle_env_get(&env, "LD_LIBRARY_PATH") != NULL, "lib → LD_LIBRARY_PATH at launch");
	is_str(cnb__lifecycle_env_get(&env, "LIBRARY_PATH"), NULL, "no LIBRARY_PATH at launch");
	is_str(cnb__lifecycle_env_get(&env, "CPATH"), NULL, "no CPATH at launch");
}

static void test_lifecycle_env_rules__layer_env_then_env_build(void)
{
	const char *l = fresh("layers/e");
	put("layers/e/env/V.override", "from-env");
	put("layers/e/env.build/V.append", "+build");
	put("layers/e/env.launch/V.override", "launch-only");
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	ok(cnb__lifecycle_env_apply_build_layer(&env, l, NULL) == 0, "apply layer");
	is_str(cnb__lifecycle_env_get(&env, "V"), "from-env+build", "env/ first, then env.build/; env.launch/ ignored at build");
}

static void test_lifecycle_env_rules__build_allow_list(void)
{
	char *environ_[] = { "HOME=/home/cnb", "PATH=/bin", "SECRET=x", "CNB_STACK_ID=s", "http_proxy=p",
			     "LD_PRELOAD=evil", "PATHX=no", NULL };
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	cnb__lifecycle_env_init_build(&env, environ_);
	is_str(cnb__lifecycle_env_get(&env, "HOME"), "/home/cnb", "HOME passes");
	is_str(cnb__lifecycle_env_get(&env, "PATH"), "/bin", "PATH passes");
	is_str(cnb__lifecycle_env_get(&env, "CNB_STACK_ID"), "s", "CNB_STACK_ID passes");
	is_str(cnb__lifecycle_env_get(&env, "http_proxy"), "p", "proxies pass");
	is_str(cnb__lifecycle_env_get(&env, "SECRET"), NULL, "other variables do not");
	is_str(cnb__lifecycle_env_get(&env, "LD_PRELOAD"), NULL, "LD_PRELOAD does not");
	is_str(cnb__lifecycle_env_get(&env, "PATHX"), NULL, "prefix matches do not");
}

int main(void)
{
	if (!mkdtemp(root))
		tap_skip_all("mkdtemp failed");
	for (size_t i = 0; i < CNB_ARRAY_SIZE(rule_cases); i++)
		run_rule_case(&rule_cases[i]);
	test_lifecycle_env_rules__delim_only_from_same_dir();
	test_lifecycle_env_rules__subdirs_skipped();
	test_lifecycle_env_rules__missing_dir_is_nothing();
	test_lifecycle_env_rules__root_dirs_prepend_paths();
	test_lifecycle_env_rules__launch_root_dirs_bin_lib_only();
	test_lifecycle_env_rules__layer_env_then_env_build();
	test_lifecycle_env_rules__build_allow_list();
	cnb__rm_rf(root, NULL);
	return tap_done();
}
