/*
 * The job's local storage, where the job runs (the VM's memory, or the host executor's private
 * tmpfs): seeded mounts (cnb__executor_job_mount.seed) live there, filled from a tar in the job dir read as
 * one stream. In the VM this keeps per-file work off 9p, where every file operation is a round
 * trip to the host: only whole tar streams cross.
 */
#ifndef CNB_VM_GUEST_LOCAL_H
#define CNB_VM_GUEST_LOCAL_H

#include "executor.h"

/* The local storage's size: tmpfs's share of memory (so --memory sizes it in the VM). */
#define CNB_JOB_SCRATCH_SIZE "75%"

/*
 * Creates <scratch>/local/<index> and extracts `m->seed` (opened below jobfd without following
 * symlinks) into it as root, applying the tar's numeric owners. *dir_fd: an O_PATH fd of the
 * directory, to bind onto the target. Errors name the mount; a full storage says so.
 */
int cnb__executor_guest_local_seed(int jobfd, const char *scratch, size_t index, const cnb__executor_job_mount *m, int *dir_fd,
			  cnb_error **err);

/* Whether the local storage at `scratch` is (nearly) full: what a step that failed ran into. */
bool cnb__executor_guest_local_full(const char *scratch);

#endif
