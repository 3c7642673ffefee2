/*
 * libFuzzer target for the guest -> host event channel: the host parses lines a compromised
 * guest may have written. Any line parses or is refused; a parsed event has range-checked
 * fields, and what the guest side writes for it (cnb__executor_guest_event_write) is one line under the
 * limit that parses back to the same event.
 */
#include "fuzz-util.h"
#include "lib/executor/guest-protocol.h"

#include <fcntl.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cnb__executor_guest_event ev;
	if (cnb__executor_guest_event_parse((const char *)data, size, &ev) < 0)
		return 0;
	FUZZ_CHECK(ev.type >= CNB_GUEST_EVENT_READY && ev.type <= CNB_GUEST_EVENT_DONE);
	FUZZ_CHECK(memchr(ev.message, 0, sizeof(ev.message)));
	FUZZ_CHECK(ev.exit_code >= 0 && ev.exit_code <= 255 + 128);

	int p[2];
	FUZZ_CHECK(pipe2(p, O_CLOEXEC) == 0);
	FUZZ_CHECK(cnb__executor_guest_event_write(p[1], &ev) == 0);
	close(p[1]);
	char line[CNB_GUEST_EVENT_MAX_LINE + 1];
	ssize_t n = read(p[0], line, sizeof(line));
	close(p[0]);
	FUZZ_CHECK(n > 0 && n <= CNB_GUEST_EVENT_MAX_LINE && line[n - 1] == '\n');
	cnb__executor_guest_event back;
	if (cnb__executor_guest_event_parse(line, (size_t)n - 1, &back) < 0) {
		fprintf(stderr, "written line does not parse: %.*s\n", (int)n, line);
		abort();
	}
	FUZZ_CHECK(back.type == ev.type && back.step == ev.step && back.exit_code == ev.exit_code &&
		   back.timed_out == ev.timed_out && back.ms == ev.ms && !strcmp(back.message, ev.message));
	return 0;
}
