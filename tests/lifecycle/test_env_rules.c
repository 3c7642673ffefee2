/* Unit tests of the environment modification rules (lib/lifecycle/env-rules.c; checklist §3.6). */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/env-rules.h"
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

static const char *apply(cnb__env *env, const char *rel, cnb__env_action no_suffix)
{
	_cleanup_free_ char *dir = cnb__path_join(root, rel);
	cnb_error *err = NULL;
	int rc = cnb__env_apply_dir(env, dir, no_suffix, true, &err);
	if (rc)
		printf("# %s\n", cnb_error_message(err));
	cnb_error_free(err);
	return rc ? "(error)" : cnb__env_get(env, "V");
}

static void test_lifecycle_env_rules__override(void)
{
	fresh("o");
	put("o/V.override", "new");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_set(&env, "V", "old");
	is_str(apply(&env, "o", CNB_ENV_OVERRIDE), "new", ".override replaces the value");
}

static void test_lifecycle_env_rules__no_suffix_overrides_for_layers(void)
{
	fresh("n");
	put("n/V", "new");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_set(&env, "V", "old");
	is_str(apply(&env, "n", CNB_ENV_OVERRIDE), "new", "no suffix = override in a layer env dir");
}

static void test_lifecycle_env_rules__no_suffix_defaults_for_build_config(void)
{
	fresh("bc");
	put("bc/V", "operator");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_set(&env, "V", "user");
	is_str(apply(&env, "bc", CNB_ENV_DEFAULT), "user", "no suffix = default for build-config: set value kept");
}

static void test_lifecycle_env_rules__default_sets_unset(void)
{
	fresh("d");
	put("d/V.default", "dflt");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	is_str(apply(&env, "d", CNB_ENV_OVERRIDE), "dflt", ".default sets an unset variable");
}

static void test_lifecycle_env_rules__default_keeps_set(void)
{
	fresh("d2");
	put("d2/V.default", "dflt");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_set(&env, "V", "set");
	is_str(apply(&env, "d2", CNB_ENV_OVERRIDE), "set", ".default keeps a set variable");
}

static void test_lifecycle_env_rules__default_treats_empty_as_unset(void)
{
	fresh("d3");
	put("d3/V.default", "dflt");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_set(&env, "V", "");
	is_str(apply(&env, "d3", CNB_ENV_OVERRIDE), "dflt", ".default: an empty value counts as unset");
}

static void test_lifecycle_env_rules__prepend_with_delim(void)
{
	fresh("p");
	put("p/V.prepend", "/new");
	put("p/V.delim", ":");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_set(&env, "V", "/old");
	is_str(apply(&env, "p", CNB_ENV_OVERRIDE), "/new:/old", ".prepend puts content + delim before the value");
}

static void test_lifecycle_env_rules__append_with_delim(void)
{
	fresh("a");
	put("a/V.append", "b");
	put("a/V.delim", ",");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_set(&env, "V", "a");
	is_str(apply(&env, "a", CNB_ENV_OVERRIDE), "a,b", ".append puts delim + content after the value");
}

static void test_lifecycle_env_rules__append_without_delim_concatenates(void)
{
	fresh("a2");
	put("a2/V.append", "b");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_set(&env, "V", "a");
	is_str(apply(&env, "a2", CNB_ENV_OVERRIDE), "ab", "no .delim: no separator at all");
}

static void test_lifecycle_env_rules__prepend_to_unset_has_no_delim(void)
{
	fresh("p2");
	put("p2/V.prepend", "x");
	put("p2/V.delim", ":");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	is_str(apply(&env, "p2", CNB_ENV_OVERRIDE), "x", "prepend to an unset variable: just the content");
}

static void test_lifecycle_env_rules__delim_only_from_same_dir(void)
{
	fresh("s1");
	fresh("s2");
	put("s1/V.delim", ":");
	put("s2/V.append", "b");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_set(&env, "V", "a");
	apply(&env, "s1", CNB_ENV_OVERRIDE);
	is_str(apply(&env, "s2", CNB_ENV_OVERRIDE), "ab", "a .delim in another dir does not apply");
}

static void test_lifecycle_env_rules__contents_verbatim(void)
{
	fresh("v");
	put("v/V", " spaced value\n");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	is_str(apply(&env, "v", CNB_ENV_OVERRIDE), " spaced value\n", "no trimming, trailing newline kept");
}

static void test_lifecycle_env_rules__unknown_suffix_ignored(void)
{
	fresh("u");
	put("u/V.bogus", "x");
	put("u/V.delim", ":");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_set(&env, "V", "keep");
	is_str(apply(&env, "u", CNB_ENV_OVERRIDE), "keep", "unknown suffixes and .delim alone do nothing");
}

static void test_lifecycle_env_rules__alphabetical_order(void)
{
	fresh("ord");
	put("ord/V.append", "2");
	put("ord/V.override", "1");
	put("ord/V.prepend", "0");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	/* Alphabetical: V.append, V.override, V.prepend → "2" then "1" then "01". */
	is_str(apply(&env, "ord", CNB_ENV_OVERRIDE), "01", "files apply in alphabetical order");
}

