/* Flags, CNB_* variables and defaults of the lifecycle phases (lifecycle cmd/lifecycle/cli/flags.go). */
#include "lifecycle-flags.h"

#include "lib/common/cleanup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *name;
	const char *env;
	unsigned bit;
} flags[] = {
	{ "app", "CNB_APP_DIR", LC_FLAG_APP },
	{ "layers", "CNB_LAYERS_DIR", LC_FLAG_LAYERS },
	{ "platform", "CNB_PLATFORM_DIR", LC_FLAG_PLATFORM },
	{ "buildpacks", "CNB_BUILDPACKS_DIR", LC_FLAG_BUILDPACKS },
	{ "order", "CNB_ORDER_PATH", LC_FLAG_ORDER },
	{ "group", "CNB_GROUP_PATH", LC_FLAG_GROUP },
	{ "plan", "CNB_PLAN_PATH", LC_FLAG_PLAN },
	{ "analyzed", "CNB_ANALYZED_PATH", LC_FLAG_ANALYZED },
	{ "build-config", "CNB_BUILD_CONFIG_DIR", LC_FLAG_BUILD_CONFIG },
	{ "log-level", "CNB_LOG_LEVEL", LC_FLAG_LOG_LEVEL },
	{ "system", "CNB_SYSTEM_PATH", LC_FLAG_SYSTEM },
	{ "run", "CNB_RUN_PATH", LC_FLAG_RUN },
	{ "no-color", "CNB_NO_COLOR", LC_FLAG_NO_COLOR },
	{ "cache-dir", "CNB_CACHE_DIR", LC_FLAG_CACHE_DIR },
	{ "skip-layers", "CNB_SKIP_LAYERS", LC_FLAG_SKIP_LAYERS },
	{ "extensions", "CNB_EXTENSIONS_DIR", LC_FLAG_EXTENSIONS },
	{ "generated", "CNB_GENERATED_DIR", LC_FLAG_GENERATED },
};

/* Go-style booleans: `-no-color` alone means true; `-no-color=false` is accepted too. */
static bool is_bool_flag(unsigned bit)
{
	return bit == LC_FLAG_NO_COLOR || bit == LC_FLAG_SKIP_LAYERS;
}

/* Go's strconv.ParseBool, which the reference's flags and CNB_* booleans use. */
static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i]))
			return (*out = true);
		if (!strcmp(s, no[i]))
			return !(*out = false);
	}
	return false;
}

static int bit_index(unsigned bit)
{
	return __builtin_ctz(bit);
}

static void usage(const char *phase, unsigned allowed)
{
	fprintf(stderr, "usage: cnb-lifecycle %s", phase);
	for (size_t i = 0; i < CNB_ARRAY_SIZE(flags); i++)
		if (allowed & flags[i].bit)
			fprintf(stderr, " [-%s <value>]", flags[i].name);
	fprintf(stderr, "\n");
}

/* An absolute version of `path` (the phases chdir into the app dir for buildpacks). */
static char *absolute(const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	char cwd[4096];
	char *out = NULL;
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static char *layers_file(const lc_options *o, const char *name)
{
	char *out = NULL;
	return asprintf(&out, "%s/%s", o->paths[bit_index(LC_FLAG_LAYERS)], name) < 0 ? NULL : out;
}

static int set_default(lc_options *o, unsigned bit, const char *value)
{
	char **slot = &o->paths[bit_index(bit)];
	if (*slot)
		return 0;
	*slot = value[0] == '/' ? strdup(value) : layers_file(o, value);
	return *slot ? 0 : -1;
}

static bool parse_level(const char *s, cnb_log_level *out)
{
	static const char *const names[] = { [CNB_LOG_ERROR] = "error", [CNB_LOG_WARN] = "warn",
					     [CNB_LOG_INFO] = "info", [CNB_LOG_DEBUG] = "debug" };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(names); i++)
		if (names[i] && !strcmp(s, names[i])) {
			*out = (cnb_log_level)i;
			return true;
		}
	return false;
}

