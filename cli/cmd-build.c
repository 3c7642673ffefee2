/* cnb build (also installed as cnb-build): build an app image from source with a CNB builder. */
#include "cli.h"
#include "cli-config.h"
#include "cmd-build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"Usage: cnb-build IMAGE [--builder REF] [OPTIONS]\n"
	"\n"
	"Build IMAGE from source with Cloud Native Buildpacks, without a daemon.\n"
	"Where the image goes: --publish pushes to IMAGE's registry; --output writes an OCI layout or a\n"
	"docker-archive; with neither, it goes to the local image store ($XDG_DATA_HOME/cnb/images),\n"
	"where `cnb run IMAGE` finds it. Options take --flag=value or --flag value (pack's grammar).\n"
	"\n"
	"Options:\n"
	"  -B, --builder REF          builder image (docker://REF, oci:DIR[:TAG] or a plain reference); default:\n"
	"                             project.toml's [io.buildpacks] builder, else `cnb config default-builder`\n"
	"  -p, --path DIR|FILE        app source directory, or a .zip/.jar file (default: .)\n"
	"      --publish              push IMAGE to its registry\n"
	"      --output DEST          oci:DIR[:TAG] or docker-archive:FILE\n"
	"      --run-image REF        run image (default: the builder's, or its mirror on IMAGE's registry)\n"
	"  -e, --env K=V              build-time environment variable (repeatable); -e K takes K from the environment\n"
	"      --env-file FILE        K=V lines (# comments); -e wins over it\n"
	"  -b, --buildpack BP         use exactly these buildpacks instead of the builder's order (repeatable,\n"
	"                             comma lists): ID[@VER] or urn:cnb:builder:ID in the builder,\n"
	"                             from=builder (its order), a directory, a .cnb or .tgz file, docker://REF\n"
	"                             or an image reference (a buildpackage); the builder image is not changed\n"
	"      --pre-buildpack BP     run BP before every group of the order (repeatable, comma lists)\n"
	"      --post-buildpack BP    run BP after every group of the order (repeatable, comma lists)\n"
	"      --volume HOST:TARGET[:ro|:rw]  mount a host directory into the build (read-only by default;\n"
	"                             never in the image); at /platform/bindings/NAME: a service binding\n"
	"  -d, --descriptor FILE      project.toml (default: <path>/project.toml)\n"
	"      --cache-dir DIR        build cache directory (default: under the cnb cache)\n"
	"      --cache-image REF      build cache as a registry image (shared by every machine that can pull it)\n"
	"      --clear-cache          ignore the previous build cache\n"
	"      --network default|none outbound network during the build (default: default)\n"
	"  -t, --tag REF              more names for the image, pushed with its digest: TAG or a full reference\n"
	"                             REGISTRY/REPO:TAG (repeatable, comma lists)\n"
	"      --creation-time now|EPOCH  image creation time (default: 1980-01-01T00:00:01Z, reproducible)\n"
	"      --platform OS/ARCH[,OS/ARCH...]  target platform (default: the host's); a comma list, e.g.\n"
	"                             linux/amd64,linux/arm64, builds each and writes one image index\n"
	"      --pull-policy always|if-not-present|never  builder and run image: always resolve their tags,\n"
	"                             use what the store has else pull, or only the store (default: always)\n"
	"      --previous-image REF   image to reuse layers from (default: IMAGE)\n"
	"  -D, --default-process TYPE default process type of the image\n"
	"      --exec-env NAME        CNB_EXEC_ENV of the build (default: production)\n"
	"      --uid UID / --gid GID  user and group the build runs as (default: the builder's)\n"
	"      --workspace DIR        where the app lives in the build and the image (default: /workspace)\n"
	"      --sbom-output-dir DIR  copy the build's SBOMs here (launch/, build/, cache/ as pack lays them out)\n"
	"      --report-output-dir DIR  write report.toml here ([image] tags, digest, manifest-size)\n"
	"      --report-json FILE     write the build report (digest, tags, timings) as JSON\n"
	"      --executor vm|host     where the lifecycle runs (default: vm; host = Linux namespaces, root only)\n"
	"      --cpus N               VM cpus\n"
	"      --memory SIZE          VM memory (default 2G); /workspace, /layers and temp files use 75%\n"
	"      --max-layer-size SIZE  largest layer a buildpack may write, uncompressed (default: 8G)\n"
	"      --disable-system-buildpacks  accepted: libcnb's lifecycle runs no system buildpacks\n"
	"      --docker-host, --trust-builder, --trust-extra-buildpacks, --lifecycle-image  accepted and\n"
	"                             ignored with a note (no daemon); --userns, --interactive refused\n"
	"      --insecure-registry HOST  unverified HTTPS, then plain HTTP, for HOST (loopback: HTTPS, then HTTP)\n"
	"      --version              print the version\n"
	"  -q, --quiet / -v, --verbose\n"
	"\n"
	"HTTP_PROXY, HTTPS_PROXY and NO_PROXY (and lowercase) are passed to the build, as pack does.\n"
	"Exit codes: 0 ok, 1 failure, 2 usage, 3 registry, 4 VM, 5 detect failed, 6 build failed, 130 interrupted.\n";

