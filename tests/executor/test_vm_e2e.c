/*
 * e2e tests of the executors: real QEMU boots (TCG here) over a busybox rootfs, and the same job
 * through the host executor. One VM boot covers identity, modes, the job share, the overlay, live
 * streaming and the step timeout; separate boots cover cancel and the accelerator fallback (stand-in
 * QEMUs that hang or abort under KVM, and this host's own KVM, whatever it does).
 * Needs root (fixture ownership, host executor) and the image built in the build tree.
 */
#include "lib/common/clock.h"
#include "lib/executor/executor.h"
#include "lib/executor/host-idmap.h"
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/fs.h"
#include "tests/lib/tap.h"

#include <cnb/cnb.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 256

static struct {
	char *text[MAX_LINES];
	uint64_t at_ms[MAX_LINES];
	size_t n;
	char warnings[4096];
} out;

static void capture(int level, const char *msg, void *userdata)
{
	(void)userdata;
	if (level == CNB_LOG_WARN)
		snprintf(out.warnings + strlen(out.warnings), sizeof(out.warnings) - strlen(out.warnings), "%s\n", msg);
	if (level != CNB_LOG_OUTPUT)
		return;
	printf("#   | %s\n", msg);
	if (out.n < MAX_LINES) {
		out.at_ms[out.n] = cnb__monotonic_ms();
		out.text[out.n++] = strdup(msg);
	}
}

static void reset_output(void)
{
	for (size_t i = 0; i < out.n; i++)
		free(out.text[i]);
	memset(&out, 0, sizeof(out));
}

static int find_line(const char *text)
{
	for (size_t i = 0; i < out.n; i++)
		if (!strcmp(out.text[i], text))
			return (int)i;
	return -1;
}

/* Output lines that both executors must agree on (VM-only lines start with "vm-only"). */
static char *joined_common_output(void)
{
	_cleanup_buf_ cnb__buf b = CNB_BUF_INIT;
	for (size_t i = 0; i < out.n; i++)
		if (strncmp(out.text[i], "vm-only", 7))
			cnb__buf_printf(&b, "%s\n", out.text[i]);
	return cnb__buf_steal(&b);
}

/* is_str for multi-line text: TAP needs every diagnostic line behind a '#'. */
static void same_text(const char *got, const char *want, const char *what)
{
	if (ok(got && want && !strcmp(got, want), "%s", what))
		return;
	for (int i = 0; i < 2; i++) {
		const char *s = i ? want : got;
		printf("#   %s:\n", i ? "want" : "got");
		for (const char *p = s ? s : "(null)\n"; *p;) {
			const char *nl = strchr(p, '\n');
			int len = nl ? (int)(nl - p) : (int)strlen(p);
			printf("#     %.*s\n", len, p);
			p += len + (nl ? 1 : 0);
		}
	}
}

static char *script_as_1000 =
	"echo \"uid=$(id -u) gid=$(id -g)\"\n"
	"stat -c 'secret %a %u %g' /secret\n"
	"stat -c 'suid %a %u %g' /bin/su-test\n"
	"stat -c 'mine %a %u %g' /home/app/mine\n"
	"cat /secret >/dev/null 2>&1 && echo 'secret readable' || echo 'secret denied'\n"
	"echo data > /out/written && echo 'wrote the share'\n"
	"touch /not-mine 2>/dev/null || echo '/ not writable by 1000'\n"
	"test -x /cnb/libcnb/cnb-init && echo 'tools present'\n"
	"echo \"hostname=$(hostname) env=$FOO pwd=$(pwd)\"\n"
	"stat -c 'vm-only mapped %a %u %g' /mapped-owned\n"
	"echo \"vm-only link=$(readlink /bin/mapped-link)\"\n";

static char *argv_1000[] = { "/bin/sh", "-c", NULL, NULL };
static char *argv_root[] = { "/bin/sh", "-c", "echo overlay > /overlay-test && cat /overlay-test", NULL };
static char *argv_stream[] = { "/bin/sh", "-c", "echo streamed-early; sleep 3; echo streamed-late", NULL };
static char *argv_hang[] = { "/bin/sleep", "100", NULL };
static char *argv_never[] = { "echo", "never", NULL };
static char *env_1000[] = { "PATH=/bin", "FOO=bar", NULL };
static char *env_plain[] = { "PATH=/bin", NULL };