static void test_lifecycle_env_rules__subdirs_skipped(void)
{
	fresh("sd");
	put("sd/V/inner", "x");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	is_str(apply(&env, "sd", CNB_ENV_OVERRIDE), NULL, "a subdirectory is not a variable");
}

static void test_lifecycle_env_rules__missing_dir_is_nothing(void)
{
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
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
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_set(&env, "PATH", "/usr/bin");
	ok(cnb__env_apply_build_layer(&env, la, NULL) == 0 && cnb__env_apply_build_layer(&env, lb, NULL) == 0,
	   "apply two layers");
	char want[512];
	/* ⚠ DIFF (checklist §3.6.2): prepending per layer lists later layers first. */
	snprintf(want, sizeof(want), "%s/bin:%s/bin:/usr/bin", lb, la);
	is_str(cnb__env_get(&env, "PATH"), want, "bin → PATH, later layers first");
	snprintf(want, sizeof(want), "%s/lib", la);
	is_str(cnb__env_get(&env, "LD_LIBRARY_PATH"), want, "lib → LD_LIBRARY_PATH");
	is_str(cnb__env_get(&env, "LIBRARY_PATH"), want, "lib → LIBRARY_PATH at build time");
	snprintf(want, sizeof(want), "%s/include", lb);
	is_str(cnb__env_get(&env, "CPATH"), want, "include → CPATH");
	is_str(cnb__env_get(&env, "PKG_CONFIG_PATH"), NULL, "no pkgconfig dir, no PKG_CONFIG_PATH");
}

static void test_lifecycle_env_rules__launch_root_dirs_bin_lib_only(void)
{
	const char *l = fresh("layers/l");
	put("layers/l/lib/.keep", "");
	put("layers/l/include/.keep", "");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	ok(cnb__env_add_root_dir(&env, l, false, NULL) == 0, "launch root dir");
	ok(cnb__env_get(&env, "LD_LIBRARY_PATH") != NULL, "lib → LD_LIBRARY_PATH at launch");
	is_str(cnb__env_get(&env, "LIBRARY_PATH"), NULL, "no LIBRARY_PATH at launch");
	is_str(cnb__env_get(&env, "CPATH"), NULL, "no CPATH at launch");
}

static void test_lifecycle_env_rules__layer_env_then_env_build(void)
{
	const char *l = fresh("layers/e");
	put("layers/e/env/V.override", "from-env");
	put("layers/e/env.build/V.append", "+build");
	put("layers/e/env.launch/V.override", "launch-only");
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	ok(cnb__env_apply_build_layer(&env, l, NULL) == 0, "apply layer");
	is_str(cnb__env_get(&env, "V"), "from-env+build", "env/ first, then env.build/; env.launch/ ignored at build");
}

static void test_lifecycle_env_rules__build_allow_list(void)
{
	char *environ_[] = { "HOME=/home/cnb", "PATH=/bin", "SECRET=x", "CNB_STACK_ID=s", "http_proxy=p",
			     "LD_PRELOAD=evil", "PATHX=no", NULL };
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	cnb__env_init_build(&env, environ_);
	is_str(cnb__env_get(&env, "HOME"), "/home/cnb", "HOME passes");
	is_str(cnb__env_get(&env, "PATH"), "/bin", "PATH passes");
	is_str(cnb__env_get(&env, "CNB_STACK_ID"), "s", "CNB_STACK_ID passes");
	is_str(cnb__env_get(&env, "http_proxy"), "p", "proxies pass");
	is_str(cnb__env_get(&env, "SECRET"), NULL, "other variables do not");
	is_str(cnb__env_get(&env, "LD_PRELOAD"), NULL, "LD_PRELOAD does not");
	is_str(cnb__env_get(&env, "PATHX"), NULL, "prefix matches do not");
}

int main(void)
{
	if (!mkdtemp(root))
		tap_skip_all("mkdtemp failed");
	test_lifecycle_env_rules__override();
	test_lifecycle_env_rules__no_suffix_overrides_for_layers();
	test_lifecycle_env_rules__no_suffix_defaults_for_build_config();
	test_lifecycle_env_rules__default_sets_unset();
	test_lifecycle_env_rules__default_keeps_set();
	test_lifecycle_env_rules__default_treats_empty_as_unset();
	test_lifecycle_env_rules__prepend_with_delim();
	test_lifecycle_env_rules__append_with_delim();
	test_lifecycle_env_rules__append_without_delim_concatenates();
	test_lifecycle_env_rules__prepend_to_unset_has_no_delim();
	test_lifecycle_env_rules__delim_only_from_same_dir();
	test_lifecycle_env_rules__contents_verbatim();
	test_lifecycle_env_rules__unknown_suffix_ignored();
	test_lifecycle_env_rules__alphabetical_order();
	test_lifecycle_env_rules__subdirs_skipped();
	test_lifecycle_env_rules__missing_dir_is_nothing();
	test_lifecycle_env_rules__root_dirs_prepend_paths();
	test_lifecycle_env_rules__launch_root_dirs_bin_lib_only();
	test_lifecycle_env_rules__layer_env_then_env_build();
	test_lifecycle_env_rules__build_allow_list();
	cnb__rm_rf(root, NULL);
	return tap_done();
}
