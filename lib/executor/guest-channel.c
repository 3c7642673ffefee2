/* The host end of a running job: one poll loop, bounded line splitting of untrusted streams. */
#include "guest-channel.h"
#include "../common/clock.h"
#include "guest-protocol.h"
#include "../api/ctx-internal.h"
#include "../common/buf.h"
#include "../common/cleanup.h"
#include "../common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A build step's line longer than this is delivered in pieces; the guest cannot make us buffer more. */
#define OUTPUT_MAX_LINE (64 * 1024)
#define CONSOLE_MAX_LINE 1024
/* After the child exits, its channels get this long to reach EOF (a leaked fd must not hang us). */
#define DRAIN_MS 2000

enum { STREAM_OUTPUT, STREAM_ERROR, STREAM_EVENT, STREAM_CONSOLE, N_STREAMS };

typedef struct line_stream {
	int *fd;
	char *buf;
	size_t len, max;
	bool discarding; /* inside an over-long event line: drop it up to the next newline */
} line_stream;

int cnb__executor_guest_watch_init(cnb__executor_guest_watch *w, cnb__executor_job_result *result, size_t n_steps, int cancel_fd)
{
	memset(w, 0, sizeof(*w));
	w->output_fd = w->error_fd = w->event_fd = w->console_fd = w->pid_fd = -1;
	w->raw_stdout_fd = w->raw_stderr_fd = -1;
	w->cancel_fd = cancel_fd;
	w->result = result;
	w->n_steps = n_steps;
	w->start_ms = cnb__monotonic_ms();
	result->steps = calloc(n_steps ? n_steps : 1, sizeof(cnb__executor_step_result));
	return result->steps ? 0 : -1;
}

static void protocol_error(cnb__executor_guest_watch *w, const char *what)
{
	if (!w->error[0])
		snprintf(w->error, sizeof(w->error), "bad event from the job runner: %s", what);
}

static void on_event(cnb_ctx *ctx, cnb__executor_guest_watch *w, const char *line, size_t len)
{
	cnb__executor_guest_event ev;
	if (cnb__executor_guest_event_parse(line, len, &ev) < 0) {
		protocol_error(w, "malformed line");
		return;
	}
	cnb__executor_job_result *r = w->result;
	switch (ev.type) {
	case CNB_GUEST_EVENT_BOOTED:
		if (w->booted || w->ready) {
			protocol_error(w, "booted twice, or after ready");
			break;
		}
		w->booted = true;
		if (w->on_booted)
			w->on_booted(ctx, w, w->booted_userdata);
		break;
	case CNB_GUEST_EVENT_READY:
		w->ready = true;
		r->boot_ms = cnb__monotonic_ms() - w->start_ms;
		cnb__api_log(ctx, CNB_LOG_DEBUG, "job environment ready after %llu ms (%llu ms inside)",
			 (unsigned long long)r->boot_ms, (unsigned long long)ev.ms);
		break;
	case CNB_GUEST_EVENT_LOG:
		cnb__api_log(ctx, CNB_LOG_WARN, "job runner: %s", ev.message);
		break;
	case CNB_GUEST_EVENT_STEP_START:
		if (ev.step != r->n_steps_run || ev.step >= w->n_steps) {
			protocol_error(w, "step out of order");
			break;
		}
		r->n_steps_run = ev.step + 1;
		if (ev.step == 0)
			r->setup_ms = cnb__monotonic_ms() - w->start_ms - r->boot_ms;
		break;
	case CNB_GUEST_EVENT_STEP_END:
		if (ev.step + 1 != r->n_steps_run) {
			protocol_error(w, "end of a step that did not start");
			break;
		}
		r->steps[ev.step] = (cnb__executor_step_result){ ev.exit_code, ev.timed_out, ev.ms, ev.no_space };
		break;
	case CNB_GUEST_EVENT_ERROR:
		snprintf(w->error, sizeof(w->error), "%s", ev.message);
		break;
	case CNB_GUEST_EVENT_DONE:
		w->done = true;
		break;
	}
}

static void on_console(cnb_ctx *ctx, cnb__executor_guest_watch *w, const char *line, size_t len)
{
	cnb__api_log(ctx, CNB_LOG_DEBUG, "vm: %.*s", (int)len, line);
	char **slot = &w->console_tail[w->console_next++ % CNB_CONSOLE_TAIL_LINES];
	free(*slot);
	*slot = strndup(line, len);
}

static void deliver(cnb_ctx *ctx, cnb__executor_guest_watch *w, int kind, char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	if (kind == STREAM_OUTPUT || kind == STREAM_ERROR)
		cnb__api_log(ctx, CNB_LOG_OUTPUT, "%s", line);
	else if (kind == STREAM_EVENT)
		on_event(ctx, w, line, len);
	else
		on_console(ctx, w, line, len);
}

/* The fd a stream's bytes are copied to unsplit, or -1 (lines to the log). */
static int raw_sink(const cnb__executor_guest_watch *w, int kind)
{
	return kind == STREAM_OUTPUT ? w->raw_stdout_fd : kind == STREAM_ERROR ? w->raw_stderr_fd : -1;
}

/* Reads what is there; delivers complete lines, or copies the bytes to the stream's raw sink.
 * Returns false at EOF or error (fd closed). */
