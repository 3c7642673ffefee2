/* cnb_vm_run(): one command as a one-step job in a temporary job dir. */
#include <cnb/vm.h>
#include "executor.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"
#include "lib/api/opts.h"
#include "../common/fs.h"
#include "../../oci/platform.h"

#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* version 1 ends before stdout_fd, version 2 before platform */
static const size_t cnb_vm_run_opts_sizes[] = { offsetof(cnb_vm_run_opts, stdout_fd),
						offsetof(cnb_vm_run_opts, platform), sizeof(cnb_vm_run_opts) };
CNB__DEFINE_OPTS_INIT_SIZED(cnb_vm_run_opts, CNB_VM_RUN_OPTS_VERSION, CNB_VM_RUN_OPTS_INIT)

int cnb_vm_run(int *exit_code, cnb_ctx *ctx, const cnb_vm_run_opts *opts, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_vm_run_opts defaults = CNB_VM_RUN_OPTS_INIT;
	cnb_vm_run_opts copy;
	if (!(opts = cnb__api_opts_resolve_sized(&copy, sizeof(copy), cnb_vm_run_opts_sizes, opts, &defaults,
					     CNB_VM_RUN_OPTS_VERSION, "cnb_vm_run_opts", err)))
		return CNB_EINVAL;
	if (!exit_code || !opts->rootfs || !opts->argv || !opts->argv[0])
		return cnb__error_set(err, CNB_EINVAL, "cnb_vm_run: exit_code, opts->rootfs and opts->argv are required");
	if (opts->timeout_s > INT_MAX)
		return cnb__error_set(err, CNB_EINVAL, "cnb_vm_run: timeout %u s is too long", opts->timeout_s);
	cnb__oci_platform platform;
	int rc = cnb__oci_platform_parse(&platform, opts->platform, err);
	if (rc < 0)
		return rc;
	if (strcmp(platform.os, "linux"))
		return cnb__error_set(err, CNB_EUNSUPPORTED, "cnb_vm_run: platform %s: only linux guests run", opts->platform);
	*exit_code = -1;
	static const char *const default_env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
						   NULL };
	_cleanup_free_ char *job_dir = NULL;
	if (cnb__mkdtemp("cnb-job-", &job_dir, err) < 0)
		return cnb__error_prefix(err, "cnb_vm_run");
	cnb__executor_job_step step = { .name = "command", .argv = (char **)opts->argv,
			       .env = (char **)(opts->env ? opts->env : default_env), .cwd = opts->cwd,
			       .uid = opts->uid, .gid = opts->gid, .timeout_s = (int)opts->timeout_s };
	/* With a share, the caller's directory is the job dir itself (it briefly holds the job file), mounted
	 * at /share; without one, an empty temporary job dir. */
	cnb__executor_job_mount share = { .source = ".", .target = "/share" };
	cnb__executor_job job = { .rootfs = opts->rootfs, .job_dir = opts->share_dir ? opts->share_dir : job_dir,
			 .steps = &step, .n_steps = 1, .network = opts->network != 0, .cpus = opts->cpus,
			 .memory_mb = opts->memory_mb, .kernel = opts->kernel, .initrd = opts->initrd, .arch = platform.arch,
			 .raw_output = opts->stdout_fd >= 0 && opts->stderr_fd >= 0, .raw_stdout_fd = opts->stdout_fd,
			 .raw_stderr_fd = opts->stderr_fd };
	if (opts->share_dir) {
		job.mounts = &share;
		job.n_mounts = 1;
	}
	cnb__executor_job_result res = { 0 };
	if (rc == 0)
		rc = cnb__executor_run(ctx, opts->executor, &job, opts->cancel_fd, &res, err);
	if (rc == 0 && res.n_steps_run == 1) {
		*exit_code = res.steps[0].exit_code;
		if (res.steps[0].timed_out)
			rc = cnb__error_set(err, CNB_ETIMEOUT, "the command did not finish within %u s and was killed",
					    opts->timeout_s);
	}
	cnb__executor_job_result_free(&res);
	cnb__rm_rf(job_dir, NULL);
	return rc;
}
