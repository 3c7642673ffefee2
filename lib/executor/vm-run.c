/* The VM executor: QEMU with cnb-init as PID 1, a boot watchdog, and nothing left behind. */
#include "vm-run.h"
#include "accel.h"
#include "../common/clock.h"
#include "guest-channel.h"
#include "guest-protocol.h"
#include "job.h"
#include "qemu-argv.h"
#include "vm-image.h"
#include "vm-snapshot.h"
#include "../api/ctx-internal.h"
#include "../rootfs/mapped-xattr.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"
#include "../common/fs.h"
#include "../os/os.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* fd numbers inside the QEMU process (see qemu-argv.h), in this order from QEMU_FIRST_FD */
enum {
	QEMU_CONSOLE_FD = 3,
	QEMU_EVENT_FD,
	QEMU_OUTPUT_FD,
	QEMU_ERROR_FD,
	QEMU_QMP_FD,
	QEMU_CONTROL_FD,
	QEMU_INCOMING_FD,
	QEMU_END_FD
};
#define QEMU_N_FDS (QEMU_END_FD - QEMU_CONSOLE_FD)

/* BOOT_NOT_READY: QEMU exited before the guest said "ready" (e.g. /dev/kvm refused): worth a TCG retry. */
typedef enum boot_outcome { BOOT_DONE, BOOT_HUNG, BOOT_NOT_READY, BOOT_FAILED } boot_outcome;

/* A restored VM is running in well under a second; anything slower is a bad snapshot. */
#define RESTORE_READY_TIMEOUT_MS 20000

/* fds[i] becomes QEMU_CONSOLE_FD + i in QEMU (-1: left closed). */
static void __attribute__((noreturn)) exec_qemu(char **argv, const int fds[QEMU_N_FDS], pid_t parent,
						const cnb__executor_qemu_arch *arch)
{
	/* QEMU must not outlive us, even when we are SIGKILLed. */
	cnb__os_die_with_parent();
	if (getppid() != parent)
		_exit(127);
	int high[QEMU_N_FDS];
	for (int i = 0; i < QEMU_N_FDS; i++)
		high[i] = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD, QEMU_END_FD + 10) : -1;
	for (int i = 0; i < QEMU_N_FDS; i++)
		if (high[i] >= 0)
			dup2(high[i], QEMU_CONSOLE_FD + i);
	int devnull = open("/dev/null", O_RDONLY);
	dup2(devnull, STDIN_FILENO);
	dup2(QEMU_CONSOLE_FD, STDOUT_FILENO);
	dup2(QEMU_CONSOLE_FD, STDERR_FILENO);
	cnb__os_close_from(QEMU_END_FD);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s (install %s, or set %s)\n", argv[0], strerror(errno),
		arch->qemu_package, arch->qemu_env);
	_exit(127);
}

/* Deadline for the whole VM: only when every step has a timeout (a job without one may run forever). */
static uint64_t job_deadline_ms(const cnb__executor_job *job, uint64_t start, unsigned boot_ms)
{
	uint64_t total = boot_ms + 30000;
	for (size_t i = 0; i < job->n_steps; i++) {
		if (job->steps[i].timeout_s <= 0)
			return 0;
		total += (uint64_t)job->steps[i].timeout_s * 1000u;
	}
	return start + total;
}

/* The host ends (read ends of console/event/output, our side of the QMP and control sockets) and
 * QEMU's ends, in QEMU_*_FD order. */
typedef struct qemu_channels {
	int host[QEMU_N_FDS - 1], qemu[QEMU_N_FDS];
} qemu_channels;

static void channels_close(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]), fds[i] = -1;
}

static int channels_open(qemu_channels *c, int incoming_fd, cnb_error **err)
{
	memset(c, -1, sizeof(*c));
	for (int i = 0; i < QEMU_N_FDS - 1; i++) {
		int pair[2];
		bool is_pipe = i + QEMU_CONSOLE_FD <= QEMU_ERROR_FD;
		if ((is_pipe ? cnb__os_pipe(pair, 0) : cnb__os_socketpair(pair)) < 0) {
			int e = errno;
			channels_close(c->host, QEMU_N_FDS - 1);
			channels_close(c->qemu, QEMU_N_FDS);
			return cnb__error_errno(err, CNB_EVM, e, "create a channel to QEMU");
		}
		c->host[i] = pair[0];
		c->qemu[i] = pair[1];
	}
	c->qemu[QEMU_INCOMING_FD - QEMU_CONSOLE_FD] = incoming_fd; /* borrowed: not closed here */
	return 0;
}