/* "-e NAME" takes NAME's value from our environment, like docker and pack. */
static int add_env(cnb_cli_str_list *env, const char *arg)
{
	if (strchr(arg, '='))
		return cnb_cli_list_add(env, arg, "--env");
	const char *value = getenv(arg);
	if (!value) {
		fprintf(stderr, "cnb build: --env %s: not set in the environment (use %s=VALUE)\n", arg, arg);
		return CNB_EXIT_USAGE;
	}
	char *kv = NULL;
	if (asprintf(&kv, "%s=%s", arg, value) < 0)
		return CNB_EXIT_FAILURE;
	return cnb_cli_list_add(env, kv, "--env"); /* lives until exit */
}

static int add_env_file(cnb_cli_str_list *env, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "cnb build: --env-file %s: %s\n", path, strerror(errno));
		return CNB_EXIT_USAGE;
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
		r = copy ? add_env(env, copy) : CNB_EXIT_FAILURE;
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

enum {
	KEY_PUBLISH = CNB_CLI_LONG_ONLY, KEY_OUTPUT, KEY_RUN_IMAGE, KEY_ENV_FILE, KEY_CACHE_DIR, KEY_CACHE_IMAGE,
	KEY_CLEAR_CACHE, KEY_NETWORK, KEY_CREATION_TIME, KEY_PLATFORM, KEY_PULL_POLICY, KEY_PREVIOUS_IMAGE,
	KEY_EXECUTOR, KEY_CPUS, KEY_MEMORY, KEY_MAX_LAYER_SIZE, KEY_REPORT_JSON, KEY_SBOM_DIR, KEY_REPORT_DIR,
	KEY_EXEC_ENV, KEY_UID, KEY_GID, KEY_WORKSPACE, KEY_NO_SYSTEM_BP, KEY_VERSION, KEY_DOCKER_HOST, KEY_TRUST_BUILDER,
	KEY_TRUST_EXTRA, KEY_LIFECYCLE_IMAGE, KEY_USERNS, KEY_INTERACTIVE,
};

