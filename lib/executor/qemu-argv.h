/* The qemu-system command line of a build VM. */
#ifndef CNB_VM_QEMU_ARGV_H
#define CNB_VM_QEMU_ARGV_H

#include "accel.h"
#include "executor.h"
#include "qemu-arch.h"
#include <cnb/error.h>
#include <stdbool.h>

typedef struct cnb__executor_qemu_config {
	cnb__accel accel;
	cnb__vm_arch arch;     /* the guest's architecture (qemu-arch.h) */
	bool microvm;          /* -machine microvm (a kernel with virtio-mmio built in) instead of pc */
	const char *kernel, *initrd;
	unsigned cpus, memory_mb;
	const char *rootfs, *job_dir;
	bool rootfs_real;      /* an ordinary tree (real symlinks and owners), not mapped-xattr form */
	/* the job's mounts: each writable one with a source gets a 9p share of its own, so that the
	 * job dir itself is exported read-only (what the guest may only read, QEMU refuses to write) */
	const cnb__executor_job_mount *mounts;
	size_t n_mounts;
	bool network;
	/* fds as numbered in the QEMU process; QEMU opens /proc/self/fd/N, so plain pipes work and
	 * nothing (socket, FIFO) is left on disk */
	int console_fd, event_fd, output_fd, error_fd; /* error_fd: the steps' stderr (cnb.errors) */
	int qmp_fd;      /* a connected socket: QMP (snapshot save) */
	int control_fd;  /* a connected socket: host -> guest "go" (guest-protocol.h) */
	int incoming_fd; /* with restore: the saved VM state (vm-snapshot.h) */
	bool restore;    /* start from incoming_fd instead of booting the kernel */
} cnb__executor_qemu_config;

/* vCPUs for a request of `requested` under `accel` (0: one under TCG; else the host's online CPUs,
 * at most 8). */
unsigned cnb__executor_qemu_cpus(unsigned requested, cnb__accel accel);

/* $CNB_QEMU or qemu-system-x86_64 for amd64 guests; $CNB_QEMU_ARM64 or qemu-system-aarch64 for arm64. */
const char *cnb__executor_qemu_binary(cnb__vm_arch arch);

/* NULL-terminated argv (caller frees with cnb__executor_qemu_argv_free). */
int cnb__executor_qemu_argv(const cnb__executor_qemu_config *c, char ***out, cnb_error **err);
void cnb__executor_qemu_argv_free(char **argv);

#endif
