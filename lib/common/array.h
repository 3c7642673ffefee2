/* Growable arrays: the one place that doubles a capacity. */
#ifndef CNB_COMMON_ARRAY_H
#define CNB_COMMON_ARRAY_H

#include <stddef.h>
#include <stdlib.h>

/*
 * Room for one more element in the array `v` that holds `n` of *cap elements of `size` bytes: `v`
 * itself when there is room, else `v` reallocated to twice *cap elements (`first` when empty), *cap
 * updated. NULL on OOM, with `v` and *cap unchanged.
 */
static inline void *cnb__array_reserve(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return v;
	size_t bigger = *cap ? *cap * 2 : first;
	void *grown = reallocarray(v, bigger, size);
	if (grown)
		*cap = bigger;
	return grown;
}

#endif
