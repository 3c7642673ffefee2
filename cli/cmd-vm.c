/* cnb vm run: one command in the build VM (or the host executor) over a root file system. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ENV 256

static void usage(FILE *f)
{
	fprintf(f, "Usage: cnb vm run --rootfs DIR [OPTIONS] -- CMD [ARG...]\n\n"
		   "Runs CMD in a fresh build VM with DIR as its root (read-only; writes go to a throw-away\n"
		   "overlay), prints its output live and exits with its exit code (124 on --timeout).\n\n"
		   "Options:\n"
		   "  --rootfs DIR          root file system (required)\n"
		   "  --executor vm|host    where to run (default vm; host: Linux namespaces, needs root)\n"
		   "  --platform OS/ARCH    the guest's platform: linux/amd64 or linux/arm64 (default: the host's;\n"
		   "                        another architecture is emulated, in the VM only)\n"
		   "  --user UID:GID        identity of the command (default 0:0)\n"
		   "  --env K=V             environment entry (repeatable; default PATH only)\n"
		   "  --cwd DIR             working directory inside (default /)\n"
		   "  --share DIR           host directory mounted read-write at /share\n"
		   "  --timeout S           kill the command after S seconds\n"
		   "  --network none        no network (default: outbound via QEMU user networking)\n"
		   "  --cpus N, --memory MB size of the VM\n"
		   "  --kernel F, --initrd F  VM image (default: $CNB_VM_KERNEL/$CNB_VM_INITRD or installed)\n"
		   "Environment: CNB_VM_ACCEL=kvm|tcg forces the first accelerator tried.\n");
}

static int cancel_pipe[2] = { -1, -1 };

static void on_interrupt(void *userdata)
{
	(void)userdata;
	if (cancel_pipe[1] >= 0 && write(cancel_pipe[1], "x", 1) < 0) {
		/* nothing more a signal handler can do */
	}
}

static bool parse_uint(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int vm_run(int argc, char **argv)
{
	cnb_vm_run_opts opts = CNB_VM_RUN_OPTS_INIT;
	opts.stdout_fd = STDOUT_FILENO; /* the command's own streams, byte for byte, like docker run */
	opts.stderr_fd = STDERR_FILENO;
	const char *env[MAX_ENV + 1];
	int n_env = 0, i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int common = cnb_cli_common_flag(argc, argv, &i);
		if (common < 0)
			return CNB_EXIT_USAGE;
		if (common)
			continue;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return CNB_EXIT_OK;
		}
		if (a[0] != '-')
			break;
		static const char *const value_flags[] = { "--rootfs", "--executor", "--cwd", "--share", "--kernel",
							   "--initrd", "--env", "--user", "--timeout", "--network",
							   "--cpus", "--memory", "--platform" };
		bool known = false;
		for (size_t k = 0; k < sizeof(value_flags) / sizeof(value_flags[0]); k++)
			known = known || !strcmp(a, value_flags[k]);
		if (!known) {
			fprintf(stderr, "cnb vm run: unknown option %s (see --help)\n", a);
			return CNB_EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "cnb vm run: %s needs a value\n", a);
			return CNB_EXIT_USAGE;
		}
		const char *v = argv[++i];
		uint32_t n = 0;
		bool ok = true;
		if (!strcmp(a, "--rootfs"))
			opts.rootfs = v;
		else if (!strcmp(a, "--executor"))
			opts.executor = v;
		else if (!strcmp(a, "--platform"))
			opts.platform = v;
		else if (!strcmp(a, "--cwd"))
			opts.cwd = v;
		else if (!strcmp(a, "--share"))
			opts.share_dir = v;
		else if (!strcmp(a, "--kernel"))
			opts.kernel = v;
		else if (!strcmp(a, "--initrd"))
			opts.initrd = v;
		else if (!strcmp(a, "--env"))
			ok = n_env < MAX_ENV && strchr(v, '=') && (env[n_env++] = v);
		else if (!strcmp(a, "--user")) {
			char uid[16];
			const char *colon = strchr(v, ':');
			ok = colon && (size_t)(colon - v) < sizeof(uid);
			if (ok) {
				snprintf(uid, sizeof(uid), "%.*s", (int)(colon - v), v);
				ok = parse_uint(uid, &opts.uid) && parse_uint(colon + 1, &opts.gid);
			}
		} else if (!strcmp(a, "--timeout"))
			ok = parse_uint(v, &n) && n <= INT32_MAX && ((opts.timeout_s = (uint32_t)n), true);
		else if (!strcmp(a, "--network"))
			ok = !strcmp(v, "none") || !strcmp(v, "default") ? ((opts.network = strcmp(v, "none") != 0), true)
									 : false;
		else if (!strcmp(a, "--cpus"))
			ok = parse_uint(v, &opts.cpus);
		else if (!strcmp(a, "--memory"))
			ok = parse_uint(v, &opts.memory_mb);
		else {
			fprintf(stderr, "cnb vm run: unknown option %s (see --help)\n", a);
			return CNB_EXIT_USAGE;
		}
		if (!ok) {
			fprintf(stderr, "cnb vm run: bad value for %s: %s\n", a, v);
			return CNB_EXIT_USAGE;
		}
	}
	if (!opts.rootfs || i >= argc) {
		usage(stderr);
		return CNB_EXIT_USAGE;
	}
	env[n_env] = NULL;
	if (n_env)
		opts.env = env;
	opts.argv = (const char *const *)&argv[i];
	cnb_ctx *ctx = NULL;
	int rc = cnb_cli_ctx(&ctx);
	if (rc)
		return rc;
	if (pipe(cancel_pipe) == 0) {
		opts.cancel_fd = cancel_pipe[0];
		cnb_cli_on_interrupt(on_interrupt, NULL);
	}
	int exit_code = -1;
	cnb_error *err = NULL;
	rc = cnb_vm_run(&exit_code, ctx, &opts, &err);
	cnb_ctx_free(ctx);
	if (rc == CNB_ETIMEOUT) {
		cnb_cli_fail("vm run", err);
		return 124; /* like timeout(1) */
	}
	if (rc < 0)
		return cnb_cli_fail("vm run", err);
	return exit_code;
}

int cnb_cmd_vm(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return vm_run(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return CNB_EXIT_OK;
	}
	usage(stderr);
	return CNB_EXIT_USAGE;
}
