/* Runs n independent jobs on a few threads: layer downloads, uploads, compression, verification. */
#ifndef CNB_OCI_PARALLEL_H
#define CNB_OCI_PARALLEL_H

#include <cnb/error.h>
#include <stddef.h>

/* Four at once: enough to fill a link to a registry without tripping its rate limits. */
#define CNB_OCI_PARALLEL_DEFAULT 4

/* One job; returns 0 or a negative CNB_E* code with *err set. */
typedef int (*cnb__oci_job_fn)(size_t index, void *userdata, cnb_error **err);

/* Runs job(0..n-1) on up to `threads` threads. After the first failure no new job starts; returns that
 * failure (the one with the lowest index among those that ran). */
int cnb__oci_parallel(size_t n, size_t threads, cnb__oci_job_fn job, void *userdata, cnb_error **err);

#endif
