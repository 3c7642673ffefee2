/* cnb run: run an image's process in the VM, the daemonless `docker run`. */
#include "cli.h"
#include "cli-image.h"
#include "cli-opts.h"
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

enum { KEY_PROCESS = CNB_CLI_LONG_ONLY, KEY_EXECUTOR, KEY_NETWORK, KEY_TIMEOUT, KEY_PLATFORM };

static const cnb_cli_opt run_opts[] = {
	{ "process", KEY_PROCESS, "TYPE" },
	{ "env", 'e', "K=V" },
	{ "executor", KEY_EXECUTOR, "vm|host" },
	{ "platform", KEY_PLATFORM, "OS/ARCH" },
	{ "network", KEY_NETWORK, "default|none" },
	{ "timeout", KEY_TIMEOUT, "SECONDS" },
	{ NULL, 0, NULL },
};

typedef struct run_args {
	cnb_image_run_opts opts;
	const char *env[MAX_ENV + 1];
	int n_env;
	const char *image;
} run_args;

static int run_option(int key, const char *v, void *state)
{
	run_args *r = state;
	char *end = NULL;
	long t;
	switch (key) {
	case KEY_PROCESS: r->opts.process_type = v; return 0;
	case 'e':
		if (r->n_env >= MAX_ENV || !strchr(v, '=')) {
			fprintf(stderr, "cnb run: --env takes K=V (at most %d)\n", MAX_ENV);
			return CNB_EXIT_USAGE;
		}
		r->env[r->n_env++] = v;
		return 0;
	case KEY_EXECUTOR: r->opts.executor = v; return 0;
	case KEY_PLATFORM: r->opts.platform = v; return 0;
	case KEY_NETWORK:
		if (strcmp(v, "default") && strcmp(v, "none")) {
			fprintf(stderr, "cnb run: --network takes default or none, not '%s'\n", v);
			return CNB_EXIT_USAGE;
		}
		r->opts.network = !strcmp(v, "default");
		return 0;
	case KEY_TIMEOUT:
		t = strtol(v, &end, 10);
		if (!*v || *end || t < 1 || t > INT32_MAX) {
			fprintf(stderr, "cnb run: --timeout takes a number of seconds, not '%s'\n", v);
			return CNB_EXIT_USAGE;
		}
		r->opts.timeout_s = (uint32_t)t;
		return 0;
	default:
		if (r->image)
			return CNB_CLI_REST_HERE; /* the process's arguments, as with docker run */
		r->image = v;
		return 0;
	}
}

int cnb_cmd_run(int argc, char **argv)
{
	static run_args r = { .opts = CNB_IMAGE_RUN_OPTS_INIT };
	const cnb_cli_parser p = { "run", usage_text, run_opts, run_option, &r, true };
	int i = argc;
	int parsed = cnb_cli_parse(&p, argc, argv, &i);
	if (parsed != CNB_CLI_PARSED)
		return parsed;
	if (!r.image) {
		fprintf(stderr, "%s", usage_text);
		return CNB_EXIT_USAGE;
	}
	cnb_image_run_opts opts = r.opts;
	opts.stdout_fd = STDOUT_FILENO; /* the process's own streams, byte for byte, like docker run */
	opts.stderr_fd = STDERR_FILENO;
	const char **env = r.env;
	int n_env = r.n_env;
	const char *image = r.image;
	env[n_env] = NULL;
	opts.env = env;
	opts.args = i < argc ? (const char *const *)argv + i : NULL;
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
	if (cnb_ctx_new(&ctx, &copts, &err) < 0)
		return cnb_cli_fail("run", err);
	/* A bare name that the local store holds runs from there, as docker prefers local images. */
	char *resolved = cnb_cli_resolve_image(ctx, image, NULL);
	opts.image = resolved;
	if (!resolved)
		rc = CNB_EXIT_FAILURE;
	else if (cnb_image_run(&exit_code, ctx, &opts, &err) < 0)
		rc = cnb_cli_fail("run", err);
	else
		rc = exit_code;
	cnb_ctx_free(ctx);
	free(resolved);
	return rc;
}
