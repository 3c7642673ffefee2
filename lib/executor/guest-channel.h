/*
 * The host end of a running job, shared by both executors: one poll loop over the job's stdout and
 * stderr (-> CNB_LOG_OUTPUT line by line, live; or byte for byte to the caller's fds), its event channel (guest-protocol.h -> results), the
 * console (QEMU stderr + serial: kept as the last lines for error messages, DEBUG log), the
 * child's pidfd, the caller's cancel fd and the deadlines.
 */
#ifndef CNB_VM_GUEST_CHANNEL_H
#define CNB_VM_GUEST_CHANNEL_H

#include "executor.h"

#include <stdbool.h>
#include <stdint.h>

#define CNB_CONSOLE_TAIL_LINES 12

typedef enum cnb__executor_watch_end {
	CNB_WATCH_EXITED,        /* the child exited and its channels are drained */
	CNB_WATCH_CANCELED,      /* cancel_fd became readable */
	CNB_WATCH_READY_TIMEOUT, /* no "ready" before ready_deadline_ms */
	CNB_WATCH_TIMEOUT,       /* deadline_ms passed */
} cnb__executor_watch_end;

typedef struct cnb__executor_guest_watch {
	/* inputs: fds are read ends, owned (closed) by the watch; -1 when absent */
	int output_fd, error_fd, event_fd, console_fd; /* error_fd: the steps' stderr when apart */
	int raw_stdout_fd, raw_stderr_fd; /* >= 0: the steps' output bytes go here as they come, not to the log */
	int pid_fd;
	int cancel_fd;
	uint64_t start_ms, ready_deadline_ms, deadline_ms; /* monotonic; deadlines 0 = none */
	size_t n_steps;                                     /* of the job: bounds step indexes */
	/* called once on the guest's "booted" event (VM only: snapshot, then "go"); NULL: ignored */
	void (*on_booted)(cnb_ctx *ctx, struct cnb__executor_guest_watch *w, void *userdata);
	void *booted_userdata;
	/* results */
	bool booted, ready, done;
	char error[1024];   /* from an "error" event, or a protocol violation */
	char *console_tail[CNB_CONSOLE_TAIL_LINES];
	size_t console_next;
	cnb__executor_job_result *result;
} cnb__executor_guest_watch;

/* Initialises w (all fds -1); `result` receives steps and boot_ms. */
int cnb__executor_guest_watch_init(cnb__executor_guest_watch *w, cnb__executor_job_result *result, size_t n_steps, int cancel_fd);

cnb__executor_watch_end cnb__executor_guest_watch_run(cnb_ctx *ctx, cnb__executor_guest_watch *w);

/* The last console lines joined with " | " (caller frees; "" when none). */
char *cnb__executor_guest_watch_console(const cnb__executor_guest_watch *w);

/* Closes what is still open and frees the console tail. */
void cnb__executor_guest_watch_close(cnb__executor_guest_watch *w);

#endif