static int parse_argv(lc_options *o, const char *phase, unsigned allowed, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (!strcmp(arg, "-h") || !strcmp(arg, "-help") || !strcmp(arg, "--help")) {
			usage(phase, allowed);
			return -1;
		}
		if (arg[0] != '-' || !arg[1]) {
			fprintf(stderr, "cnb-lifecycle %s: unexpected argument \"%s\"\n", phase, arg);
			return CNB_LC_EXIT_INVALID_ARGS;
		}
		const char *name = arg + (arg[1] == '-' ? 2 : 1);
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		size_t f = 0;
		while (f < CNB_ARRAY_SIZE(flags) && !(strlen(flags[f].name) == len && !strncmp(flags[f].name, name, len)))
			f++;
		if (f == CNB_ARRAY_SIZE(flags) || !(allowed & flags[f].bit)) {
			fprintf(stderr, "cnb-lifecycle %s: unknown flag -%.*s\n", phase, (int)len, name);
			usage(phase, allowed);
			return CNB_LC_EXIT_INVALID_ARGS;
		}
		const char *value = eq ? eq + 1 : is_bool_flag(flags[f].bit) ? "true" : (i + 1 < argc ? argv[++i] : NULL);
		if (!value) {
			fprintf(stderr, "cnb-lifecycle %s: flag -%s needs a value\n", phase, flags[f].name);
			return CNB_LC_EXIT_INVALID_ARGS;
		}
		char **slot = &o->paths[bit_index(flags[f].bit)];
		free(*slot);
		*slot = strdup(value);
	}
	return 0;
}