#define HOST_FD(c, which) ((c)->host[(which) - QEMU_CONSOLE_FD])

/* The guest waits for this before it mounts anything: clock and RNG seed for this VM alone. */
static int send_go(int control_fd)
{
	cnb__executor_guest_go go;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	go.time_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (cnb__os_random(go.seed, sizeof(go.seed)) < 0)
		return -1;
	return cnb__executor_guest_go_write(control_fd, &go);
}

typedef struct boot_session {
	qemu_channels *ch;
	cnb__executor_vm_snapshot *snap; /* path set and nothing restored: save one at "booted" */
} boot_session;

static void on_booted(cnb_ctx *ctx, cnb__executor_guest_watch *w, void *userdata)
{
	boot_session *s = userdata;
	if (s->snap->path && s->snap->restore_fd < 0) {
		uint64_t t0 = cnb__monotonic_ms();
		cnb__executor_qmp qmp;
		cnb_error *e = NULL;
		if (cnb__executor_qmp_connect(&qmp, HOST_FD(s->ch, QEMU_QMP_FD), t0 + 10000, &e) < 0 ||
		    cnb__executor_vm_snapshot_save(s->snap, &qmp, &e) < 0)
			cnb__api_log(ctx, CNB_LOG_DEBUG, "VM snapshot not saved: %s", cnb_error_message(e));
		else
			cnb__api_log(ctx, CNB_LOG_DEBUG, "VM snapshot saved in %llu ms: %s",
				 (unsigned long long)(cnb__monotonic_ms() - t0), s->snap->path);
		cnb__executor_qmp_close(&qmp);
		cnb_error_free(e);
	}
	if (send_go(HOST_FD(s->ch, QEMU_CONTROL_FD)) < 0)
		snprintf(w->error, sizeof(w->error), "could not send the guest its start message: %s", strerror(errno));
}

static boot_outcome outcome_of(const cnb__executor_guest_watch *w, cnb__executor_watch_end end, int status, unsigned ready_ms,
			       cnb__accel accel, cnb_error **err)
{
	_cleanup_free_ char *console = cnb__executor_guest_watch_console(w);
	const char *sep = console && *console ? "; last console lines: " : "", *tail = console ? console : "";
	if (end == CNB_WATCH_CANCELED)
		return cnb__error_set(err, CNB_ECANCELED, "canceled: the VM was stopped"), BOOT_FAILED;
	if (end == CNB_WATCH_READY_TIMEOUT)
		return cnb__error_set(err, CNB_EVM, "the VM did not become ready within %u s under %s%s%s", ready_ms / 1000,
				      cnb__executor_accel_name(accel), sep, tail),
		       BOOT_HUNG;
	if (end == CNB_WATCH_TIMEOUT)
		return cnb__error_set(err, CNB_ETIMEOUT, "the VM ran past the sum of the step timeouts and was stopped"),
		       BOOT_FAILED;
	if (w->done && !w->error[0])
		return BOOT_DONE;
	if (w->error[0])
		return cnb__error_set(err, CNB_EVM, "the VM failed: %s", w->error), BOOT_FAILED;
	cnb__error_set(err, CNB_EVM, "the VM exited (status %d) without reporting a result%s%s",
		       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), sep, tail);
	return w->ready ? BOOT_FAILED : BOOT_NOT_READY;
}

/* One QEMU run: from the snapshot when `snap` has one open, else a cold boot (saving a snapshot
 * when `snap` has a path). */
