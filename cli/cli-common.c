/* What every cnb command shares: context with stderr logging and progress, errors, exit codes, Ctrl-C. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

cnb_cli_globals cnb_cli;

bool cnb_cli_interactive(void)
{
	const char *ci = getenv("CI");
	if (ci && *ci && strcmp(ci, "false") && strcmp(ci, "0"))
		return false;
	return isatty(STDERR_FILENO);
}

static void log_line(int32_t level, const char *msg, void *userdata)
{
	(void)userdata;
	if (level == CNB_LOG_DEBUG && cnb_cli.verbosity < 1)
		return;
	static const char *const tags[] = { "error", "warning", "", "debug", "" };
	const char *tag = level >= 0 && level <= CNB_LOG_OUTPUT ? tags[level] : "";
	if (cnb_cli_interactive()) {
		fprintf(stderr, "\r\033[K");
		if (*tag)
			fprintf(stderr, "%s%s:\033[0m %s\n", level == CNB_LOG_ERROR ? "\033[31m" : "\033[33m", tag, msg);
		else
			fprintf(stderr, "%s\n", msg);
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[32];
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (*tag)
		fprintf(stderr, "%s.%03ld %s: %s\n", when, ts.tv_nsec / 1000000, tag, msg);
	else
		fprintf(stderr, "%s.%03ld %s\n", when, ts.tv_nsec / 1000000, msg);
}

static int progress_bar(const char *what, uint64_t done, uint64_t total, void *userdata)
{
	(void)userdata;
	if (!cnb_cli_interactive() || cnb_cli.verbosity < 0)
		return 0;
	const int width = 30;
	int filled = total ? (int)(done * width / total) : 0;
	if (filled > width)
		filled = width;
	char bar[64];
	memset(bar, '=', (size_t)filled);
	memset(bar + filled, ' ', (size_t)(width - filled));
	bar[width] = '\0';
	if (total)
		fprintf(stderr, "\r\033[K%-40.40s [%s] %5.1f/%5.1f MB", what, bar, done / 1e6, total / 1e6);
	else
		fprintf(stderr, "\r\033[K%-40.40s %5.1f MB", what, done / 1e6);
	if (total && done >= total)
		fputc('\n', stderr);
	return 0;
}

int cnb_cli_ctx(cnb_ctx **out)
{
	cnb_ctx_opts opts = CNB_CTX_OPTS_INIT;
	const char *insecure[CNB_ARRAY_LEN + 1];
	int n = 0;
	const char *env = getenv("CNB_INSECURE_REGISTRIES");
	static char envcopy[4096];
	if (env) {
		snprintf(envcopy, sizeof(envcopy), "%s", env);
		for (char *save = NULL, *tok = strtok_r(envcopy, ",", &save); tok && n < CNB_ARRAY_LEN;
		     tok = strtok_r(NULL, ",", &save))
			insecure[n++] = tok;
	}
	for (int i = 0; i < cnb_cli.n_insecure && n < CNB_ARRAY_LEN; i++)
		insecure[n++] = cnb_cli.insecure[i];
	insecure[n] = NULL;
	opts.cache_dir = getenv("CNB_CACHE_DIR");
	opts.log = log_line;
	opts.progress = progress_bar;
	opts.insecure_registries = insecure;
	/* Levels are ordered ERROR < WARN < INFO < DEBUG < OUTPUT; the default shows build output but
	 * hides debug lines, which the log callback below filters. */
	opts.log_level = cnb_cli.verbosity < 0 ? CNB_LOG_WARN : CNB_LOG_OUTPUT;
	cnb_error *err = NULL;
	if (cnb_ctx_new(out, &opts, &err) < 0)
		return cnb_cli_fail("init", err);
	return 0;
}

int cnb_cli_exit_code(int code)
{
	switch (code) {
	case CNB_OK: return CNB_EXIT_OK;
	case CNB_EINVAL: return CNB_EXIT_USAGE;
	case CNB_ENOTFOUND: case CNB_EAUTH: case CNB_EREGISTRY: case CNB_EDIGEST: case CNB_ENETWORK:
		return CNB_EXIT_REGISTRY;
	case CNB_EVM: case CNB_ETIMEOUT: return CNB_EXIT_VM;
	case CNB_EDETECT: return CNB_EXIT_DETECT;
	case CNB_EBUILD: return CNB_EXIT_BUILD;
	case CNB_ECANCELED: return CNB_EXIT_CANCELED;
	default: return CNB_EXIT_FAILURE;
	}
}

