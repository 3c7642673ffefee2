/* cnb vm run: one command in the build VM (or the host executor) over a root file system. */
#include "cli.h"
#include "cli-opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ENV 256

static const char vm_usage[] =
	"Usage: cnb vm run --rootfs DIR [OPTIONS] -- CMD [ARG...]\n\n"
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
	"Environment: CNB_VM_ACCEL=kvm|tcg forces the first accelerator tried.\n";

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

enum { KEY_ROOTFS = CNB_CLI_LONG_ONLY, KEY_EXECUTOR, KEY_CWD, KEY_SHARE, KEY_KERNEL, KEY_INITRD, KEY_ENV, KEY_USER,
       KEY_TIMEOUT, KEY_NETWORK, KEY_CPUS, KEY_MEMORY, KEY_PLATFORM };

static const cnb_cli_opt vm_opts[] = {
	{ "rootfs", KEY_ROOTFS, "DIR" },     { "executor", KEY_EXECUTOR, "vm|host" }, { "cwd", KEY_CWD, "DIR" },
	{ "share", KEY_SHARE, "DIR" },       { "kernel", KEY_KERNEL, "FILE" },        { "initrd", KEY_INITRD, "FILE" },
	{ "env", KEY_ENV, "K=V" },           { "user", KEY_USER, "UID:GID" },         { "timeout", KEY_TIMEOUT, "S" },
	{ "network", KEY_NETWORK, "default|none" }, { "cpus", KEY_CPUS, "N" },        { "memory", KEY_MEMORY, "MB" },
	{ "platform", KEY_PLATFORM, "OS/ARCH" },
	{ NULL, 0, NULL },
};

typedef struct vm_args {
	cnb_vm_run_opts opts;
	const char *env[MAX_ENV + 1];
	int n_env;
} vm_args;

static bool parse_user(const char *v, cnb_vm_run_opts *o)
{
	char uid[16];
	const char *colon = strchr(v, ':');
	if (!colon || (size_t)(colon - v) >= sizeof(uid))
		return false;
	snprintf(uid, sizeof(uid), "%.*s", (int)(colon - v), v);
	return parse_uint(uid, &o->uid) && parse_uint(colon + 1, &o->gid);
}

static int vm_option(int key, const char *v, void *state)
{
	vm_args *a = state;
	cnb_vm_run_opts *o = &a->opts;
	uint32_t n = 0;
	bool ok = true;
	switch (key) {
	case 0: return CNB_CLI_REST_HERE; /* CMD [ARG...] */
	case KEY_ROOTFS: o->rootfs = v; break;
	case KEY_EXECUTOR: o->executor = v; break;
	case KEY_PLATFORM: o->platform = v; break;
	case KEY_CWD: o->cwd = v; break;
	case KEY_SHARE: o->share_dir = v; break;
	case KEY_KERNEL: o->kernel = v; break;
	case KEY_INITRD: o->initrd = v; break;
	case KEY_ENV: ok = a->n_env < MAX_ENV && strchr(v, '=') && (a->env[a->n_env++] = v); break;
	case KEY_USER: ok = parse_user(v, o); break;
	case KEY_TIMEOUT: ok = parse_uint(v, &n) && n <= INT32_MAX && ((o->timeout_s = n), true); break;
	case KEY_NETWORK: ok = (!strcmp(v, "none") || !strcmp(v, "default")) && ((o->network = strcmp(v, "none") != 0), true); break;
	case KEY_CPUS: ok = parse_uint(v, &o->cpus); break;
	default: ok = parse_uint(v, &o->memory_mb); break;
	}
	if (ok)
		return 0;
	for (const cnb_cli_opt *opt = vm_opts; opt->name; opt++)
		if (opt->key == key)
			fprintf(stderr, "cnb vm run: bad value for --%s: %s\n", opt->name, v);
	return CNB_EXIT_USAGE;
}

static int vm_run(int argc, char **argv)
{
	static vm_args a = { .opts = CNB_VM_RUN_OPTS_INIT };
	const cnb_cli_parser p = { "vm run", vm_usage, vm_opts, vm_option, &a, true };
	int i = argc;
	int r = cnb_cli_parse(&p, argc, argv, &i);
	if (r != CNB_CLI_PARSED)
		return r;
	cnb_vm_run_opts opts = a.opts;
	opts.stdout_fd = STDOUT_FILENO; /* the command's own streams, byte for byte, like docker run */
	opts.stderr_fd = STDERR_FILENO;
	const char **env = a.env;
	int n_env = a.n_env;
	if (!opts.rootfs || i >= argc) {
		fputs(vm_usage, stderr);
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
		fputs(vm_usage, stdout);
		return CNB_EXIT_OK;
	}
	fputs(vm_usage, stderr);
	return CNB_EXIT_USAGE;
}
