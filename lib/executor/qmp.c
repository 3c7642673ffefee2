/* QMP: one request at a time, answers matched by order (QMP answers commands in order). */
#include "qmp.h"
#include "../common/clock.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"
#include "../os/os.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* query-machines is the longest answer we might ever read (~20 KB); anything past this is not QEMU. */
#define QMP_MAX_LINE (1u << 20)

/* The next complete JSON line from QEMU (caller decrefs). */
static int read_message(cnb__executor_qmp *q, uint64_t deadline_ms, json_t **out, cnb_error **err)
{
	for (;;) {
		char *nl = q->in.data ? memchr(q->in.data, '\n', q->in.len) : NULL;
		if (nl) {
			size_t len = (size_t)(nl - q->in.data);
			*out = json_loadb(q->in.data, len, 0, NULL);
			memmove(q->in.data, nl + 1, q->in.len - len - 1);
			q->in.len -= len + 1;
			if (!*out)
				return cnb__error_set(err, CNB_EVM, "QMP: QEMU sent a line that is not JSON");
			return 0;
		}
		if (q->in.len > QMP_MAX_LINE)
			return cnb__error_set(err, CNB_EVM, "QMP: a line from QEMU is longer than %u bytes", QMP_MAX_LINE);
		uint64_t now = cnb__monotonic_ms();
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		int r = now >= deadline_ms ? 0 : poll(&p, 1, (int)(deadline_ms - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return cnb__error_set(err, CNB_ETIMEOUT, "QMP: no answer from QEMU in time");
		char chunk[16384];
		ssize_t n = read(q->fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return cnb__error_set(err, CNB_EVM, "QMP: QEMU closed the monitor");
		if (cnb__buf_append(&q->in, chunk, (size_t)n) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
}

static int send_line(int fd, const char *line, int pass_fd)
{
	struct iovec iov = { .iov_base = (void *)line, .iov_len = strlen(line) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (pass_fd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	while (iov.iov_len > 0) { /* the fd travels with the first byte */
		ssize_t n = cnb__os_sendmsg(fd, &msg);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= (size_t)n;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	}
	return 0;
}

int cnb__executor_qmp_call(cnb__executor_qmp *q, const char *command, json_t *args, int pass_fd, json_t **ret, uint64_t deadline_ms,
		  cnb_error **err)
{
	json_t *req = json_pack("{s:s}", "execute", command);
	if (req && args)
		json_object_set(req, "arguments", args);
	_cleanup_free_ char *line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	_cleanup_free_ char *framed = NULL;
	if (!line || asprintf(&framed, "%s\n", line) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (send_line(q->fd, framed, pass_fd) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "QMP: send %s", command);
	for (;;) {
		json_t *msg = NULL;
		int r = read_message(q, deadline_ms, &msg, err);
		if (r < 0) {
			cnb__error_prefix(err, "QMP %s", command);
			return r;
		}
		json_t *error = json_object_get(msg, "error");
		if (error) {
			r = cnb__error_set(err, CNB_EVM, "QMP %s: %s", command,
					   json_string_value(json_object_get(error, "desc")) ?: "error");
			json_decref(msg);
			return r;
		}
		json_t *value = json_object_get(msg, "return");
		if (value) {
			if (ret)
				*ret = json_incref(value);
			json_decref(msg);
			return 0;
		}
		json_decref(msg); /* an asynchronous event (STOP, RESUME, MIGRATION...): not our answer */
	}
}

int cnb__executor_qmp_connect(cnb__executor_qmp *q, int fd, uint64_t deadline_ms, cnb_error **err)
{
	q->fd = fd;
	q->in = (cnb__buf)CNB_BUF_INIT;
	json_t *greeting = NULL;
	int r = read_message(q, deadline_ms, &greeting, err);
	bool is_qmp = r == 0 && json_object_get(greeting, "QMP");
	json_decref(greeting);
	if (r < 0) {
		cnb__error_prefix(err, "QMP greeting");
		return r;
	}
	if (!is_qmp)
		return cnb__error_set(err, CNB_EVM, "QMP: QEMU's first line is not a QMP greeting");
	return cnb__executor_qmp_call(q, "qmp_capabilities", NULL, -1, NULL, deadline_ms, err);
}

void cnb__executor_qmp_close(cnb__executor_qmp *q)
{
	cnb__buf_reset(&q->in);
}
