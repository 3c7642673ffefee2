/*
 * The job as it travels to the guest: JSON written by the host into the job dir
 * (CNB_JOB_FILE), read by cnb-init. Compiled into the library and into cnb-init.
 *
 *   {"version":1,"hostname":"cnb","network":true,
 *    "mounts":[{"source":"platform","target":"/platform","read_only":true},
 *              {"source":null,"target":"/tmp/x","read_only":false},
 *              {"source":null,"target":"/workspace","read_only":false,"seed":"workspace.tar"}],
 *    "steps":[{"name":"build","argv":["/bin/sh","-c","..."],"env":["PATH=/bin"],
 *              "cwd":"/","uid":1000,"gid":1000,"timeout_s":0}]}
 *
 * rootfs/job_dir/cpus/memory/kernel are host-side settings and are not serialised.
 */
#ifndef CNB_VM_JOB_H
#define CNB_VM_JOB_H

#include "executor.h"

#define CNB_JOB_FILE ".cnb-job.json"
#define CNB_JOB_MAX_BYTES (4u << 20)
#define CNB_JOB_MAX_STEPS 64
#define CNB_JOB_MAX_MOUNTS 64
#define CNB_JOB_MAX_ARGS 65536

/* Serialises the guest-relevant part of `job` (caller frees the string). */
int cnb__executor_job_to_json(const cnb__executor_job *job, char **out, cnb_error **err);

/* Parses and validates; *out owns every string and is freed with cnb__executor_job_free(). */
int cnb__executor_job_from_json(const char *data, size_t len, cnb__executor_job **out, cnb_error **err);
void cnb__executor_job_free(cnb__executor_job *job);

/* Checks what both executors rely on: argv present, absolute targets, relative sources and seeds
 * without "..", a seed only on a mount without a source. */
int cnb__executor_job_validate(const cnb__executor_job *job, cnb_error **err);

#endif
