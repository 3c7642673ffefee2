/* Dispatch to an executor; what both share on the host side. */
#include "executor.h"
#include "../common/clock.h"
#include "job.h"
#include "qemu-arch.h"
#include "vm-run.h"
#include "../common/error-internal.h"

#include <stdlib.h>
#include <string.h>

void cnb__executor_job_result_free(cnb__executor_job_result *r)
{
	if (!r)
		return;
	free(r->steps);
	r->steps = NULL;
	r->n_steps_run = 0;
}

int cnb__executor_run(cnb_ctx *ctx, const char *executor, const cnb__executor_job *job, int cancel_fd,
		      cnb__executor_job_result *out, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	if (!job->rootfs || !job->job_dir || job->n_steps == 0)
		return cnb__error_set(err, CNB_EINVAL, "job: rootfs, job_dir and at least one step are required");
	int rc = cnb__executor_job_validate(job, err);
	if (rc < 0)
		return rc;
	cnb__vm_arch arch;
	if (cnb__executor_vm_arch_parse(job->arch, &arch, err) < 0)
		return CNB_EUNSUPPORTED;
	if (executor && !strcmp(executor, "host") && arch != cnb__executor_vm_arch_host())
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "the host executor runs only %s, the host's architecture, not %s: use the VM executor "
				      "(--executor vm) for other architectures",
				      cnb__executor_qemu_arch_get(cnb__executor_vm_arch_host())->name, job->arch);
	uint64_t t0 = cnb__monotonic_ms();
	if (!executor || !strcmp(executor, "vm"))
		rc = cnb__executor_vm_run(ctx, job, cancel_fd, out, err);
	else if (!strcmp(executor, "host"))
		rc = cnb__executor_host_run(ctx, job, cancel_fd, out, err);
	else
		rc = cnb__error_set(err, CNB_EINVAL, "unknown executor \"%s\": use vm or host", executor);
	out->total_ms = cnb__monotonic_ms() - t0;
	return rc;
}