static boot_outcome boot_once(cnb_ctx *ctx, const cnb__executor_job *job, const cnb__executor_vm_image *img,
			      const cnb__executor_qemu_config *base, cnb__executor_vm_snapshot *snap, int cancel_fd, cnb__executor_job_result *out,
			      cnb_error **err)
{
	qemu_channels ch;
	if (channels_open(&ch, snap->restore_fd, err) < 0)
		return BOOT_FAILED;
	bool restore = snap->restore_fd >= 0;
	cnb__executor_qemu_config qc = *base;
	qc.restore = restore;
	cnb__accel accel = qc.accel;
	cnb__vm_arch arch = qc.arch;
	char **argv = NULL;
	cnb__executor_guest_watch w;
	bool ok = cnb__executor_qemu_argv(&qc, &argv, err) == 0 && cnb__executor_guest_watch_init(&w, out, job->n_steps, cancel_fd) == 0;
	pid_t parent = getpid(), pid = ok ? fork() : -1;
	if (pid == 0)
		exec_qemu(argv, ch.qemu, parent, cnb__executor_qemu_arch_get(arch));
	int fork_errno = errno;
	cnb__executor_qemu_argv_free(argv);
	channels_close(ch.qemu, QEMU_N_FDS - 1);
	if (pid < 0) {
		channels_close(ch.host, QEMU_N_FDS - 1);
		if (ok)
			cnb__error_errno(err, CNB_EVM, fork_errno, "start QEMU");
		else
			cnb__error_set(err, CNB_ENOMEM, "out of memory");
		return BOOT_FAILED;
	}
	/* A restored guest is already waiting for "go": the socket holds it until the port is read. */
	if (restore && send_go(HOST_FD(&ch, QEMU_CONTROL_FD)) < 0)
		cnb__api_log(ctx, CNB_LOG_DEBUG, "could not send the restored guest its start message: %s", strerror(errno));
	boot_session session = { &ch, snap };
	w.on_booted = on_booted;
	w.booted_userdata = &session;
	w.console_fd = TAKE_FD(HOST_FD(&ch, QEMU_CONSOLE_FD));
	w.event_fd = TAKE_FD(HOST_FD(&ch, QEMU_EVENT_FD));
	w.output_fd = TAKE_FD(HOST_FD(&ch, QEMU_OUTPUT_FD));
	w.error_fd = TAKE_FD(HOST_FD(&ch, QEMU_ERROR_FD));
	if (job->raw_output)
		w.raw_stdout_fd = job->raw_stdout_fd, w.raw_stderr_fd = job->raw_stderr_fd;
	w.pid_fd = cnb__os_pid_watch(pid);
	unsigned ready_ms = restore ? RESTORE_READY_TIMEOUT_MS : cnb__executor_accel_ready_timeout_ms(accel);
	w.ready_deadline_ms = w.start_ms + ready_ms;
	w.deadline_ms = job_deadline_ms(job, w.start_ms, ready_ms);
	cnb__api_log(ctx, CNB_LOG_DEBUG, "started QEMU (pid %d, %s, %s, %s, %s)", (int)pid, cnb__executor_qemu_arch_get(arch)->name,
		 cnb__executor_accel_name(accel), img->microvm ? "microvm" : cnb__executor_qemu_arch_get(arch)->machine,
		 restore ? "restoring a snapshot" : "cold boot");
	cnb__executor_watch_end end = cnb__executor_guest_watch_run(ctx, &w);
	if (end != CNB_WATCH_EXITED)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	boot_outcome outcome = outcome_of(&w, end, status, ready_ms, accel, err);
	cnb__executor_guest_watch_close(&w);
	channels_close(ch.host, QEMU_N_FDS - 1);
	return outcome;
}

static void reset_result(cnb__executor_job_result *out)
{
	free(out->steps);
	bool fell_back = out->accel_fell_back;
	memset(out, 0, sizeof(*out));
	out->accel_fell_back = fell_back;
}

