/*
 * The host executor (Linux): the job runner of cnb-init, in private namespaces instead of a VM.
 *
 *   us --fork--> keeper --unshare(mnt,pid,uts,ipc[,net])--fork--> runner (PID 1 of the new pid ns)
 *
 * The keeper only waits and forwards the runner's status, so our pidfd watches one process whose
 * death (SIGKILL on cancel) takes the runner down through PDEATHSIG, and with it, as PID 1, every
 * process of the job. Events and output travel over pipes, watched like the VM's channels.
 * The runner keeps host root, but no step sees it: each step runs in user, PID and mount namespaces
 * of its own, pivoted into the job root, without capabilities, with no_new_privs, on nosuid mounts
 * (lib/executor/job-runner.c). The user namespace maps the step's ids to a range no host account
 * uses (host-idmap.h): the caller owns what steps write in the job dir by those host ids
 * (cnb__executor_idmap_to_host), the rootfs is seen through an idmapped mount.
 */
#include "vm-run.h"
#include "guest-channel.h"
#include "guest-net.h"
#include "guest-protocol.h"
#include "host-idmap.h"
#include "job-runner.h"
#include "../api/ctx-internal.h"
#include "../common/cleanup.h"
#include "../common/fs.h"
#include "../common/error-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The runner's ends of its channels to the host. */
typedef struct runner_fds {
	int event, output, error;
} runner_fds;

