/* Locating the VM image: explicit settings first, then the cached minimal kernel, then the install. */
#include "vm-image.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"
#include "../common/fs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CNB_DATADIR
#define CNB_DATADIR "/usr/local/share/cnb"
#endif

static char *pick(const char *explicit_path, const char *env_name, const char *cached, const char *installed)
{
	const char *env = getenv(env_name);
	if (explicit_path)
		return strdup(explicit_path);
	if (env && *env)
		return strdup(env);
	if (cached && access(cached, R_OK) == 0)
		return strdup(cached);
	return strdup(installed);
}

int cnb__executor_vm_image_find(const cnb_ctx *ctx, const cnb__executor_job *job, cnb__vm_arch arch, cnb__executor_vm_image *out,
		       cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	const cnb__executor_qemu_arch *a = cnb__executor_qemu_arch_get(arch);
	bool amd64 = arch == CNB_VM_ARCH_AMD64;
	/* the cached minimal kernel is built for amd64 only (vmshim/image/build-kernel.sh) */
	_cleanup_free_ char *cached = amd64 ? cnb__path_join(cnb_ctx_cache_dir(ctx), "vm/kernel/vmlinux") : NULL;
	_cleanup_free_ char *kernel_env = NULL, *initrd_env = NULL, *kernel = NULL, *initrd = NULL;
	if (asprintf(&kernel_env, "CNB_VM_KERNEL%s", a->env_suffix) > 0 &&
	    asprintf(&initrd_env, "CNB_VM_INITRD%s", a->env_suffix) > 0 &&
	    asprintf(&kernel, CNB_DATADIR "/vm/%svmlinux", a->subdir) > 0 &&
	    asprintf(&initrd, CNB_DATADIR "/vm/%sinitramfs.cpio", a->subdir) > 0) {
		out->kernel = pick(job->kernel, kernel_env, cached, kernel);
		out->initrd = pick(job->initrd, initrd_env, NULL, initrd);
	}
	if (!out->kernel || !out->initrd) {
		cnb__executor_vm_image_free(out);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	const char *missing = access(out->kernel, R_OK) < 0 ? out->kernel : access(out->initrd, R_OK) < 0 ? out->initrd : NULL;
	if (missing) {
		cnb__error_set(err, CNB_ENOTFOUND,
			       "%s VM image file %s not found: install libcnb (meson install; arm64 needs the cross "
			       "toolchain of scripts/install-deps.sh), or point %s and %s at a build tree's "
			       "vmshim/%s/{vmlinux,initramfs.cpio}",
			       a->name, missing, kernel_env, initrd_env, amd64 ? "image" : a->name);
		cnb__executor_vm_image_free(out);
		return CNB_ENOTFOUND;
	}
	_cleanup_free_ char *machine_file = NULL, *machine = NULL;
	size_t len = 0;
	if (asprintf(&machine_file, "%s.machine", out->kernel) > 0 &&
	    cnb__read_file(machine_file, 64, &machine, &len, NULL) == 0)
		out->microvm = amd64 && !strncmp(machine, "microvm", 7); /* an x86 machine type */
	return 0;
}

void cnb__executor_vm_image_free(cnb__executor_vm_image *img)
{
	free(img->kernel);
	free(img->initrd);
	img->kernel = img->initrd = NULL;
}
