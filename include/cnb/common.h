/* libcnb — common definitions shared by every public header. */
#ifndef CNB_COMMON_H
#define CNB_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define CNB_BEGIN_DECLS extern "C" {
#define CNB_END_DECLS }
#else
#define CNB_BEGIN_DECLS
#define CNB_END_DECLS
#endif

/* Marks a function as part of the exported ABI (everything else is hidden). */
#define CNB_EXTERN __attribute__((visibility("default")))

CNB_BEGIN_DECLS

/** Frees memory the library handed to the caller (strings, JSON documents). Accepts NULL. */
CNB_EXTERN void cnb_free(void *p);

CNB_END_DECLS

#endif