static void __attribute__((noreturn)) runner(const cnb__executor_job *job, const cnb__executor_idmap *idmap, const char *scratch,
					     runner_fds fds)
{
	cnb_error *err = NULL;
	int event_fd = fds.event;
	cnb__executor_jobrun_env env = { .lower = job->rootfs, .job_dir = job->job_dir,
				.tools_dir = cnb__executor_libexec_dir(), .scratch = scratch,
				.output_fd = fds.output, .error_fd = fds.error, .event_fd = event_fd, .idmap = idmap };
	_cleanup_free_ char *root = NULL;
	/* Our PID namespace's own /proc: the id maps of a step are written to /proc/<pid>, pids as we see them. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		cnb__executor_jobrun_report(event_fd, CNB_GUEST_EVENT_ERROR, "mount /proc of the job's PID namespace: %s",
				   strerror(errno));
		_exit(1);
	}
	if ((!job->network && cnb__executor_net_loopback_up(&err) < 0) || cnb__executor_jobrun_setup(job, &env, &root, &err) < 0) {
		cnb__executor_jobrun_report(event_fd, CNB_GUEST_EVENT_ERROR, "%s", cnb_error_message(err));
		_exit(1);
	}
	cnb__executor_jobrun_steps(job, root, &env);
	cnb__executor_guest_event done = { .type = CNB_GUEST_EVENT_DONE };
	cnb__executor_guest_event_write(event_fd, &done);
	_exit(0);
}

static void __attribute__((noreturn)) keeper(const cnb__executor_job *job, const cnb__executor_idmap *idmap, const char *scratch,
					     runner_fds fds, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | (job->network ? 0 : CLONE_NEWNET);
	if (unshare(flags) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		cnb__executor_jobrun_report(fds.event, CNB_GUEST_EVENT_ERROR, "create namespaces: %s", strerror(errno));
		_exit(1);
	}
	/* The runner cannot see the keeper's pid from inside its pid namespace: it learns whether the
	 * keeper died before PDEATHSIG was armed from the hang-up of a pipe only the keeper holds. */
	int alive[2];
	if (pipe2(alive, O_CLOEXEC) < 0)
		_exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(alive[1]);
		struct pollfd p = { .fd = alive[0], .events = POLLIN };
		if (poll(&p, 1, 0) != 0)
			_exit(1);
		close(alive[0]);
		runner(job, idmap, scratch, fds);
	}
	close(fds.event);
	close(fds.output);
	close(fds.error);
	int status = 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	_exit(pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

int cnb__executor_host_run(cnb_ctx *ctx, const cnb__executor_job *job, int cancel_fd, cnb__executor_job_result *out, cnb_error **err)
{
#ifndef __linux__
	return cnb__error_set(err, CNB_EUNSUPPORTED, "the host executor needs Linux: use the vm executor");
#else
	snprintf(out->accel, sizeof(out->accel), "host");
	for (size_t i = 0; i < job->n_steps; i++)
		if (job->steps[i].privileged)
			return cnb__error_set(err, CNB_EUNSUPPORTED,
					      "step %s needs root's capabilities to sandbox untrusted code (Dockerfile RUN "
					      "steps of image extensions), which the host executor cannot contain: use the "
					      "vm executor", job->steps[i].name);
	if (geteuid() != 0)
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "the host executor needs root (it mounts the job's root and maps build steps to "
				      "subordinate ids, see docs/design-notes.md; rootless runs are not supported): run as "
				      "root or use the vm executor");
	cnb__executor_idmap idmap;
	uint32_t host_uid, host_gid;
	if (cnb__executor_idmap_check_kernel(NULL, err) < 0 || cnb__executor_idmap_get(&idmap, NULL, NULL, err) < 0)
		return cnb__error_prefix(err, "host executor");
	for (size_t i = 0; i < job->n_steps; i++)
		if (cnb__executor_idmap_to_host(&idmap, job->steps[i].uid, job->steps[i].gid, &host_uid, &host_gid, err) < 0)
			return cnb__error_prefix(err, "host executor: step %s", job->steps[i].name);
	_cleanup_free_ char *scratch = NULL;
	if (cnb__mkdtemp("cnb-host-", &scratch, err) < 0)
		return cnb__error_prefix(err, "host executor scratch directory");
	int ev[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	if (pipe2(ev, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		int e = errno;
		int *ends[] = { ev, outp, errp };
		for (size_t i = 0; i < CNB_ARRAY_SIZE(ends); i++)
			if (ends[i][0] >= 0)
				close(ends[i][0]), close(ends[i][1]);
		rmdir(scratch);
		return cnb__error_errno(err, CNB_EIO, e, "create a pipe");
	}
	cnb__executor_guest_watch w;
	pid_t parent = getpid(), pid = -1;
	if (cnb__executor_guest_watch_init(&w, out, job->n_steps, cancel_fd) == 0)
		pid = fork();
	if (pid == 0) {
		close(ev[0]);
		close(outp[0]);
		close(errp[0]);
		keeper(job, &idmap, scratch, (runner_fds){ ev[1], outp[1], errp[1] }, parent);
	}
	close(ev[1]);
	close(outp[1]);
	close(errp[1]);
	w.event_fd = ev[0];
	w.output_fd = outp[0];
	w.error_fd = errp[0];
	if (job->raw_output)
		w.raw_stdout_fd = job->raw_stdout_fd, w.raw_stderr_fd = job->raw_stderr_fd;
	int rc = 0;
	if (pid < 0) {
		rc = cnb__error_errno(err, CNB_EVM, errno, "fork the host executor");
	} else {
		w.pid_fd = (int)syscall(SYS_pidfd_open, pid, 0);
		cnb__executor_watch_end end = cnb__executor_guest_watch_run(ctx, &w);
		if (end != CNB_WATCH_EXITED)
			kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		out->boot_ms = 0;
		if (end == CNB_WATCH_CANCELED)
			rc = cnb__error_set(err, CNB_ECANCELED, "canceled: the job was stopped");
		else if (w.error[0])
			rc = cnb__error_set(err, CNB_EVM, "host executor: %s", w.error);
		else if (!w.done)
			rc = cnb__error_set(err, CNB_EVM, "host executor: the job runner died without reporting a result");
	}
	cnb__executor_guest_watch_close(&w);
	rmdir(scratch);
	return rc;
#endif
}
