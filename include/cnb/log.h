/* libcnb — log and progress callbacks. The library never prints by itself. */
#ifndef CNB_LOG_H
#define CNB_LOG_H

#include <cnb/common.h>

CNB_BEGIN_DECLS

typedef enum cnb_log_level {
	CNB_LOG_ERROR = 0,  /**< an operation failed (its cnb_error says the same) */
	CNB_LOG_WARN = 1,   /**< something the user should fix; the operation goes on */
	CNB_LOG_INFO = 2,   /**< the steps of an operation */
	CNB_LOG_DEBUG = 3,  /**< details for a bug report */
	CNB_LOG_OUTPUT = 4, /**< live output of a build step (buildpack stdout/stderr), line by line */
} cnb_log_level;

/** Receives one log line (no trailing newline) at a cnb_log_level. `msg` is valid only during the call. */
typedef void (*cnb_log_fn)(int32_t level, const char *msg, void *userdata);

/**
 * Progress of a long operation (pull, push, unpack...). `what` names the item
 * ("sha256:ab12… layer", "push app"), `done`/`total` in bytes (total 0 = unknown).
 * Return non-zero to cancel the operation.
 */
typedef int (*cnb_progress_fn)(const char *what, uint64_t done, uint64_t total, void *userdata);

CNB_END_DECLS

#endif
