/* Monotonic milliseconds: deadlines and timings in the executors and cnb-init. */
#ifndef CNB_VM_CLOCK_H
#define CNB_VM_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t cnb__monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
