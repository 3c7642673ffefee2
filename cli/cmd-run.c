/* cnb run: run an image's process in the VM, the daemonless `docker run`. */
#include "cli.h"
#include <cnb/image.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"Usage: cnb run IMAGE [OPTIONS] [-- ARGS...]\n"
	"\n"
	"Run IMAGE's default process (or --process TYPE) in a throw-away VM and print its output.\n"
	"IMAGE is looked up in the local image store (where cnb-build puts images built without\n"
	"--publish) first, then in its registry. docker://REF and oci:DIR[:TAG] are taken as they are.\n"
	"The exit code is the process's.\n"
	"\n"
	"Options:\n"
	"      --process TYPE         run /cnb/process/TYPE (a CNB process type)\n"
	"  -e, --env K=V              extra environment variable (repeatable)\n"
	"      --executor vm|host     where it runs (default: vm)\n"
	"      --platform OS/ARCH     the image to run from a multi-platform index, e.g. linux/arm64\n"
	"                             (default: the host's); another architecture is emulated in the VM\n"
	"      --network default|none\n"
	"      --timeout SECONDS      kill the process after this long\n"
	"      --insecure-registry HOST\n"
	"  -q, --quiet / -v, --verbose\n";

#define MAX_ENV 256

static int stdout_log_level;

/* The process's output goes to our stdout; everything else the library says, to stderr. */
static void print_output(int32_t level, const char *msg, void *userdata)
{
	(void)userdata;
	if (level == CNB_LOG_OUTPUT)
		printf("%s\n", msg);
	else if (level <= stdout_log_level)
		fprintf(stderr, "%s\n", msg);
	fflush(stdout);
}

/* A bare name that exists in the local store runs from there, as docker prefers local images. */
static char *resolve_image(const char *image)
{
	if (!strncmp(image, "docker://", 9) || !strncmp(image, "oci:", 4))
		return strdup(image);
	char *local = cnb_cli_local_image(image);
	if (!local)
		return NULL;
	/* "oci:<dir>:<tag>": is <tag> in <dir>/index.json? */
	const char *dir = local + 4;
	const char *colon = strrchr(dir, ':');
	char *index = NULL;
	if (!colon || asprintf(&index, "%.*s/index.json", (int)(colon - dir), dir) < 0) {
		free(local);
		return NULL;
	}
	FILE *f = fopen(index, "re");
	free(index);
	bool found = false;
	if (f) {
		char needle[1024], buf[8192];
		snprintf(needle, sizeof(needle), "\"org.opencontainers.image.ref.name\":\"%s\"", colon + 1);
		size_t n;
		char *all = NULL;
		size_t len = 0;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && len < (16u << 20)) {
			char *grown = realloc(all, len + n + 1);
			if (!grown)
				break;
			all = grown;
			memcpy(all + len, buf, n);
			len += n;
			all[len] = '\0';
		}
		found = all && strstr(all, needle);
		free(all);
		fclose(f);
	}
	if (found)
		return local;
	free(local);
	return strdup(image);
}

int cnb_cmd_run(int argc, char **argv)
{
	cnb_image_run_opts opts = CNB_IMAGE_RUN_OPTS_INIT;
	opts.stdout_fd = STDOUT_FILENO; /* the process's own streams, byte for byte, like docker run */
	opts.stderr_fd = STDERR_FILENO;
	static const char *env[MAX_ENV + 1];
	int n_env = 0;
	const char *image = NULL;
	int i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		int std = cnb_cli_standard_flag(argc, argv, &i, usage_text);
		if (std == CNB_CLI_TAKEN)
			continue;
		if (std != CNB_CLI_NEXT)
			return std;
		bool takes_value = !strcmp(a, "--process") || !strcmp(a, "-e") || !strcmp(a, "--env") ||
				   !strcmp(a, "--executor") || !strcmp(a, "--network") || !strcmp(a, "--timeout") ||
				   !strcmp(a, "--platform");
		if (takes_value && i + 1 >= argc) {
			fprintf(stderr, "cnb run: %s needs a value\n", a);
			return CNB_EXIT_USAGE;
		}
		if (!strcmp(a, "--process")) {
			opts.process_type = argv[++i];
		} else if (!strcmp(a, "-e") || !strcmp(a, "--env")) {
			if (n_env >= MAX_ENV || !strchr(argv[i + 1], '=')) {
				fprintf(stderr, "cnb run: --env takes K=V (at most %d)\n", MAX_ENV);
				return CNB_EXIT_USAGE;
			}
			env[n_env++] = argv[++i];
		} else if (!strcmp(a, "--executor")) {
			opts.executor = argv[++i];
		} else if (!strcmp(a, "--platform")) {
			opts.platform = argv[++i];
		} else if (!strcmp(a, "--network")) {
			const char *v = argv[++i];
			if (strcmp(v, "default") && strcmp(v, "none")) {
				fprintf(stderr, "cnb run: --network takes default or none, not '%s'\n", v);
				return CNB_EXIT_USAGE;
			}
			opts.network = !strcmp(v, "default");
		} else if (!strcmp(a, "--timeout")) {
			const char *v = argv[++i];
			char *end = NULL;
			long t = strtol(v, &end, 10);
			if (!*v || *end || t < 1 || t > INT32_MAX) {
				fprintf(stderr, "cnb run: --timeout takes a number of seconds, not '%s'\n", v);
				return CNB_EXIT_USAGE;
			}
			opts.timeout_s = (uint32_t)t;
		} else if (a[0] == '-') {
			fprintf(stderr, "cnb run: unknown option %s\n\n%s", a, usage_text);
			return CNB_EXIT_USAGE;
		} else if (!image) {
			image = a;
		} else {
			break; /* the rest are the process's arguments, as with docker run */
		}
	}
	if (!image) {
		fprintf(stderr, "%s", usage_text);
		return CNB_EXIT_USAGE;
	}
	env[n_env] = NULL;
	opts.env = env;
	opts.args = i < argc ? (const char *const *)argv + i : NULL;
	char *resolved = resolve_image(image);
	if (!resolved)
		return CNB_EXIT_FAILURE;
	opts.image = resolved;
	cnb_ctx_opts copts = CNB_CTX_OPTS_INIT;
	const char *insecure[CNB_ARRAY_LEN + 1] = { 0 };
	for (int k = 0; k < cnb_cli.n_insecure; k++)
		insecure[k] = cnb_cli.insecure[k];
	stdout_log_level = cnb_cli.verbosity > 0 ? CNB_LOG_DEBUG : cnb_cli.verbosity < 0 ? CNB_LOG_ERROR : CNB_LOG_WARN;
	copts.cache_dir = getenv("CNB_CACHE_DIR");
	copts.log = print_output;
	copts.log_level = CNB_LOG_OUTPUT;
	copts.insecure_registries = insecure;
	cnb_ctx *ctx = NULL;
	cnb_error *err = NULL;
	int exit_code = 0, rc;
	if (cnb_ctx_new(&ctx, &copts, &err) < 0) {
		free(resolved);
		return cnb_cli_fail("run", err);
	}
	if (cnb_image_run(&exit_code, ctx, &opts, &err) < 0)
		rc = cnb_cli_fail("run", err);
	else
		rc = exit_code;
	cnb_ctx_free(ctx);
	free(resolved);
	return rc;
}
