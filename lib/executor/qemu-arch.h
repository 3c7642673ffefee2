/* What differs between the build VMs of each guest architecture: QEMU binary, machine, CPU model,
 * console, the image and guest tools to use. */
#ifndef CNB_VM_QEMU_ARCH_H
#define CNB_VM_QEMU_ARCH_H

#include <cnb/error.h>
#include <stdbool.h>

typedef enum cnb__vm_arch { CNB_VM_ARCH_AMD64, CNB_VM_ARCH_ARM64 } cnb__vm_arch;

typedef struct cnb__executor_qemu_arch {
	const char *name;        /* the OCI/Go architecture: "amd64", "arm64" */
	const char *qemu;        /* default binary, overridden by $<qemu_env> */
	const char *qemu_env;    /* "CNB_QEMU", "CNB_QEMU_ARM64" */
	const char *qemu_package;/* the Debian package to install when the binary is missing */
	const char *machine;     /* the -machine value without microvm */
	const char *tcg_cpu;     /* -cpu under TCG; NULL: QEMU's default */
	const char *console;     /* the kernel's console device */
	const char *env_suffix;  /* "" or "_ARM64": CNB_VM_KERNEL<suffix>, CNB_LIBEXEC_DIR<suffix>... */
	const char *subdir;      /* "" or "arm64/": under DATADIR/vm and LIBEXECDIR */
	bool vmgenid;            /* has the ACPI VM generation ID device (x86 only) */
} cnb__executor_qemu_arch;

const cnb__executor_qemu_arch *cnb__executor_qemu_arch_get(cnb__vm_arch a);

/* The architecture this library was compiled for (the one the host executor and KVM run). */
cnb__vm_arch cnb__executor_vm_arch_host(void);

/* "amd64"/"arm64" (NULL or "": the host's) -> *out; CNB_EUNSUPPORTED naming what is supported. */
int cnb__executor_vm_arch_parse(const char *name, cnb__vm_arch *out, cnb_error **err);

#endif