static cnb__executor_job_step steps[] = {
	{ "checks", argv_1000, env_1000, "/home/app", 1000, 1000, 0 },
	{ "root-write", argv_root, env_plain, NULL, 0, 0, 0 },
	{ "stream", argv_stream, env_plain, NULL, 0, 0, 0 },
	{ "hang", argv_hang, env_plain, NULL, 0, 0, 2 },
	{ "never", argv_never, env_plain, NULL, 0, 0, 0 },
};

static cnb__executor_job_mount mounts[] = { { "out", "/out", false }, { NULL, "/scratch", false } };

static char *run_main_job(cnb_ctx *ctx, const char *executor, const char *rootfs, const char *job_dir)
{
	reset_output();
	cnb__executor_job job = { .rootfs = rootfs, .job_dir = job_dir, .mounts = mounts, .n_mounts = 2, .steps = steps,
			 .n_steps = CNB_ARRAY_SIZE(steps), .network = false, .hostname = "buildhost" };
	cnb__executor_job_result res;
	cnb_error *err = NULL;
	uint64_t t0 = cnb__monotonic_ms();
	int rc = cnb__executor_run(ctx, executor, &job, -1, &res, &err);
	uint64_t end = cnb__monotonic_ms();
	is_int(rc, 0, "%s: job ran (%s)", executor, err ? cnb_error_message(err) : "ok");
	cnb_error_free(err);
	printf("# %s: boot %llu ms, total %llu ms, accel %s\n", executor, (unsigned long long)res.boot_ms,
	       (unsigned long long)res.total_ms, res.accel);
	is_int(res.n_steps_run, 4, "%s: stopped at the failing step, 'never' did not run", executor);
	if (res.n_steps_run == 4) {
		is_int(res.steps[0].exit_code, 0, "%s: checks step passed", executor);
		is_int(res.steps[1].exit_code, 0, "%s: root step wrote to / (overlay)", executor);
		ok(res.steps[3].timed_out && res.steps[3].exit_code == 137, "%s: hanging step killed at its timeout (%d)",
		   executor, res.steps[3].exit_code);
		ok(res.steps[3].duration_ms >= 2000 && res.steps[3].duration_ms < 6000, "%s: after ~2 s (%llu ms)", executor,
		   (unsigned long long)res.steps[3].duration_ms);
	}
	ok(end - t0 < 60000, "%s: whole job under 60 s", executor);
	is_int(find_line("never"), -1, "%s: no output from the step after the failure", executor);
	int early = find_line("streamed-early"), late = find_line("streamed-late");
	ok(early >= 0 && late >= 0 && out.at_ms[late] - out.at_ms[early] >= 2000,
	   "%s: output streams live (early line arrived %lld ms before the late one)", executor,
	   early >= 0 && late >= 0 ? (long long)(out.at_ms[late] - out.at_ms[early]) : -1LL);
	ok(early >= 0 && end - out.at_ms[early] >= 2000, "%s: ... and well before the executor returned", executor);
	_cleanup_free_ char *written = cnb__path_join(job_dir, "out/written"), *data = NULL;
	size_t len = 0;
	ok(cnb__read_file(written, 100, &data, &len, NULL) == 0 && !strcmp(data, "data\n"),
	   "%s: a write to the job share arrived on the host", executor);
	unlink(written);
	_cleanup_free_ char *leak = cnb__path_join(rootfs, "overlay-test");
	ok(access(leak, F_OK) != 0, "%s: the rootfs on the host is unchanged", executor);
	cnb__executor_job_result_free(&res);
	return joined_common_output();
}

static const char *expected_common =
	"uid=1000 gid=1000\n"
	"secret 640 0 0\n"
	"suid 4755 0 0\n"
	"mine 600 1000 1000\n"
	"secret denied\n"
	"wrote the share\n"
	"/ not writable by 1000\n"
	"tools present\n"
	"hostname=buildhost env=bar pwd=/home/app\n"
	"overlay\n"
	"streamed-early\n"
	"streamed-late\n";

