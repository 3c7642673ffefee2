/* build-app: build an app image with libcnb from C, through the public API only.
 *
 *   build-app [--executor vm|host] IMAGE BUILDER [APP_DIR]
 *
 * Builds APP_DIR (default: .) with BUILDER, pushes IMAGE to its registry and prints the manifest
 * digest on stdout. The library never prints: its log lines arrive in on_log() below, buildpack
 * output among them (CNB_LOG_OUTPUT). Ctrl-C cancels the build (cnb_build_cancel is signal-safe).
 * Exit status: 0 ok, 2 usage, 1 any build error (its code name is printed).
 *
 * Build it against an installed libcnb with:
 *   cc -o build-app build-app.c $(pkg-config --cflags --libs libcnb)
 */
#include <cnb/cnb.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

static cnb_build *current;

static void on_log(int32_t level, const char *msg, void *userdata)
{
	FILE *out = userdata;
	static const char *const names[] = { "error", "warn", "info", "debug", "output" };
	const char *name = level >= 0 && level <= CNB_LOG_OUTPUT ? names[level] : "?";
	if (level == CNB_LOG_OUTPUT)
		fprintf(out, "  | %s\n", msg); /* a line the buildpack printed */
	else
		fprintf(out, "[%s] %s\n", name, msg);
}

static void on_signal(int sig)
{
	(void)sig;
	if (current)
		cnb_build_cancel(current);
}

int main(int argc, char **argv)
{
	const char *executor = NULL;
	int arg = 1;
	if (argc > 2 && !strcmp(argv[1], "--executor")) {
		executor = argv[2];
		arg = 3;
	}
	if (argc - arg < 2 || argc - arg > 3) {
		fprintf(stderr, "usage: %s [--executor vm|host] IMAGE BUILDER [APP_DIR]\n", argv[0]);
		return 2;
	}

	cnb_ctx_opts copts = CNB_CTX_OPTS_INIT;
	copts.log = on_log;
	copts.userdata = stderr;
	copts.log_level = CNB_LOG_OUTPUT; /* everything up to the buildpacks' own output */

	cnb_ctx *ctx = NULL;
	cnb_build *build = NULL;
	cnb_error *err = NULL;
	if (cnb_ctx_new(&ctx, &copts, &err) < 0)
		goto fail;

	cnb_build_opts opts = CNB_BUILD_OPTS_INIT;
	opts.image = argv[arg];
	opts.builder = argv[arg + 1];
	opts.app_dir = argc - arg == 3 ? argv[arg + 2] : ".";
	opts.executor = executor; /* NULL: the VM */
	/* opts.output stays NULL: push to IMAGE's registry, like `cnb-build --publish`. */
	if (cnb_build_new(&build, ctx, &opts, &err) < 0)
		goto fail;

	current = build;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	int rc = cnb_build_run(build, &err);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	current = NULL;
	if (rc < 0)
		goto fail;

	printf("%s\n", cnb_build_digest(build));
	fprintf(stderr, "built %s\n", cnb_build_reference(build));
	cnb_build_free(build);
	cnb_ctx_free(ctx);
	return 0;

fail:
	fprintf(stderr, "build-app: %s (%s)\n", cnb_error_message(err), cnb_error_code_name(cnb_error_code_of(err)));
	cnb_error_free(err);
	cnb_build_free(build);
	cnb_ctx_free(ctx);
	return 1;
}