/* pack build's flags (pack/internal/commands/build.go) that make sense without a daemon, plus ours. */
static const cnb_cli_opt build_opts[] = {
	{ "builder", 'B', "REF" },
	{ "path", 'p', "DIR|FILE" },
	{ "publish", KEY_PUBLISH, NULL },
	{ "output", KEY_OUTPUT, "DEST" },
	{ "run-image", KEY_RUN_IMAGE, "REF" },
	{ "env", 'e', "K=V" },
	{ "env-file", KEY_ENV_FILE, "FILE" },
	{ "buildpack", CNB_BUILD_KEY_BUILDPACK, "BP" },
	{ "pre-buildpack", CNB_BUILD_KEY_PRE_BUILDPACK, "BP" },
	{ "post-buildpack", CNB_BUILD_KEY_POST_BUILDPACK, "BP" },
	{ "volume", CNB_BUILD_KEY_VOLUME, "HOST:TARGET[:ro|:rw]" },
	{ "descriptor", 'd', "FILE" },
	{ "cache-dir", KEY_CACHE_DIR, "DIR" },
	{ "cache-image", KEY_CACHE_IMAGE, "REF" },
	{ "clear-cache", KEY_CLEAR_CACHE, NULL },
	{ "network", KEY_NETWORK, "default|none" },
	{ "tag", 't', "REF" },
	{ "creation-time", KEY_CREATION_TIME, "now|EPOCH" },
	{ "platform", KEY_PLATFORM, "OS/ARCH[,OS/ARCH...]" },
	{ "pull-policy", KEY_PULL_POLICY, "always|if-not-present|never" },
	{ "previous-image", KEY_PREVIOUS_IMAGE, "REF" },
	{ "default-process", 'D', "TYPE" },
	{ "executor", KEY_EXECUTOR, "vm|host" },
	{ "cpus", KEY_CPUS, "N" },
	{ "memory", KEY_MEMORY, "SIZE" },
	{ "max-layer-size", KEY_MAX_LAYER_SIZE, "SIZE" },
	{ "report-json", KEY_REPORT_JSON, "FILE" },
	{ "sbom-output-dir", KEY_SBOM_DIR, "DIR" },
	{ "report-output-dir", KEY_REPORT_DIR, "DIR" },
	{ "exec-env", KEY_EXEC_ENV, "NAME" },
	{ "uid", KEY_UID, "UID" },
	{ "gid", KEY_GID, "GID" },
	{ "workspace", KEY_WORKSPACE, "DIR" },
	{ "disable-system-buildpacks", KEY_NO_SYSTEM_BP, NULL },
	{ "version", KEY_VERSION, NULL },
	/* pack's daemon flags: taken with a note (docs/cli.md says why) */
	{ "docker-host", KEY_DOCKER_HOST, "HOST" },
	{ "trust-builder", KEY_TRUST_BUILDER, NULL },
	{ "trust-extra-buildpacks", KEY_TRUST_EXTRA, NULL },
	{ "lifecycle-image", KEY_LIFECYCLE_IMAGE, "REF" },
	{ "userns", KEY_USERNS, "MODE" },
	{ "interactive", KEY_INTERACTIVE, NULL },
	{ NULL, 0, NULL },
};

static int usage_error(const char *fmt, const char *value)
{
	fputs("cnb build: ", stderr);
	fprintf(stderr, fmt, value);
	fputc('\n', stderr);
	return CNB_EXIT_USAGE;
}

static int parse_id(const char *v, const char *flag, int64_t *out)
{
	char *end = NULL;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < 0 || n > UINT32_MAX - 1) {
		fprintf(stderr, "cnb build: %s takes a number from 0 to %u, not '%s'\n", flag, UINT32_MAX - 1, v);
		return CNB_EXIT_USAGE;
	}
	*out = n;
	return 0;
}

static int parse_creation_time(const char *v, int64_t *out)
{
	char *end = NULL;
	errno = 0;
	if (!strcmp(v, "now")) {
		*out = CNB_BUILD_TIME_NOW;
		return 0;
	}
	long long t = strtoll(v, &end, 10);
	if (t < 0 || t > CNB_BUILD_TIME_MAX || errno == ERANGE || !end || *end || end == v) {
		fprintf(stderr, "cnb build: --creation-time takes 'now' or seconds since the epoch from 0 to "
				"%lld (9999-12-31T23:59:59Z), not '%s'\n", (long long)CNB_BUILD_TIME_MAX, v);
		return CNB_EXIT_USAGE;
	}
	*out = t;
	return 0;
}

static int parse_pull_policy(const char *v, int32_t *out)
{
	static const char *const names[] = { [CNB_PULL_IF_NOT_PRESENT] = "if-not-present", [CNB_PULL_ALWAYS] = "always",
					     [CNB_PULL_NEVER] = "never" };
	for (int32_t i = 0; i < (int32_t)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(v, names[i])) {
			*out = i;
			return 0;
		}
	return usage_error("--pull-policy takes always, if-not-present or never, not '%s'", v);
}

static int parse_cpus(const char *v, uint32_t *out)
{
	char *end = NULL;
	long n = strtol(v, &end, 10);
	if (!end || *end || n < 1 || n > 64)
		return usage_error("--cpus takes a number from 1 to 64, not '%s'", v);
	*out = (uint32_t)n;
	return 0;
}

static int note(const char *what)
{
	fprintf(stderr, "cnb build: note: %s\n", what);
	return 0;
}

