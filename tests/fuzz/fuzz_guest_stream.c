/*
 * libFuzzer target for the host end of a running job as a stream (lib/executor/guest-channel.c): what a
 * compromised guest or step writes to the event channel and the output, in any split, over pipes
 * into the real poll loop. The first byte chooses where the input splits into events and output
 * and how many steps the job has. The loop must end once both streams close, record at most the
 * job's steps with exit codes in range, and keep its error message a terminated string.
 */
#include "fuzz-util.h"
#include "lib/executor/guest-channel.h"

#include <fcntl.h>
#include <unistd.h>

#define MAX_INPUT 60000 /* below a pipe's capacity: everything is written before the loop runs */

static int fill_pipe(const uint8_t *data, size_t len)
{
	int p[2];
	FUZZ_CHECK(pipe2(p, O_CLOEXEC) == 0);
	FUZZ_CHECK(write(p[1], data, len) == (ssize_t)len);
	close(p[1]);
	return p[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > MAX_INPUT)
		return 0;
	size_t n_steps = 1 + data[0] % 8;
	size_t rest = size - 1, split = rest ? (data[0] * rest) / 255 : 0;
	cnb__executor_job_result result = { 0 };
	cnb__executor_guest_watch w;
	FUZZ_CHECK(cnb__executor_guest_watch_init(&w, &result, n_steps, -1) == 0);
	w.event_fd = fill_pipe(data + 1, split);
	w.output_fd = fill_pipe(data + 1 + split, rest - split);
	FUZZ_CHECK(cnb__executor_guest_watch_run(NULL, &w) == CNB_WATCH_EXITED);
	FUZZ_CHECK(result.n_steps_run <= n_steps);
	for (size_t i = 0; i < result.n_steps_run; i++)
		FUZZ_CHECK(result.steps[i].exit_code >= 0 && result.steps[i].exit_code <= 255 + 128);
	FUZZ_CHECK(memchr(w.error, 0, sizeof(w.error)));
	free(cnb__executor_guest_watch_console(&w));
	cnb__executor_guest_watch_close(&w);
	free(result.steps);
	return 0;
}
