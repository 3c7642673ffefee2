/*
 * Snapshot-restore of the build VM (the Firecracker idea, with QEMU's own migration). The first
 * cold boot for a given configuration stops the guest at "booted" (kernel up, modules loaded,
 * nothing mounted: QEMU refuses to migrate a mounted 9p export), saves its state, and goes on;
 * later VMs start from that state with `-incoming` and are running in a fraction of the boot.
 * The guest then mounts the new job's shares (their paths are not in the state) after the
 * host's "go", which also carries the clock and a fresh RNG seed (guest-protocol.h).
 *
 * A snapshot is keyed on everything it depends on: the QEMU binary (path, inode, size, mtime),
 * the kernel and initramfs (same), and the whole QEMU command line (machine, accelerator, cpus,
 * memory, devices) with the job's paths left out. It lives in <cache>/vm/snapshots/<key>.vmstate,
 * mode 0600, written to a temp file and renamed; it is only ever loaded from a directory and a
 * file owned by the user and writable by nobody else. Anything wrong with it is a cache miss: a
 * cold boot, which saves a new one. A configuration whose snapshots failed to restore twice
 * (<key>.vmstate.failed counts, a good restore resets it) boots cold from then on. A good restore
 * also marks the file used (its mtime), for `cnb cache prune`.
 */
#ifndef CNB_VM_SNAPSHOT_H
#define CNB_VM_SNAPSHOT_H

#include "qemu-argv.h"
#include "qmp.h"

#include <cnb/ctx.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct cnb__executor_vm_snapshot {
	char *path;     /* NULL: snapshots are off ($CNB_VM_SNAPSHOT=off, or no cache dir) */
	int restore_fd; /* a verified state to start from, or -1: boot cold */
} cnb__executor_vm_snapshot;

/* Looks up the snapshot for `qc` (a cold-boot configuration). Never fails: trouble is a miss. */
void cnb__executor_vm_snapshot_find(const cnb_ctx *ctx, const cnb__executor_qemu_config *qc, cnb__executor_vm_snapshot *out);

/* Saves the stopped-at-"booted" VM behind `qmp` to s->path, then lets it run on. Returns 0 or a
 * negative code; the VM runs on in either case (a failed save only costs the next build a boot). */
int cnb__executor_vm_snapshot_save(const cnb__executor_vm_snapshot *s, cnb__executor_qmp *qmp, cnb_error **err);

/* After a restore from s->restore_fd failed: removes that file (unless it was replaced meanwhile)
 * and closes the fd, so the next boot is cold and saves a fresh one. */
void cnb__executor_vm_snapshot_discard(cnb__executor_vm_snapshot *s);

/* After a VM restored from it ran: the failure count starts again, and the snapshot was used now. */
void cnb__executor_vm_snapshot_restored(const cnb__executor_vm_snapshot *s);

void cnb__executor_vm_snapshot_free(cnb__executor_vm_snapshot *s);

/*
 * `cnb cache prune`'s rule for <cache>/vm/snapshots: removes the snapshots not saved or restored
 * for `older_than` seconds (every one with `all`) with their failure counts, counts left without
 * their snapshot, and temp files of saves that died (older than a save may take, even with `all`:
 * a live save is left alone). A VM restoring from a removed file keeps its open fd. Adds to *freed
 * (bytes) and *removed (snapshots). Never fails: a file that cannot be examined stays.
 */
void cnb__executor_vm_snapshot_prune(const cnb_ctx *ctx, bool all, int64_t older_than, uint64_t *freed, size_t *removed);

#endif