static size_t count_children(void)
{
	size_t n = 0;
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *e;
	char me[32];
	snprintf(me, sizeof(me), "%d", (int)getpid());
	while (d && (e = readdir(d))) {
		char path[300], buf[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (r <= 0)
			continue;
		buf[r] = '\0';
		char *p = strrchr(buf, ')');
		int ppid = 0;
		char state;
		if (p && sscanf(p + 2, "%c %d", &state, &ppid) == 2 && ppid == getpid())
			n++;
	}
	return n;
}

static int cancel_pipe[2];
static void *cancel_later(void *arg)
{
	(void)arg;
	for (int i = 0; i < 600 && find_line("cancel-me") < 0; i++)
		usleep(100000);
	ssize_t w = write(cancel_pipe[1], "x", 1);
	(void)w;
	return NULL;
}

static void test_vm_executor__cancel_leaves_nothing(cnb_ctx *ctx, const char *rootfs, const char *job_dir,
						    const char *executor)
{
	reset_output();
	static char *argv[] = { "/bin/sh", "-c", "echo cancel-me; sleep 100", NULL };
	cnb__executor_job_step step = { "sleeper", argv, env_plain, NULL, 0, 0, 0 };
	cnb__executor_job job = { .rootfs = rootfs, .job_dir = job_dir, .steps = &step, .n_steps = 1 };
	ok(pipe(cancel_pipe) == 0, "cancel pipe");
	pthread_t t;
	pthread_create(&t, NULL, cancel_later, NULL);
	cnb__executor_job_result res;
	cnb_error *err = NULL;
	uint64_t t0 = cnb__monotonic_ms();
	time_t started = time(NULL);
	int rc = cnb__executor_run(ctx, executor, &job, cancel_pipe[0], &res, &err);
	pthread_join(t, NULL);
	is_int(rc, CNB_ECANCELED, "%s: cancel returns CNB_ECANCELED (%s)", executor, err ? cnb_error_message(err) : "");
	ok(cnb__monotonic_ms() - t0 < 60000, "%s: promptly", executor);
	is_int(count_children(), 0, "%s: no child process (QEMU, namespace init) left", executor);
	_cleanup_free_ char *job_file = cnb__path_join(job_dir, ".cnb-job.json");
	ok(access(job_file, F_OK) != 0, "%s: the job file is gone from the job dir", executor);
	_cleanup_closedir_ DIR *tmp = opendir("/tmp");
	struct dirent *e;
	bool leftover = false;
	struct stat st;
	while (tmp && (e = readdir(tmp))) /* only ours: other test runs may share /tmp */
		leftover |= !strncmp(e->d_name, "cnb-host-", 9) && fstatat(dirfd(tmp), e->d_name, &st, 0) == 0 &&
			    st.st_ctime >= started;
	ok(!leftover, "%s: no scratch directory left in /tmp", executor);
	cnb_error_free(err);
	cnb__executor_job_result_free(&res);
	close(cancel_pipe[0]);
	close(cancel_pipe[1]);
}

/*
 * Hostile steps (issue 12): a setuid-root helper tries to become root, read a host canary through
 * /proc/1/root and write a host file; a process in its own session outlives its step to write into
 * the share later; root in the job tries to change the read-only cache share. None may succeed.
 */
static void test_executor__hostile_steps_reach_nothing(cnb_ctx *ctx, const char *executor, const char *rootfs,
							const char *job_dir, const char *base)
{
	reset_output();
	_cleanup_free_ char *canary = cnb__path_join(base, "canary"), *target = cnb__path_join(base, "pwned"),
			    *escape = NULL, *leftover = cnb__path_join(job_dir, "out/leftover"),
			    *leftover_started = cnb__path_join(job_dir, "out/leftover-started"),
			    *cache_dir = cnb__path_join(job_dir, "cache"), *cache_file = cnb__path_join(job_dir, "cache/cache.json"),
			    *cache_text = NULL;
	cnb__write_file_atomic(canary, "canary-secret\n", 14, 0600, NULL);
	unlink(target);
	unlink(leftover);
	unlink(leftover_started);
	cnb__mkdir_p(cache_dir, 0755, NULL);
	cnb__write_file_atomic(cache_file, "{\"intact\":true}", 15, 0644, NULL);
	if (asprintf(&escape, "for i in 1 2 3 4 5; do /bin/escape-probe escape %s %s; done", canary, target) < 0)
		return;
	char *argv_escape[] = { "/bin/sh", "-c", escape, NULL };
	char *argv_linger[] = { "/bin/escape-probe", "linger", "/out/leftover", "1500", NULL };
	char *argv_wait[] = { "/bin/sh", "-c",
			      "echo \"step pid $$, pid 1 is $(cat /proc/1/comm)\"; sleep 3;"
			      "test -e /out/leftover-started && echo 'leftover started';"
			      "test -e /out/leftover && echo 'leftover wrote' || echo 'no leftover'",
			      NULL };
	char *argv_cache[] = { "/bin/sh", "-c",
			       "echo x >/cache/cache.json 2>/dev/null && echo 'cache written';"
			       "touch /cache/new 2>/dev/null && echo 'cache created';"
			       "chmod 777 /cache 2>/dev/null && echo 'cache chmod';"
			       "echo 'cache tried';"
			       "while read -r k v; do case $k in Cap[PEBA]??:|NoNewPrivs:) echo \"$k$v\";; esac;"
			       "done </proc/self/status",
			       NULL };
	cnb__executor_job_step hostile[] = {
		{ "escape", argv_escape, env_plain, "/", 1000, 1000, 60 },
		{ "linger", argv_linger, env_plain, "/", 1000, 1000, 60 },
		{ "wait", argv_wait, env_plain, "/", 1000, 1000, 60 },
		{ "rewrite-cache", argv_cache, env_plain, "/", 0, 0, 60 },
	};
	cnb__executor_job_mount hostile_mounts[] = { { "out", "/out", false }, { "cache", "/cache", true } };
	cnb__executor_job job = { .rootfs = rootfs, .job_dir = job_dir, .mounts = hostile_mounts, .n_mounts = 2, .steps = hostile,
			 .n_steps = CNB_ARRAY_SIZE(hostile) };
	cnb__executor_job_result res;
	cnb_error *err = NULL;
	int rc = cnb__executor_run(ctx, executor, &job, -1, &res, &err);
	is_int(rc, 0, "%s: hostile job ran (%s)", executor, err ? cnb_error_message(err) : "ok");
	is_int(res.n_steps_run, 4, "%s: all four hostile steps ran", executor);
	size_t euid_1000 = 0, reached = 0;
	for (size_t i = 0; i < out.n; i++) {
		euid_1000 += !strcmp(out.text[i], "probe euid=1000");
		reached += !strncmp(out.text[i], "probe ", 6) && strcmp(out.text[i], "probe euid=1000");
	}
	printf("# %s: setuid probe: %zu of 5 reached the host or root\n", executor, reached);
	is_int(euid_1000, 5, "%s: the setuid-root helper ran 5 times, never with euid 0", executor);
	is_int(reached, 0, "%s: it never became root, read the canary or wrote a file", executor);
	ok(access(target, F_OK) != 0, "%s: no host file was written", executor);
	int own_ns = -1;
	for (size_t i = 0; i < out.n && own_ns < 0; i++)
		if (!strncmp(out.text[i], "step pid ", 9))
			own_ns = !strncmp(out.text[i], "step pid 2, pid 1 is ", 21);
	ok(own_ns == 1, "%s: the step runs in a PID namespace of its own, as the first child of its init", executor);
	ok(find_line("leftover started") >= 0 && find_line("no leftover") >= 0 && access(leftover, F_OK) != 0,
	   "%s: a setsid process did not outlive its step", executor);
	ok(find_line("cache tried") >= 0 && find_line("cache written") < 0 && find_line("cache created") < 0 &&
		   find_line("cache chmod") < 0,
	   "%s: root in the job could not change the read-only cache share", executor);
	ok(find_line("CapPrm:0000000000000000") >= 0 && find_line("CapEff:0000000000000000") >= 0 &&
		   find_line("CapBnd:0000000000000000") >= 0 && find_line("CapAmb:0000000000000000") >= 0 &&
		   find_line("NoNewPrivs:1") >= 0,
	   "%s: a step running as uid 0 has no capability, bounding set included, and no_new_privs", executor);
	ok(cnb__read_file(cache_file, 100, &cache_text, NULL, NULL) == 0 && !strcmp(cache_text, "{\"intact\":true}"),
	   "%s: the cache on the host is intact", executor);
	cnb_error_free(err);
	cnb__executor_job_result_free(&res);
}

/*
 * The host executor's user namespaces: a step's ids inside are the ones asked for (the CNB user),
 * what it writes belongs on the host to the mapped ids, neither 1000 nor 0; and a host file only
 * host root may read (mode 0600) stays unreadable through every share, to step root as well.
 */
static void test_host_executor__steps_run_as_mapped_ids(cnb_ctx *ctx, const char *rootfs, const char *job_dir,
							const char *base)
{
	reset_output();
	cnb__executor_idmap m;
	cnb_error *err = NULL;
	ok(cnb__executor_idmap_get(&m, NULL, NULL, &err) == 0, "host: the id range (%s)", err ? cnb_error_message(err) : "ok");
	cnb_error_free(err);
	err = NULL;
	_cleanup_free_ char *mine = cnb__path_join(job_dir, "out/mine"), *volume = cnb__path_join(base, "volume");
	const char *secrets[] = { "out/root-only", "cache/root-only", "../volume/root-only" };
	cnb__mkdir_p(volume, 0777, NULL);
	chmod(volume, 0777);
	for (size_t i = 0; i < CNB_ARRAY_SIZE(secrets); i++) {
		_cleanup_free_ char *p = cnb__path_join(job_dir, secrets[i]);
		cnb__write_file_atomic(p, "host-root-secret\n", 17, 0600, NULL);
		chown(p, 0, 0);
	}
	unlink(mine);
	char *argv_ids[] = { "/bin/sh", "-c", "echo \"ids $(id -u):$(id -g)\"; echo x >/out/mine && echo wrote", NULL };
	char *argv_read[] = { "/bin/sh", "-c",
			      "for f in /out/root-only /cache/root-only /volume/root-only; do"
			      " cat $f 2>/dev/null && echo \"$(id -u) read $f\"; chmod 644 $f 2>/dev/null && echo chmod $f;"
			      " done; echo \"$(id -u) tried\"",
			      NULL };
	cnb__executor_job_step steps[] = {
		{ "ids", argv_ids, env_plain, "/", 1000, 1000, 60 },
		{ "read-as-1000", argv_read, env_plain, "/", 1000, 1000, 60 },
		{ "read-as-root", argv_read, env_plain, "/", 0, 0, 60 },
	};
	cnb__executor_job_mount mounts[] = { { "out", "/out", false }, { "cache", "/cache", true },
				    { .target = "/volume", .host_dir = volume } };
	cnb__executor_job job = { .rootfs = rootfs, .job_dir = job_dir, .mounts = mounts, .n_mounts = CNB_ARRAY_SIZE(mounts),
			 .steps = steps, .n_steps = CNB_ARRAY_SIZE(steps) };
	cnb__executor_job_result res;
	int rc = cnb__executor_run(ctx, "host", &job, -1, &res, &err);
	is_int(rc, 0, "host: id job ran (%s)", err ? cnb_error_message(err) : "ok");
	is_int(res.n_steps_run, 3, "host: all three steps ran");
	struct stat st = { 0 };
	ok(find_line("ids 1000:1000") >= 0 && find_line("wrote") >= 0, "host: the step's own ids are 1000:1000");
	int found = lstat(mine, &st);
	ok(found == 0 && st.st_uid == m.uid_base + 1000 && st.st_gid == m.gid_base + 1000 &&
		   st.st_uid != 1000 && st.st_uid != 0,
	   "host: its file is owned on the host by the mapped ids %u:%u (want %u:%u)", (unsigned)st.st_uid,
	   (unsigned)st.st_gid, m.uid_base + 1000, m.gid_base + 1000);
	size_t leaked = 0;
	for (size_t i = 0; i < out.n; i++)
		leaked += strstr(out.text[i], " read /") || !strncmp(out.text[i], "chmod ", 6);
	ok(find_line("1000 tried") >= 0 && find_line("0 tried") >= 0 && leaked == 0,
	   "host: a host file only host root reads (0600) is unreadable through the shares, to step root too (%zu leaks)",
	   leaked);
	cnb_error_free(err);
	cnb__executor_job_result_free(&res);
}

/* A context whose log lands in `out`, with its own cache dir (caller frees with cnb_ctx_free). */
static cnb_ctx *capture_ctx(const char *cache)
{
	cnb_ctx_opts o = CNB_CTX_OPTS_INIT;
	o.log = capture;
	o.log_level = CNB_LOG_OUTPUT;
	o.cache_dir = cache;
	cnb_ctx *ctx = NULL;
	cnb_ctx_new(&ctx, &o, NULL);
	return ctx;
}

static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* One forced-KVM run: the job must still run, under KVM or after a fallback to TCG. */
static void run_forced_kvm(cnb_ctx *ctx, const char *rootfs, const char *job_dir, const char *what,
			   cnb__executor_job_result *res)
{
	reset_output();
	setenv("CNB_VM_ACCEL", "kvm", 1);
	static char *argv[] = { "echo", "after-fallback", NULL };
	cnb__executor_job_step step = { "echo", argv, env_plain, NULL, 0, 0, 0 };
	cnb__executor_job job = { .rootfs = rootfs, .job_dir = job_dir, .steps = &step, .n_steps = 1 };
	cnb_error *err = NULL;
	int rc = cnb__executor_run(ctx, "vm", &job, -1, res, &err);
	setenv("CNB_VM_ACCEL", "tcg", 1);
	is_int(rc, 0, "%s: forced kvm: the job still ran (%s)", what, err ? cnb_error_message(err) : "ok");
	ok(find_line("after-fallback") >= 0, "%s: the step ran", what);
	is_int(count_children(), 0, "%s: every QEMU was killed and reaped", what);
	cnb_error_free(err);
}

/* The automatic choice after a remembered failure: straight to TCG, no retry, no warning. Only
 * meaningful where /dev/kvm opens (elsewhere the choice is TCG anyway). */
static void check_verdict_remembered(cnb_ctx *ctx, const char *rootfs, const char *job_dir, const char *what)
{
	if (!kvm_usable()) {
		ok(1, "# SKIP %s: no usable /dev/kvm, the automatic choice is TCG anyway", what);
		return;
	}
	reset_output();
	unsetenv("CNB_VM_ACCEL");
	static char *argv[] = { "echo", "remembered", NULL };
	cnb__executor_job_step step = { "echo", argv, env_plain, NULL, 0, 0, 0 };
	cnb__executor_job job = { .rootfs = rootfs, .job_dir = job_dir, .steps = &step, .n_steps = 1 };
	cnb__executor_job_result res;
	cnb_error *err = NULL;
	int rc = cnb__executor_run(ctx, "vm", &job, -1, &res, &err);
	setenv("CNB_VM_ACCEL", "tcg", 1);
	ok(rc == 0 && !strcmp(res.accel, "tcg") && !res.accel_fell_back && !out.warnings[0] &&
		   find_line("remembered") >= 0,
	   "%s: the next automatic run went straight to TCG, without a retry or a warning (accel %s%s%s)", what,
	   res.accel, out.warnings[0] ? ", warned: " : "", out.warnings);
	cnb_error_free(err);
	cnb__executor_job_result_free(&res);
}

/* A stand-in QEMU that fails under -accel kvm the way a host's broken KVM does (hang or abort):
 * the fallback runs the job, says why, and is remembered. A fresh cache dir per case. */
static void test_vm_accel__failure_falls_back_and_is_remembered(const char *base, const char *rootfs,
								 const char *job_dir, const char *what,
								 const char *wrapper_env, const char *reason)
{
	_cleanup_free_ char *cache = cnb__path_join(base, what);
	cnb_ctx *ctx = capture_ctx(cache);
	setenv("CNB_QEMU", getenv(wrapper_env), 1);
	cnb__executor_job_result res;
	run_forced_kvm(ctx, rootfs, job_dir, what, &res);
	ok(res.accel_fell_back && !strcmp(res.accel, "tcg"), "%s: fell back to TCG", what);
	ok(strstr(out.warnings, reason) && strstr(out.warnings, "retrying with TCG"),
	   "%s: the fallback was reported with its reason ('%s')", what, reason);
	cnb__executor_job_result_free(&res);
	check_verdict_remembered(ctx, rootfs, job_dir, what);
	unsetenv("CNB_QEMU");
	cnb_ctx_free(ctx);
}

/* This host's own KVM, whatever it does: works (nothing to fall back from), hangs, or aborts QEMU. */
static void test_vm_accel__real_kvm_works_or_falls_back(const char *base, const char *rootfs, const char *job_dir)
{
	if (!kvm_usable()) {
		ok(1, "# SKIP real kvm: no usable /dev/kvm on this host");
		return;
	}
	_cleanup_free_ char *cache = cnb__path_join(base, "cache-real-kvm");
	cnb_ctx *ctx = capture_ctx(cache);
	cnb__executor_job_result res;
	run_forced_kvm(ctx, rootfs, job_dir, "real kvm", &res);
	if (!strcmp(res.accel, "kvm")) {
		ok(1, "# SKIP real kvm: KVM works on this host, nothing to fall back from");
	} else {
		bool hung = strstr(out.warnings, "did not become ready within 8 s under kvm"),
		     exited = strstr(out.warnings, "exited (status");
		printf("# real kvm %s\n", hung ? "hung" : exited ? "made QEMU exit" : "failed otherwise");
		ok(res.accel_fell_back && (hung || exited) && strstr(out.warnings, "retrying with TCG"),
		   "real kvm: fell back to TCG and said why");
		check_verdict_remembered(ctx, rootfs, job_dir, "real kvm");
	}
	cnb__executor_job_result_free(&res);
	cnb_ctx_free(ctx);
}

int main(void)
{
	if (geteuid() != 0)
		tap_skip_all("needs root (fixture ownership, host executor namespaces)");
	if (!getenv("CNB_VM_KERNEL") || access(getenv("CNB_VM_KERNEL"), R_OK) != 0)
		tap_skip_all("CNB_VM_KERNEL not set to a built kernel");
	signal(SIGPIPE, SIG_IGN);
	char base[] = "/tmp/cnb-vm-e2e-XXXXXX";
	ok(mkdtemp(base) != NULL, "temp dir");
	_cleanup_free_ char *rootfs = cnb__path_join(base, "rootfs"), *job_dir = cnb__path_join(base, "job"),
			    *out_dir = cnb__path_join(base, "job/out"), *cache = cnb__path_join(base, "cache"),
			    *cmd = NULL;
	ok(asprintf(&cmd, "%s %s", getenv("CNB_TEST_MAKE_ROOTFS"), rootfs) > 0 && system(cmd) == 0, "fixture rootfs");
	_cleanup_free_ char *probe = cnb__path_join(rootfs, "bin/escape-probe");
	ok(cnb__copy_file(getenv("CNB_TEST_ESCAPE_PROBE"), probe, NULL) == 0 && chown(probe, 0, 0) == 0 &&
		   chmod(probe, 04755) == 0,
	   "setuid-root escape probe in the rootfs");
	cnb__mkdir_p(out_dir, 0777, NULL);
	chmod(out_dir, 0777); /* uid 1000 writes here */
	argv_1000[2] = script_as_1000;
	setenv("CNB_VM_ACCEL", "tcg", 1);

	cnb_ctx *ctx = capture_ctx(cache);

	_cleanup_free_ char *vm_out = run_main_job(ctx, "vm", rootfs, job_dir);
	same_text(vm_out, expected_common, "vm: ownership, modes, identity, env, cwd as expected");
	ok(find_line("vm-only mapped 600 1000 1000") >= 0, "vm: user.virtfs.* xattrs give owner and mode");
	ok(find_line("vm-only link=busybox") >= 0, "vm: a mapped-form symlink reads as a symlink");
	_cleanup_free_ char *host_out = run_main_job(ctx, "host", rootfs, job_dir);
	same_text(host_out, vm_out, "host executor: same output as the VM");

	test_executor__hostile_steps_reach_nothing(ctx, "vm", rootfs, job_dir, base);
	test_executor__hostile_steps_reach_nothing(ctx, "host", rootfs, job_dir, base);
	test_host_executor__steps_run_as_mapped_ids(ctx, rootfs, job_dir, base);
	test_vm_executor__cancel_leaves_nothing(ctx, rootfs, job_dir, "vm");
	test_vm_executor__cancel_leaves_nothing(ctx, rootfs, job_dir, "host");
	test_vm_accel__failure_falls_back_and_is_remembered(base, rootfs, job_dir, "kvm hangs", "CNB_TEST_QEMU_KVM_HANGS",
							     "did not become ready within 8 s under kvm");
	test_vm_accel__failure_falls_back_and_is_remembered(base, rootfs, job_dir, "kvm aborts QEMU",
							     "CNB_TEST_QEMU_KVM_CRASHES", "exited (status 134)");
	test_vm_accel__real_kvm_works_or_falls_back(base, rootfs, job_dir);

	cnb_ctx_free(ctx);
	reset_output();
	cnb__rm_rf(base, NULL);
	return tap_done();
}