int cnb__executor_vm_run(cnb_ctx *ctx, const cnb__executor_job *job, int cancel_fd, cnb__executor_job_result *out, cnb_error **err)
{
	cnb__vm_arch arch;
	cnb__executor_vm_image img;
	int rc = cnb__executor_vm_arch_parse(job->arch, &arch, err);
	if (rc == 0)
		rc = cnb__executor_vm_image_find(ctx, job, arch, &img, err);
	if (rc < 0)
		return rc;
	cnb__accel accel;
	if (cnb__executor_accel_choose(ctx, img.kernel, &accel) < 0) {
		cnb__executor_vm_image_free(&img);
		return cnb__error_set(err, CNB_EINVAL, "CNB_VM_ACCEL=%s: use kvm, hvf or tcg", getenv("CNB_VM_ACCEL"));
	}
	if (arch != cnb__executor_vm_arch_host()) /* KVM and HVF run only the host's own architecture */
		accel = CNB_ACCEL_TCG;
	_cleanup_free_ char *json = NULL, *job_file = cnb__path_join(job->job_dir, CNB_JOB_FILE);
	rc = job_file ? cnb__executor_job_to_json(job, &json, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cnb__write_file_atomic(job_file, json, strlen(json), 0644, err);
	cnb__accel failed_accel = accel;
	bool may_restore = true, rootfs_real = !cnb__rootfs_mapped_xattr_tree(job->rootfs);
	while (rc == 0) {
		cnb_error *boot_err = NULL;
		snprintf(out->accel, sizeof(out->accel), "%s", cnb__executor_accel_name(accel));
		cnb__executor_vm_snapshot snap = { .restore_fd = -1 };
		/* one configuration for the snapshot key and the boot (the key leaves the job's paths out) */
		cnb__executor_qemu_config qc = { .accel = accel, .arch = arch, .microvm = img.microvm, .kernel = img.kernel,
					.initrd = img.initrd, .cpus = job->cpus, .memory_mb = job->memory_mb,
					.rootfs = job->rootfs, .job_dir = job->job_dir, .rootfs_real = rootfs_real,
					.mounts = job->mounts, .n_mounts = job->n_mounts, .network = job->network,
					.console_fd = QEMU_CONSOLE_FD, .event_fd = QEMU_EVENT_FD, .output_fd = QEMU_OUTPUT_FD,
					.error_fd = QEMU_ERROR_FD, .qmp_fd = QEMU_QMP_FD, .control_fd = QEMU_CONTROL_FD,
					.incoming_fd = QEMU_INCOMING_FD };
		cnb__executor_vm_snapshot_find(ctx, &qc, &snap);
		if (!may_restore && snap.restore_fd >= 0)
			close(TAKE_FD(snap.restore_fd));
		bool restored = snap.restore_fd >= 0;
		boot_outcome o = boot_once(ctx, job, &img, &qc, &snap, cancel_fd, out, &boot_err);
		bool bad_snapshot = restored && (o == BOOT_HUNG || o == BOOT_NOT_READY);
		if (bad_snapshot) {
			cnb__api_log(ctx, CNB_LOG_DEBUG, "restoring the VM snapshot failed (%s): booting cold and saving a new one",
				 cnb_error_message(boot_err));
			cnb__executor_vm_snapshot_discard(&snap);
			cnb__error_clear(&boot_err);
			reset_result(out);
			may_restore = false;
		}
		if (restored && o == BOOT_DONE)
			cnb__executor_vm_snapshot_restored(&snap);
		cnb__executor_vm_snapshot_free(&snap);
		if (bad_snapshot)
			continue;
		if (o == BOOT_DONE) {
			/* Only a verdict once TCG got through: a VM that fails everywhere says nothing of KVM. */
			if (out->accel_fell_back)
				cnb__executor_accel_remember_failure(ctx, img.kernel, failed_accel);
			break;
		}
		if ((o == BOOT_HUNG || o == BOOT_NOT_READY) && accel != CNB_ACCEL_TCG && !out->accel_fell_back) {
			cnb__api_log(ctx, CNB_LOG_WARN, "%s; retrying with TCG (slower). Set CNB_VM_ACCEL=tcg to skip the wait.",
				 cnb_error_message(boot_err));
			cnb__error_clear(&boot_err);
			reset_result(out);
			out->accel_fell_back = true;
			accel = CNB_ACCEL_TCG;
			continue;
		}
		rc = cnb__error_code(&boot_err, CNB_EVM);
		if (err && !*err)
			*err = boot_err;
		else
			cnb__error_clear(&boot_err);
	}
	if (job_file)
		unlink(job_file);
	cnb__executor_vm_image_free(&img);
	return rc;
}
