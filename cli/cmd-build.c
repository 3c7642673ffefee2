/* cnb build (also installed as cnb-build): build an app image from source with a CNB builder. */
#include "cli.h"
#include <cnb/build.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 256

static const char usage_text[] =
	"Usage: cnb-build IMAGE --builder REF [OPTIONS]\n"
	"\n"
	"Build IMAGE from source with Cloud Native Buildpacks, without a daemon.\n"
	"Where the image goes: --publish pushes to IMAGE's registry; --output writes an OCI layout or a\n"
	"docker-archive; with neither, it goes to the local image store ($XDG_DATA_HOME/cnb/images),\n"
	"where `cnb run IMAGE` finds it.\n"
	"\n"
	"Options:\n"
	"  -B, --builder REF          builder image (docker://REF, oci:DIR[:TAG] or a plain reference)\n"
	"  -p, --path DIR             app source directory (default: .)\n"
	"      --publish              push IMAGE to its registry\n"
	"      --output DEST          oci:DIR[:TAG] or docker-archive:FILE\n"
	"      --run-image REF        run image (default: the builder's run.toml)\n"
	"  -e, --env K=V              build-time environment variable (repeatable); -e K takes K from the environment\n"
	"      --env-file FILE        K=V lines (# comments)\n"
	"  -b, --buildpack ID[@VER]   use these buildpacks of the builder instead of its order (repeatable)\n"
	"  -d, --descriptor FILE      project.toml (default: <path>/project.toml)\n"
	"      --cache-dir DIR        build cache directory (default: under the cnb cache)\n"
	"      --cache-image REF      build cache as a registry image (shared by every machine that can pull it)\n"
	"      --clear-cache          ignore the previous build cache\n"
	"      --network default|none outbound network during the build (default: default)\n"
	"  -t, --tag TAG              extra tag (repeatable)\n"
	"      --creation-time now|EPOCH  image creation time (default: 1980-01-01T00:00:01Z, reproducible)\n"
	"      --platform OS/ARCH     target platform (default: linux/amd64)\n"
	"      --pull-policy always|if-not-present  (tags are always resolved; cached layers are never\n"
	"                             downloaded twice; never is not supported yet)\n"
	"      --previous-image REF   image to reuse layers from (default: IMAGE)\n"
	"      --default-process TYPE default process type of the image\n"
	"      --executor vm|host     where the lifecycle runs (default: vm; host = Linux namespaces, root only)\n"
	"      --cpus N               VM cpus\n"
	"      --memory SIZE          VM memory (default 2G); /workspace, /layers and temp files use 75%\n"
	"      --max-layer-size SIZE  largest layer a buildpack may write, uncompressed (default: 8G)\n"
	"      --insecure-registry HOST  allow plain HTTP for HOST (loopback always is)\n"
	"      --report-json FILE     write the build report (digest, tags, timings) as JSON\n"
	"  -q, --quiet / -v, --verbose\n"
	"\n"
	"Exit codes: 0 ok, 1 failure, 2 usage, 3 registry, 4 VM, 5 detect failed, 6 build failed, 130 interrupted.\n";

typedef struct str_list {
	const char *items[MAX_LIST + 1];
	int n;
} str_list;

static int list_add(str_list *l, const char *s, const char *flag)
{
	if (l->n >= MAX_LIST) {
		fprintf(stderr, "cnb build: too many %s (at most %d)\n", flag, MAX_LIST);
		return -1;
	}
	l->items[l->n++] = s;
	l->items[l->n] = NULL;
	return 0;
}

/* "-e NAME" takes NAME's value from our environment, like docker and pack. */
static int add_env(str_list *env, const char *arg)
{
	if (strchr(arg, '='))
		return list_add(env, arg, "--env");
	const char *value = getenv(arg);
	if (!value) {
		fprintf(stderr, "cnb build: --env %s: not set in the environment (use %s=VALUE)\n", arg, arg);
		return -1;
	}
	char *kv = NULL;
	if (asprintf(&kv, "%s=%s", arg, value) < 0)
		return -1;
	return list_add(env, kv, "--env"); /* lives until exit */
}

