/* The VM executor: QEMU with cnb-init as PID 1, a boot watchdog, and nothing left behind. */
#include "vm-run.h"
#include "accel.h"
#include "clock.h"
#include "guest-channel.h"
#include "job.h"
#include "qemu-argv.h"
#include "vm-image.h"
#include "../api/ctx-internal.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"
#include "../common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* fd numbers inside the QEMU process (see qemu-argv.h) */
enum { QEMU_CONSOLE_FD = 3, QEMU_EVENT_FD = 4, QEMU_OUTPUT_FD = 5 };

/* BOOT_NOT_READY: QEMU exited before the guest said "ready" (e.g. /dev/kvm refused): worth a TCG retry. */
typedef enum boot_outcome { BOOT_DONE, BOOT_HUNG, BOOT_NOT_READY, BOOT_FAILED } boot_outcome;

static void __attribute__((noreturn)) exec_qemu(char **argv, const int fds[3], pid_t parent)
{
	/* QEMU must not outlive us, even when we are SIGKILLed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	int high[3];
	for (int i = 0; i < 3; i++)
		high[i] = fcntl(fds[i], F_DUPFD, 10);
	for (int i = 0; i < 3; i++)
		dup2(high[i], QEMU_CONSOLE_FD + i);
	int devnull = open("/dev/null", O_RDONLY);
	dup2(devnull, STDIN_FILENO);
	dup2(QEMU_CONSOLE_FD, STDOUT_FILENO);
	dup2(QEMU_CONSOLE_FD, STDERR_FILENO);
	syscall(SYS_close_range, QEMU_OUTPUT_FD + 1, ~0U, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s (install qemu-system-x86, or set CNB_QEMU)\n", argv[0],
		strerror(errno));
	_exit(127);
}

/* Deadline for the whole VM: only when every step has a timeout (a job without one may run forever). */
static uint64_t job_deadline_ms(const cnb__job *job, uint64_t start, unsigned boot_ms)
{
	uint64_t total = boot_ms + 30000;
	for (size_t i = 0; i < job->n_steps; i++) {
		if (job->steps[i].timeout_s <= 0)
			return 0;
		total += (uint64_t)job->steps[i].timeout_s * 1000u;
	}
	return start + total;
}

static boot_outcome boot_once(cnb_ctx *ctx, const cnb__job *job, const cnb__vm_image *img, cnb__accel accel,
			      int cancel_fd, cnb__job_result *out, cnb_error **err)
{
	int pipes[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	for (int i = 0; i < 3; i++)
		if (pipe2(pipes[i], O_CLOEXEC) < 0) {
			for (int j = 0; j < i; j++)
				close(pipes[j][0]), close(pipes[j][1]);
			cnb__error_errno(err, CNB_EVM, errno, "create a pipe for QEMU");
			return BOOT_FAILED;
		}
	cnb__qemu_config qc = { .accel = accel, .microvm = img->microvm, .kernel = img->kernel, .initrd = img->initrd,
				.cpus = job->cpus, .memory_mb = job->memory_mb, .rootfs = job->rootfs,
				.mounts = job->mounts, .n_mounts = job->n_mounts,
				.job_dir = job->job_dir, .network = job->network, .console_fd = QEMU_CONSOLE_FD,
				.event_fd = QEMU_EVENT_FD, .output_fd = QEMU_OUTPUT_FD };
	char **argv = NULL;
	cnb__guest_watch w;
	bool ok = cnb__qemu_argv(&qc, &argv, err) == 0 &&
		  cnb__guest_watch_init(&w, out, job->n_steps, cancel_fd) == 0;
	pid_t parent = getpid(), pid = ok ? fork() : -1;
	if (pid == 0)
		exec_qemu(argv, (int[3]){ pipes[0][1], pipes[1][1], pipes[2][1] }, parent);
	int fork_errno = errno;
	cnb__qemu_argv_free(argv);
	for (int i = 0; i < 3; i++)
		close(pipes[i][1]);
	if (pid < 0) {
		for (int i = 0; i < 3; i++)
			close(pipes[i][0]);
		if (ok)
			cnb__error_errno(err, CNB_EVM, fork_errno, "start QEMU");
		else
			cnb__error_set(err, CNB_ENOMEM, "out of memory");
		return BOOT_FAILED;
	}
	w.console_fd = pipes[0][0];
	w.event_fd = pipes[1][0];
	w.output_fd = pipes[2][0];
	w.pid_fd = (int)syscall(SYS_pidfd_open, pid, 0);
	w.ready_deadline_ms = w.start_ms + cnb__accel_ready_timeout_ms(accel);
	w.deadline_ms = job_deadline_ms(job, w.start_ms, cnb__accel_ready_timeout_ms(accel));
	cnb__log(ctx, CNB_LOG_DEBUG, "started QEMU (pid %d, %s, %s)", (int)pid, cnb__accel_name(accel),
		 img->microvm ? "microvm" : "pc");
	cnb__watch_end end = cnb__guest_watch_run(ctx, &w);
	if (end != CNB_WATCH_EXITED)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	_cleanup_free_ char *console = cnb__guest_watch_console(&w);
	boot_outcome outcome = BOOT_FAILED;
	if (end == CNB_WATCH_CANCELED)
		cnb__error_set(err, CNB_ECANCELED, "canceled: the VM was stopped");
	else if (end == CNB_WATCH_READY_TIMEOUT)
		outcome = BOOT_HUNG, cnb__error_set(err, CNB_EVM, "the VM did not become ready within %u s under %s%s%s",
						    cnb__accel_ready_timeout_ms(accel) / 1000, cnb__accel_name(accel),
						    console && *console ? "; last console lines: " : "", console ? console : "");
	else if (end == CNB_WATCH_TIMEOUT)
		cnb__error_set(err, CNB_ETIMEOUT, "the VM ran past the sum of the step timeouts and was stopped");
	else if (w.done && !w.error[0])
		outcome = BOOT_DONE;
	else if (w.error[0])
		cnb__error_set(err, CNB_EVM, "the VM failed: %s", w.error);
	else
		outcome = w.ready ? BOOT_FAILED : BOOT_NOT_READY, cnb__error_set(err, CNB_EVM, "the VM exited (status %d) without reporting a result%s%s",
			       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			       console && *console ? "; last console lines: " : "", console ? console : "");
	cnb__guest_watch_close(&w);
	return outcome;
}

int cnb__vm_run(cnb_ctx *ctx, const cnb__job *job, int cancel_fd, cnb__job_result *out, cnb_error **err)
{
	cnb__vm_image img;
	int rc = cnb__vm_image_find(ctx, job, &img, err);
	if (rc < 0)
		return rc;
	cnb__accel accel;
	if (cnb__accel_choose(ctx, img.kernel, &accel) < 0) {
		cnb__vm_image_free(&img);
		return cnb__error_set(err, CNB_EINVAL, "CNB_VM_ACCEL=%s: use kvm, hvf or tcg", getenv("CNB_VM_ACCEL"));
	}
	_cleanup_free_ char *json = NULL, *job_file = cnb__path_join(job->job_dir, CNB_JOB_FILE);
	rc = job_file ? cnb__job_to_json(job, &json, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cnb__write_file_atomic(job_file, json, strlen(json), 0644, err);
	for (int attempt = 0; rc == 0; attempt++) {
		cnb_error *boot_err = NULL;
		snprintf(out->accel, sizeof(out->accel), "%s", cnb__accel_name(accel));
		boot_outcome o = boot_once(ctx, job, &img, accel, cancel_fd, out, &boot_err);
		if (o == BOOT_DONE)
			break;
		if ((o == BOOT_HUNG || o == BOOT_NOT_READY) && accel != CNB_ACCEL_TCG && attempt == 0) {
			cnb__log(ctx, CNB_LOG_WARN, "%s; retrying with TCG (slower). Set CNB_VM_ACCEL=tcg to skip the wait.",
				 cnb_error_message(boot_err));
			if (o == BOOT_HUNG)
				cnb__accel_remember_hang(ctx, img.kernel, accel);
			cnb__error_clear(&boot_err);
			free(out->steps);
			memset(out, 0, sizeof(*out));
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
	cnb__vm_image_free(&img);
	return rc;
}