static bool stream_read(cnb_ctx *ctx, cnb__executor_guest_watch *w, int kind, line_stream *s)
{
	int sink = raw_sink(w, kind);
	ssize_t n = read(*s->fd, s->buf + s->len, s->max - s->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n > 0 && sink >= 0) {
		cnb__write_all(sink, s->buf, (size_t)n); /* a closed stdout must not stop the job */
		return true;
	}
	if (n <= 0) {
		if (s->len && !s->discarding)
			deliver(ctx, w, kind, s->buf, s->len);
		s->len = 0;
		close(*s->fd);
		*s->fd = -1;
		return false;
	}
	s->len += (size_t)n;
	size_t start = 0;
	for (size_t i = 0; i < s->len; i++) {
		if (s->buf[i] != '\n')
			continue;
		if (!s->discarding)
			deliver(ctx, w, kind, s->buf + start, i - start);
		s->discarding = false;
		start = i + 1;
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
	if (s->len == s->max) {
		if (kind == STREAM_EVENT) {
			protocol_error(w, "line too long");
			s->discarding = true;
		} else if (!s->discarding) {
			deliver(ctx, w, kind, s->buf, s->len);
		}
		s->len = 0;
	}
	return true;
}

cnb__executor_watch_end cnb__executor_guest_watch_run(cnb_ctx *ctx, cnb__executor_guest_watch *w)
{
	static const size_t max[N_STREAMS] = { OUTPUT_MAX_LINE, OUTPUT_MAX_LINE, CNB_GUEST_EVENT_MAX_LINE, CONSOLE_MAX_LINE };
	line_stream streams[N_STREAMS] = { { .fd = &w->output_fd }, { .fd = &w->error_fd }, { .fd = &w->event_fd },
					   { .fd = &w->console_fd } };
	char *bufs[N_STREAMS] = { NULL };
	cnb__executor_watch_end end = CNB_WATCH_EXITED;
	for (int i = 0; i < N_STREAMS; i++) {
		/* +1: room for the NUL that deliver() writes after a full-length line */
		streams[i].max = max[i];
		streams[i].buf = bufs[i] = malloc(max[i] + 1);
		if (!bufs[i]) {
			protocol_error(w, "out of memory");
			goto out;
		}
	}
	uint64_t drain_deadline = 0;
	for (;;) {
		struct pollfd p[N_STREAMS + 2];
		int kinds[N_STREAMS];
		nfds_t n = 0;
		for (int i = 0; i < N_STREAMS; i++)
			if (*streams[i].fd >= 0) {
				kinds[n] = i;
				p[n++] = (struct pollfd){ .fd = *streams[i].fd, .events = POLLIN };
			}
		nfds_t n_streams = n;
		if (n_streams == 0 && (w->pid_fd < 0 || drain_deadline))
			break;
		p[n++] = (struct pollfd){ .fd = drain_deadline ? -1 : w->pid_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = w->cancel_fd, .events = POLLIN };
		uint64_t now = cnb__monotonic_ms(), next = drain_deadline;
		if (!w->ready && w->ready_deadline_ms && (!next || w->ready_deadline_ms < next))
			next = w->ready_deadline_ms;
		if (w->deadline_ms && (!next || w->deadline_ms < next))
			next = w->deadline_ms;
		int timeout = next ? (next > now ? (int)(next - now) : 0) : -1;
		int r = poll(p, n, timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (p[n - 1].revents) {
			end = CNB_WATCH_CANCELED;
			break;
		}
		for (nfds_t i = 0; r > 0 && i < n_streams; i++)
			if (p[i].revents)
				stream_read(ctx, w, kinds[i], &streams[kinds[i]]);
		if (p[n_streams].revents && !drain_deadline)
			drain_deadline = cnb__monotonic_ms() + DRAIN_MS;
		now = cnb__monotonic_ms();
		if (drain_deadline && now >= drain_deadline)
			break;
		if (!w->ready && w->ready_deadline_ms && now >= w->ready_deadline_ms && !drain_deadline) {
			end = CNB_WATCH_READY_TIMEOUT;
			break;
		}
		if (w->deadline_ms && now >= w->deadline_ms && !drain_deadline) {
			end = CNB_WATCH_TIMEOUT;
			break;
		}
	}
out:
	for (int i = 0; i < N_STREAMS; i++)
		free(bufs[i]);
	return end;
}

char *cnb__executor_guest_watch_console(const cnb__executor_guest_watch *w)
{
	_cleanup_buf_ cnb__buf b = CNB_BUF_INIT;
	for (size_t i = 0; i < CNB_CONSOLE_TAIL_LINES; i++) {
		const char *line = w->console_tail[(w->console_next + i) % CNB_CONSOLE_TAIL_LINES];
		if (line && *line && cnb__buf_printf(&b, "%s%s", b.len ? " | " : "", line) < 0)
			return NULL;
	}
	return cnb__buf_steal(&b);
}

void cnb__executor_guest_watch_close(cnb__executor_guest_watch *w)
{
	int *fds[] = { &w->output_fd, &w->error_fd, &w->event_fd, &w->console_fd, &w->pid_fd };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	for (size_t i = 0; i < CNB_CONSOLE_TAIL_LINES; i++) {
		free(w->console_tail[i]);
		w->console_tail[i] = NULL;
	}
}