int cnb_cli_fail(const char *cmd, cnb_error *err)
{
	int code = cnb_error_code_of(err);
	if (cnb_cli_interactive())
		fprintf(stderr, "\r\033[K\033[31mcnb %s:\033[0m %s\n", cmd, cnb_error_message(err));
	else
		fprintf(stderr, "cnb %s: %s\n", cmd, cnb_error_message(err));
	cnb_error_free(err);
	return cnb_cli_exit_code(code);
}

int cnb_cli_common_flag(int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
		cnb_cli.verbosity = -1;
		return 1;
	}
	if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
		cnb_cli.verbosity = 1;
		return 1;
	}
	if (strcmp(a, "--insecure-registry"))
		return 0;
	if (*i + 1 >= argc || cnb_cli.n_insecure >= (int)CNB_ARRAY_LEN) {
		fprintf(stderr, "cnb: --insecure-registry needs a value (at most %d of them)\n", CNB_ARRAY_LEN);
		return -1;
	}
	cnb_cli.insecure[cnb_cli.n_insecure++] = argv[++*i];
	return 1;
}

int cnb_cli_standard_flag(int argc, char **argv, int *i, const char *usage)
{
	if (!strcmp(argv[*i], "-h") || !strcmp(argv[*i], "--help")) {
		fputs(usage, stdout);
		return CNB_EXIT_OK;
	}
	int common = cnb_cli_common_flag(argc, argv, i);
	return common < 0 ? CNB_EXIT_USAGE : common > 0 ? CNB_CLI_TAKEN : CNB_CLI_NEXT;
}

int cnb_cli_make_image(const char *cmd, cnb_cli_image_maker make, void *args, const char *dest)
{
	cnb_ctx *ctx = NULL;
	int rc = cnb_cli_ctx(&ctx);
	if (rc != 0)
		return rc;
	cnb_error *err = NULL;
	char *digest = NULL;
	if (make(&digest, ctx, args, &err) < 0)
		rc = cnb_cli_fail(cmd, err);
	else
		printf("%s%s%s\n", dest ? dest : "", dest ? "@" : "", digest);
	cnb_free(digest);
	cnb_ctx_free(ctx);
	return rc;
}

int cnb_cli_run_subcommand(const char *cmd, const char *usage, const cnb_cli_subcommand *subs, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	for (const cnb_cli_subcommand *s = subs; sub && s->name; s++)
		if (!strcmp(sub, s->name))
			return s->run(argc - 1, argv + 1);
	bool help = sub && (!strcmp(sub, "--help") || !strcmp(sub, "-h"));
	if (!sub || help) {
		fputs(usage, help ? stdout : stderr);
		return help ? CNB_EXIT_OK : CNB_EXIT_USAGE;
	}
	fprintf(stderr, "cnb %s: unknown subcommand '%s' (try:", cmd, sub);
	for (const cnb_cli_subcommand *s = subs; s->name; s++)
		fprintf(stderr, "%s cnb %s %s --help", s == subs ? "" : ",", cmd, s->name);
	fprintf(stderr, ")\n");
	return CNB_EXIT_USAGE;
}

static void (*interrupt_cancel)(void *);
static void *interrupt_userdata;

static void on_signal(int sig)
{
	signal(sig, SIG_DFL);
	if (interrupt_cancel)
		interrupt_cancel(interrupt_userdata);
}

void cnb_cli_on_interrupt(void (*cancel)(void *), void *userdata)
{
	interrupt_cancel = cancel;
	interrupt_userdata = userdata;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

char *cnb_cli_local_image(const char *image)
{
	const char *data = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *out = NULL;
	int n = data && *data == '/' ? asprintf(&out, "oci:%s/cnb/images:%s", data, image)
				     : asprintf(&out, "oci:%s/.local/share/cnb/images:%s", home && *home ? home : "/tmp", image);
	return n < 0 ? NULL : out;
}