int lc_options_parse(lc_options *o, const char *phase, unsigned allowed, int argc, char **argv, char **environ)
{
	memset(o, 0, sizeof(*o));
	int rc = parse_argv(o, phase, allowed, argc, argv);
	if (rc)
		return rc;
	for (size_t i = 0; i < CNB_ARRAY_SIZE(flags); i++) {
		char **slot = &o->paths[bit_index(flags[i].bit)];
		const char *env = getenv(flags[i].env);
		if (!*slot && env && *env && !(*slot = strdup(env)))
			return CNB_LC_EXIT_FAILED;
	}
	o->log_level = CNB_LOG_INFO;
	char **level = &o->paths[bit_index(LC_FLAG_LOG_LEVEL)];
	if (*level && !parse_level(*level, &o->log_level)) {
		fprintf(stderr, "cnb-lifecycle %s: invalid log level \"%s\" (debug, info, warn, error)\n", phase, *level);
		return CNB_LC_EXIT_INVALID_ARGS;
	}
	bool skip_layers = false;
	const char *skip = o->paths[bit_index(LC_FLAG_SKIP_LAYERS)];
	if (skip && !parse_bool(skip, &skip_layers)) {
		fprintf(stderr, "cnb-lifecycle %s: invalid boolean \"%s\" for -skip-layers (true or false)\n", phase, skip);
		return CNB_LC_EXIT_INVALID_ARGS;
	}
	/* Defaults: lifecycle platform/defaults.go. */
	static const struct {
		unsigned bit;
		const char *value;
	} defaults[] = {
		{ LC_FLAG_APP, "/workspace" },         { LC_FLAG_LAYERS, "/layers" },
		{ LC_FLAG_PLATFORM, "/platform" },     { LC_FLAG_BUILDPACKS, "/cnb/buildpacks" },
		{ LC_FLAG_BUILD_CONFIG, "/cnb/build-config" }, { LC_FLAG_SYSTEM, "/cnb/system.toml" },
		{ LC_FLAG_RUN, "/cnb/run.toml" },      { LC_FLAG_CACHE_DIR, "/cnb/cache-in" }, /* docs/cache-protocol.md */
		{ LC_FLAG_EXTENSIONS, "/cnb/extensions" }, { LC_FLAG_GENERATED, "generated" },
	};
	for (size_t i = 0; i < CNB_ARRAY_SIZE(defaults); i++)
		if (set_default(o, defaults[i].bit, defaults[i].value) < 0)
			return CNB_LC_EXIT_FAILED;
	for (size_t i = 0; i < CNB_ARRAY_SIZE(flags); i++) {
		char **slot = &o->paths[bit_index(flags[i].bit)];
		if (*slot && flags[i].bit != LC_FLAG_LOG_LEVEL && !is_bool_flag(flags[i].bit)) {
			char *abs = absolute(*slot);
			free(*slot);
			if (!(*slot = abs))
				return CNB_LC_EXIT_FAILED;
		}
	}
	/* <order> = <layers>/order.toml when it exists, else /cnb/order.toml. */
	if (!o->paths[bit_index(LC_FLAG_ORDER)]) {
		_cleanup_free_ char *in_layers = layers_file(o, "order.toml");
		struct stat st;
		if (set_default(o, LC_FLAG_ORDER, in_layers && stat(in_layers, &st) == 0 ? "order.toml" : "/cnb/order.toml") < 0)
			return CNB_LC_EXIT_FAILED;
	}
	if (set_default(o, LC_FLAG_GROUP, "group.toml") < 0 || set_default(o, LC_FLAG_PLAN, "plan.toml") < 0 ||
	    set_default(o, LC_FLAG_ANALYZED, "analyzed.toml") < 0)
		return CNB_LC_EXIT_FAILED;

	cnb_error *err = NULL;
	if (cnb__lifecycle_api_check_platform(getenv("CNB_PLATFORM_API"), &o->in.platform_api, &err)) {
		fprintf(stderr, "cnb-lifecycle %s: %s\n", phase, cnb_error_message(err));
		cnb_error_free(err);
		return CNB_LC_EXIT_PLATFORM_API;
	}
	const char *exec_env = getenv("CNB_EXEC_ENV");
	o->in = (cnb__lifecycle_phase_inputs){
		.app_dir = o->paths[bit_index(LC_FLAG_APP)],
		.layers_dir = o->paths[bit_index(LC_FLAG_LAYERS)],
		.platform_dir = o->paths[bit_index(LC_FLAG_PLATFORM)],
		.buildpacks_dir = o->paths[bit_index(LC_FLAG_BUILDPACKS)],
		.extensions_dir = o->paths[bit_index(LC_FLAG_EXTENSIONS)],
		.generated_dir = o->paths[bit_index(LC_FLAG_GENERATED)],
		.run_path = o->paths[bit_index(LC_FLAG_RUN)],
		.build_config_dir = o->paths[bit_index(LC_FLAG_BUILD_CONFIG)],
		.order_path = o->paths[bit_index(LC_FLAG_ORDER)],
		.group_path = o->paths[bit_index(LC_FLAG_GROUP)],
		.plan_path = o->paths[bit_index(LC_FLAG_PLAN)],
		.analyzed_path = o->paths[bit_index(LC_FLAG_ANALYZED)],
		.system_path = o->paths[bit_index(LC_FLAG_SYSTEM)],
		.cache_dir = o->paths[bit_index(LC_FLAG_CACHE_DIR)],
		.exec_env = exec_env && *exec_env ? exec_env : "production",
		.skip_layers = skip_layers,
		.platform_api = o->in.platform_api,
		.environ = environ,
		.log = lc_log,
		.log_ud = o,
	};
	return 0;
}

void lc_options_free(lc_options *o)
{
	for (size_t i = 0; i < CNB_ARRAY_SIZE(o->paths); i++)
		free(o->paths[i]);
}

void lc_log(void *ud, cnb_log_level level, const char *line)
{
	const lc_options *o = ud;
	if (level > o->log_level)
		return;
	/* Buildpack output is interleaved on stdout/stderr: one write per line keeps ours whole. */
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
}
