/*
 * The guest -> host event channel: one JSON object per line, at most CNB_GUEST_EVENT_MAX_LINE
 * bytes, written by cnb-init (or the host executor's namespace child) on its own channel,
 * which steps never see (their output goes to a separate channel, passed through as text):
 *
 *   {"event":"booted"}                           kernel up, modules loaded, nothing mounted: the
 *                                                VM may be snapshotted now (vm-snapshot.h); the
 *                                                guest then waits for "go" (below)
 *   {"event":"ready","ms":812}                   job environment is mounted (boot done)
 *   {"event":"log","message":"..."}              a warning from the runner (e.g. no overlay)
 *   {"event":"step_start","step":0}
 *   {"event":"step_end","step":0,"exit_code":0,"timed_out":false,"ms":15}
 *   {"event":"step_end",...,"no_space":true}     it failed with the job's local storage full
 *   {"event":"error","message":"mount rootfs: ..."}   setup failed; no steps ran
 *   {"event":"done"}                             everything reported; the runner ends next
 *
 * The host parses this as untrusted input: bounded lines, known keys, range-checked numbers.
 * A missing "done" means the runner crashed: the host reports a VM error.
 *
 * The host -> guest control channel (VM only) carries one line, "go", after "booted" (a cold
 * boot) or at once (a VM restored from a snapshot, which resumes waiting for it):
 *
 *   {"go":1,"time_ns":1764750000123456789,"seed":"<64 hex digits>"}
 *
 * Every VM restored from one snapshot starts with the same clock and the same RNG state: the
 * guest sets its wall clock from time_ns and mixes seed into its RNG (and reseeds) before it
 * mounts anything or runs a step.
 */
#ifndef CNB_VM_GUEST_PROTOCOL_H
#define CNB_VM_GUEST_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CNB_GUEST_EVENT_MAX_LINE 4096

typedef enum cnb__executor_guest_event_type {
	CNB_GUEST_EVENT_BOOTED,
	CNB_GUEST_EVENT_READY,
	CNB_GUEST_EVENT_LOG,
	CNB_GUEST_EVENT_STEP_START,
	CNB_GUEST_EVENT_STEP_END,
	CNB_GUEST_EVENT_ERROR,
	CNB_GUEST_EVENT_DONE,
} cnb__executor_guest_event_type;

typedef struct cnb__executor_guest_event {
	cnb__executor_guest_event_type type;
	uint32_t step;
	int exit_code;
	bool timed_out;
	bool no_space;
	uint64_t ms;
	char message[1024];
} cnb__executor_guest_event;

/* Writes one event line to fd (guest side). Returns 0 or -1. */
int cnb__executor_guest_event_write(int fd, const cnb__executor_guest_event *ev);

/* Parses one line (without the newline). Returns 0, or -1 for anything malformed or unknown. */
int cnb__executor_guest_event_parse(const char *line, size_t len, cnb__executor_guest_event *ev);

#define CNB_GUEST_GO_SEED_BYTES 32

typedef struct cnb__executor_guest_go {
	int64_t time_ns; /* host CLOCK_REALTIME */
	uint8_t seed[CNB_GUEST_GO_SEED_BYTES];
} cnb__executor_guest_go;

/* Writes the "go" line (host side). Returns 0 or -1. */
int cnb__executor_guest_go_write(int fd, const cnb__executor_guest_go *go);

/* Parses one "go" line (guest side). Returns 0, or -1 for anything malformed. */
int cnb__executor_guest_go_parse(const char *line, size_t len, cnb__executor_guest_go *go);

#endif
