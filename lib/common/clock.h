/* Monotonic milliseconds: the one clock for deadlines and timings (host library, cnb-init). */
#ifndef CNB_COMMON_CLOCK_H
#define CNB_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t cnb__monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
