/* Where the build VM's kernel and initramfs come from. */
#ifndef CNB_VM_IMAGE_H
#define CNB_VM_IMAGE_H

#include "executor.h"
#include "qemu-arch.h"

typedef struct cnb__executor_vm_image {
	char *kernel;
	char *initrd;
	bool microvm; /* the kernel has virtio-mmio built in: boot it on -machine microvm */
} cnb__executor_vm_image;

/*
 * For amd64 guests: kernel: job->kernel, $CNB_VM_KERNEL, <cache>/vm/kernel/vmlinux (the minimal
 * kernel built by vmshim/image/build-kernel.sh), DATADIR/cnb/vm/vmlinux. initrd: job->initrd,
 * $CNB_VM_INITRD, DATADIR/cnb/vm/initramfs.cpio. A file "<kernel>.machine" containing "microvm"
 * selects microvm. For arm64 guests: $CNB_VM_KERNEL_ARM64, DATADIR/cnb/vm/arm64/vmlinux and
 * $CNB_VM_INITRD_ARM64, DATADIR/cnb/vm/arm64/initramfs.cpio (job->kernel/initrd still win).
 */
int cnb__executor_vm_image_find(const cnb_ctx *ctx, const cnb__executor_job *job, cnb__vm_arch arch, cnb__executor_vm_image *out,
		       cnb_error **err);
void cnb__executor_vm_image_free(cnb__executor_vm_image *img);

#endif