static int add_env_file(str_list *env, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "cnb build: --env-file %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;
	while (r == 0 && (n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *s = line + strspn(line, " \t");
		if (!*s || *s == '#')
			continue;
		char *copy = strdup(s);
		r = copy ? add_env(env, copy) : -1;
	}
	free(line);
	fclose(f);
	return r;
}

static int parse_size_mb(const char *s, unsigned *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'G': case 'g': v *= 1024; end++; break;
	case 'M': case 'm': case '\0': if (*end) end++; break;
	default: return -1;
	}
	if (*end == 'B' || *end == 'b' || (*end == 'i' && end[1] == 'B'))
		end += *end == 'i' ? 2 : 1;
	if (*end || v == 0 || v > 1024 * 1024)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static cnb_build *running;

static void cancel_running(void *userdata)
{
	(void)userdata;
	if (running)
		cnb_build_cancel(running);
}

static int write_report(const char *path, const cnb_build *b)
{
	char *json = cnb_build_report_json(b);
	FILE *f = json ? fopen(path, "we") : NULL;
	int ok = f && fputs(json, f) >= 0 && fputc('\n', f) != EOF;
	if (f && fclose(f) != 0)
		ok = 0;
	cnb_free(json);
	if (!ok)
		fprintf(stderr, "cnb build: --report-json %s: could not write the report\n", path);
	return ok ? 0 : -1;
}

#define NEED_VALUE()                                                                           \
	do {                                                                                   \
		if (i + 1 >= argc) {                                                           \
			fprintf(stderr, "cnb build: %s needs a value\n", a);                   \
			return CNB_EXIT_USAGE;                                                 \
		}                                                                              \
		v = argv[++i];                                                                 \
	} while (0)

int cnb_cmd_build(int argc, char **argv)
{
	cnb_build_opts opts = CNB_BUILD_OPTS_INIT;
	static str_list env, tags, buildpacks;
	bool publish = false;
	const char *report = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		int std = cnb_cli_standard_flag(argc, argv, &i, usage_text);
		if (std == CNB_CLI_TAKEN)
			continue;
		if (std != CNB_CLI_NEXT)
			return std;
		if (!strcmp(a, "-B") || !strcmp(a, "--builder")) {
			NEED_VALUE(); opts.builder = v;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--path")) {
			NEED_VALUE(); opts.app_dir = v;
		} else if (!strcmp(a, "--publish")) {
			publish = true;
		} else if (!strcmp(a, "--output")) {
			NEED_VALUE(); opts.output = v;
		} else if (!strcmp(a, "--run-image")) {
			NEED_VALUE(); opts.run_image = v;
		} else if (!strcmp(a, "-e") || !strcmp(a, "--env")) {
			NEED_VALUE();
			if (add_env(&env, v) < 0)
				return CNB_EXIT_USAGE;
		} else if (!strcmp(a, "--env-file")) {
			NEED_VALUE();
			if (add_env_file(&env, v) < 0)
				return CNB_EXIT_USAGE;
		} else if (!strcmp(a, "-b") || !strcmp(a, "--buildpack")) {
			NEED_VALUE();
			if (list_add(&buildpacks, v, "--buildpack") < 0)
				return CNB_EXIT_USAGE;
		} else if (!strcmp(a, "-d") || !strcmp(a, "--descriptor")) {
			NEED_VALUE(); opts.descriptor = v;
		} else if (!strcmp(a, "--cache-dir")) {
			NEED_VALUE(); opts.cache_dir = v;
		} else if (!strcmp(a, "--cache-image")) {
			NEED_VALUE(); opts.cache_image = v;
		} else if (!strcmp(a, "--clear-cache")) {
			opts.clear_cache = 1;
		} else if (!strcmp(a, "--network")) {
			NEED_VALUE();
			if (strcmp(v, "default") && strcmp(v, "none")) {
				fprintf(stderr, "cnb build: --network takes default or none, not '%s'\n", v);
				return CNB_EXIT_USAGE;
			}
			opts.network = !strcmp(v, "default");
		} else if (!strcmp(a, "-t") || !strcmp(a, "--tag")) {
			NEED_VALUE();
			if (list_add(&tags, v, "--tag") < 0)
				return CNB_EXIT_USAGE;
		} else if (!strcmp(a, "--creation-time")) {
			NEED_VALUE();
			char *end = NULL;
			errno = 0;
			if (!strcmp(v, "now"))
				opts.creation_time = CNB_BUILD_TIME_NOW;
			else if ((opts.creation_time = strtoll(v, &end, 10)) < 0 || opts.creation_time > CNB_BUILD_TIME_MAX ||
				 errno == ERANGE || !end || *end || end == v) {
				fprintf(stderr, "cnb build: --creation-time takes 'now' or seconds since the epoch from 0 to "
						"%lld (9999-12-31T23:59:59Z), not '%s'\n", (long long)CNB_BUILD_TIME_MAX, v);
				return CNB_EXIT_USAGE;
			}
		} else if (!strcmp(a, "--platform")) {
			NEED_VALUE(); opts.platform = v;
		} else if (!strcmp(a, "--pull-policy")) {
			NEED_VALUE();
			if (!strcmp(v, "always"))
				opts.pull_policy = CNB_PULL_ALWAYS;
			else if (!strcmp(v, "if-not-present"))
				opts.pull_policy = CNB_PULL_IF_NOT_PRESENT;
			else if (!strcmp(v, "never"))
				opts.pull_policy = CNB_PULL_NEVER;
			else {
				fprintf(stderr, "cnb build: --pull-policy takes always, if-not-present or never, not '%s'\n", v);
				return CNB_EXIT_USAGE;
			}
		} else if (!strcmp(a, "--previous-image")) {
			NEED_VALUE(); opts.previous_image = v;
		} else if (!strcmp(a, "--default-process")) {
			NEED_VALUE(); opts.process_type = v;
		} else if (!strcmp(a, "--executor")) {
			NEED_VALUE(); opts.executor = v;
		} else if (!strcmp(a, "--cpus")) {
			NEED_VALUE();
			char *end = NULL;
			long n = strtol(v, &end, 10);
			if (!end || *end || n < 1 || n > 64) {
				fprintf(stderr, "cnb build: --cpus takes a number from 1 to 64, not '%s'\n", v);
				return CNB_EXIT_USAGE;
			}
			opts.cpus = (unsigned)n;
		} else if (!strcmp(a, "--memory")) {
			NEED_VALUE();
			if (parse_size_mb(v, &opts.memory_mb) < 0) {
				fprintf(stderr, "cnb build: --memory takes a size like 512M or 2G, not '%s'\n", v);
				return CNB_EXIT_USAGE;
			}
		} else if (!strcmp(a, "--max-layer-size")) {
			NEED_VALUE();
			unsigned mb = 0;
			if (parse_size_mb(v, &mb) < 0) {
				fprintf(stderr, "cnb build: --max-layer-size takes a size like 512M or 16G, not '%s'\n", v);
				return CNB_EXIT_USAGE;
			}
			opts.max_layer_bytes = (uint64_t)mb << 20;
		} else if (!strcmp(a, "--report-json")) {
			NEED_VALUE(); report = v;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "cnb build: unknown option %s (see cnb-build --help)\n", a);
			return CNB_EXIT_USAGE;
		} else if (!opts.image) {
			opts.image = a;
		} else {
			fprintf(stderr, "cnb build: one IMAGE only ('%s' and '%s')\n", opts.image, a);
			return CNB_EXIT_USAGE;
		}
	}
	if (!opts.image || !opts.builder) {
		fprintf(stderr, "cnb build: IMAGE and --builder are required\n\n%s", usage_text);
		return CNB_EXIT_USAGE;
	}
	if (publish && opts.output) {
		fprintf(stderr, "cnb build: --publish and --output exclude each other\n");
		return CNB_EXIT_USAGE;
	}
	static char *local; /* lives until exit */
	if (!publish && !opts.output) {
		if (!(local = cnb_cli_local_image(opts.image)))
			return CNB_EXIT_FAILURE;
		opts.output = local;
	}
	opts.env = env.items;
	opts.tags = tags.items;
	opts.buildpacks = buildpacks.n ? buildpacks.items : NULL;

	cnb_ctx *ctx = NULL;
	int rc = cnb_cli_ctx(&ctx);
	if (rc)
		return rc;
	cnb_error *err = NULL;
	cnb_build *build = NULL;
	if (cnb_build_new(&build, ctx, &opts, &err) < 0) {
		cnb_ctx_free(ctx);
		return cnb_cli_fail("build", err);
	}
	running = build;
	cnb_cli_on_interrupt(cancel_running, NULL);
	rc = cnb_build_run(build, &err);
	running = NULL;
	if (report && write_report(report, build) < 0 && rc == 0)
		rc = CNB_EIO;
	if (rc < 0) {
		cnb_build_free(build);
		cnb_ctx_free(ctx);
		return err ? cnb_cli_fail("build", err) : cnb_cli_exit_code(rc);
	}
	printf("%s\n", cnb_build_reference(build));
	fprintf(stderr, "Successfully built %s\n", cnb_build_reference(build));
	cnb_build_free(build);
	cnb_ctx_free(ctx);
	return CNB_EXIT_OK;
}
