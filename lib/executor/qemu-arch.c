/* The per-architecture table of the build VM. arm64 guests run on -machine virt; under TCG with a
 * cortex-a72 CPU, because -cpu max emulates pointer authentication and boots ~4x slower. */
#include "qemu-arch.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"

#include <string.h>

static const cnb__executor_qemu_arch arches[] = {
	[CNB_VM_ARCH_AMD64] = { .name = "amd64", .qemu = "qemu-system-x86_64", .qemu_env = "CNB_QEMU",
				.qemu_package = "qemu-system-x86", .machine = "pc", .console = "ttyS0",
				.env_suffix = "", .subdir = "", .vmgenid = true },
	[CNB_VM_ARCH_ARM64] = { .name = "arm64", .qemu = "qemu-system-aarch64", .qemu_env = "CNB_QEMU_ARM64",
				.qemu_package = "qemu-system-arm", .machine = "virt", .tcg_cpu = "cortex-a72",
				.console = "ttyAMA0", .env_suffix = "_ARM64", .subdir = "arm64/" },
};

const cnb__executor_qemu_arch *cnb__executor_qemu_arch_get(cnb__vm_arch a)
{
	return &arches[a];
}

cnb__vm_arch cnb__executor_vm_arch_host(void)
{
#if defined(__aarch64__)
	return CNB_VM_ARCH_ARM64;
#else
	return CNB_VM_ARCH_AMD64;
#endif
}

int cnb__executor_vm_arch_parse(const char *name, cnb__vm_arch *out, cnb_error **err)
{
	if (!name || !*name) {
		*out = cnb__executor_vm_arch_host();
		return 0;
	}
	for (size_t i = 0; i < CNB_ARRAY_SIZE(arches); i++)
		if (!strcmp(name, arches[i].name)) {
			*out = (cnb__vm_arch)i;
			return 0;
		}
	return cnb__error_set(err, CNB_EUNSUPPORTED, "architecture %s is not supported: use amd64 or arm64", name);
}