static int add_tag(int key, const char *value, void *state)
{
	(void)key;
	return cnb_cli_list_add(&((cnb_cli_build *)state)->tags, value, "--tag");
}

static int build_option(int key, const char *v, void *state)
{
	cnb_cli_build *b = state;
	cnb_build_opts *o = &b->opts;
	unsigned mb = 0;
	switch (key) {
	case 0:
		if (o->image)
			return fprintf(stderr, "cnb build: one IMAGE only ('%s' and '%s')\n", o->image, v), CNB_EXIT_USAGE;
		o->image = v;
		return 0;
	case 'B': o->builder = v; return 0;
	case 'p': o->app_dir = v; return 0;
	case KEY_PUBLISH: b->publish = 1; return 0;
	case KEY_OUTPUT: o->output = v; return 0;
	case KEY_RUN_IMAGE: o->run_image = v; return 0;
	case 'e': return add_env(&b->env, v);
	case KEY_ENV_FILE: return add_env_file(&b->env_file, v);
	case CNB_BUILD_KEY_BUILDPACK: case CNB_BUILD_KEY_PRE_BUILDPACK: case CNB_BUILD_KEY_POST_BUILDPACK:
	case CNB_BUILD_KEY_VOLUME:
		return cnb_cli_build_buildpack_flag(b, key, v);
	case 'd': o->descriptor = v; return 0;
	case KEY_CACHE_DIR: o->cache_dir = v; return 0;
	case KEY_CACHE_IMAGE: o->cache_image = v; return 0;
	case KEY_CLEAR_CACHE: o->clear_cache = 1; return 0;
	case KEY_NETWORK:
		if (strcmp(v, "default") && strcmp(v, "none"))
			return usage_error("--network takes default or none, not '%s'", v);
		o->network = !strcmp(v, "default");
		return 0;
	case 't': {
		char *list = strdup(v); /* split in place; lives until exit */
		return list ? cnb_cli_each_comma_item(list, key, add_tag, b) : CNB_EXIT_FAILURE;
	}
	case KEY_CREATION_TIME: return parse_creation_time(v, &o->creation_time);
	case KEY_PLATFORM: o->platform = v; return 0;
	case KEY_PULL_POLICY: return parse_pull_policy(v, &o->pull_policy);
	case KEY_PREVIOUS_IMAGE: o->previous_image = v; return 0;
	case 'D': o->process_type = v; return 0;
	case KEY_EXECUTOR: o->executor = v; return 0;
	case KEY_CPUS: return parse_cpus(v, &o->cpus);
	case KEY_MEMORY:
		return parse_size_mb(v, &o->memory_mb) < 0 ? usage_error("--memory takes a size like 512M or 2G, not '%s'", v) : 0;
	case KEY_MAX_LAYER_SIZE:
		if (parse_size_mb(v, &mb) < 0)
			return usage_error("--max-layer-size takes a size like 512M or 16G, not '%s'", v);
		o->max_layer_bytes = (uint64_t)mb << 20;
		return 0;
	case KEY_REPORT_JSON: b->report_json = v; return 0;
	case KEY_SBOM_DIR: o->sbom_output_dir = v; return 0;
	case KEY_REPORT_DIR: o->report_output_dir = v; return 0;
	case KEY_EXEC_ENV: o->exec_env = v; return 0;
	case KEY_UID: return parse_id(v, "--uid", &o->uid);
	case KEY_GID: return parse_id(v, "--gid", &o->gid);
	case KEY_WORKSPACE: o->workspace = v; return 0;
	case KEY_NO_SYSTEM_BP: return 0; /* the lifecycle in libcnb runs no system buildpacks: nothing to disable */
	case KEY_VERSION: b->version = 1; return 0;
	case KEY_DOCKER_HOST: return note("--docker-host: there is no docker daemon to talk to; ignored");
	case KEY_TRUST_BUILDER: case KEY_TRUST_EXTRA:
		return note("--trust-builder/--trust-extra-buildpacks: every builder already runs isolated (VM or "
			    "namespaces, phases split as for an untrusted builder); ignored");
	case KEY_LIFECYCLE_IMAGE:
		return note("--lifecycle-image: the lifecycle is libcnb's own, not the builder's or an image's; ignored");
	default:
		fprintf(stderr, "cnb build: --userns and --interactive need a docker daemon; cnb has none\n");
		return CNB_EXIT_USAGE;
	}
}

/* pack passes these to the build containers (pack/pkg/client/build.go: proxy settings). */
static int add_proxy_env(cnb_cli_str_list *out)
{
	static const char *const names[] = { "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);
		char *kv = NULL;
		if (!v)
			continue;
		if (asprintf(&kv, "%s=%s", names[i], v) < 0)
			return CNB_EXIT_FAILURE;
		if (cnb_cli_list_add(out, kv, "proxy variables")) /* kv lives until exit */
			return CNB_EXIT_FAILURE;
	}
	return 0;
}

/* The defaults of `cnb config`: default builder and registry mirrors. */
static int apply_config(cnb_cli_build *b)
{
	cnb_cli_config *cfg = NULL;
	int r = cnb_cli_config_load(&cfg);
	if (r)
		return r;
	b->opts.default_builder = cfg->default_builder;
	for (int i = 0; i < cfg->n_mirrors && r == 0; i++)
		r = cnb_cli_list_add(&b->mirrors, cfg->mirrors[i], "registry mirrors");
	return r; /* cfg lives until exit: opts point into it */
}

/* Options and arguments into `b`: returns CNB_CLI_PARSED or an exit code. */
static int parse_build_args(cnb_cli_build *b, int argc, char **argv)
{
	const cnb_cli_parser p = { "build", usage_text, build_opts, build_option, b, false };
	b->opts.pull_policy = CNB_PULL_ALWAYS; /* pack's default */
	int r = cnb_cli_parse(&p, argc, argv, NULL);
	if (r != CNB_CLI_PARSED)
		return r;
	if (b->version)
		return cnb_cmd_version(1, (char *[]){ (char *)"version", NULL });
	for (int i = 0; i < b->env.n; i++) /* -e wins over --env-file, wherever they stand (as in pack) */
		if ((r = cnb_cli_list_add(&b->env_file, b->env.items[i], "--env")))
			return r;
	if ((r = add_proxy_env(&b->lifecycle_env)) || (r = apply_config(b)))
		return r;
	if (!b->opts.image) {
		fprintf(stderr, "cnb build: IMAGE is required\n\n%s", usage_text);
		return CNB_EXIT_USAGE;
	}
	if (b->publish && b->opts.output) {
		fprintf(stderr, "cnb build: --publish and --output exclude each other\n");
		return CNB_EXIT_USAGE;
	}
	static char *local; /* lives until exit */
	if (!b->publish && !b->opts.output) {
		if (!(local = cnb_cli_local_image(b->opts.image)))
			return CNB_EXIT_FAILURE;
		b->opts.output = local;
	}
	b->opts.env = b->env_file.items;
	b->opts.tags = b->tags.items;
	b->opts.buildpacks = b->buildpacks.n ? b->buildpacks.items : NULL;
	b->opts.lifecycle_env = b->lifecycle_env.items;
	b->opts.registry_mirrors = b->mirrors.items;
	b->opts.pre_buildpacks = b->pre_buildpacks.items;
	b->opts.post_buildpacks = b->post_buildpacks.items;
	b->opts.volumes = b->volumes.items;
	return CNB_CLI_PARSED;
}

int cnb_cmd_build(int argc, char **argv)
{
	static cnb_cli_build b = { .opts = CNB_BUILD_OPTS_INIT };
	int rc = parse_build_args(&b, argc, argv);
	if (rc != CNB_CLI_PARSED)
		return rc;
	cnb_ctx *ctx = NULL;
	if ((rc = cnb_cli_ctx(&ctx)))
		return rc;
	cnb_error *err = NULL;
	cnb_build *build = NULL;
	if (cnb_build_new(&build, ctx, &b.opts, &err) < 0) {
		cnb_ctx_free(ctx);
		return cnb_cli_fail("build", err);
	}
	running = build;
	cnb_cli_on_interrupt(cancel_running, NULL);
	rc = cnb_build_run(build, &err);
	running = NULL;
	if (b.report_json && write_report(b.report_json, build) < 0 && rc == 0)
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
