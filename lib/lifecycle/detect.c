/*
 * The detect phase ([P § detector], [B § Phase #1: Detection], checklist §3.3): verify the
 * order, run bin/detect of each buildpack as order resolution asks, resolve the build plan,
 * write group.toml and plan.toml. Buildpacks of a group run one after another.
 */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/build-plan.h"
#include "lib/lifecycle/buildpack-exec.h"
#include "lib/lifecycle/group-plan-files.h"
#include "lib/lifecycle/order.h"
#include "lib/lifecycle/phase.h"
#include "lib/lifecycle/platform-env.h"
#include "lib/lifecycle/target-data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cnb__phase_log(const cnb__phase_inputs *in, cnb__log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = in->log ? cnb__vformat(fmt, ap) : NULL;
	va_end(ap);
	if (line)
		in->log(in->log_ud, level, line);
	free(line);
}

typedef struct detector {
	const cnb__phase_inputs *in;
	cnb__env base;
	cnb__target target;
	bool have_target;
} detector;

static int load_bp(void *ud, const char *id, const char *version, cnb__bp_descriptor **out, cnb_error **err)
{
	detector *d = ud;
	return cnb__bp_descriptor_load(out, d->in->buildpacks_dir, id, version, err);
}

static void log_line(void *ud, const char *line)
{
	detector *d = ud;
	cnb__phase_log(d->in, CNB_LOG_INFO, "%s", line);
}

static void log_output(const cnb__phase_inputs *in, cnb__log_level level, const cnb__bp_descriptor *bp,
		       const cnb__detect_run *run)
{
	if (!run->output || !*run->output)
		return;
	cnb__phase_log(in, level, "======== Output: %s@%s ========", bp->id, bp->version);
	for (const char *line = run->output, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		cnb__phase_log(in, level, "%.*s", nl ? (int)(nl - line) : (int)strlen(line), line);
	}
}

/*
 * Detect output is buffered (lc:buildpack/detect.go): an errored buildpack's is shown at once;
 * the others' at debug level, or at info when detection fails as a whole.
 */
typedef struct output_flush {
	const cnb__phase_inputs *in;
	cnb__log_level level;
} output_flush;

static void flush_output(void *ud, const cnb__bp_descriptor *bp, const cnb__detect_run *run)
{
	const output_flush *f = ud;
	if (run->code == CNB_DETECT_PASS || run->code == CNB_DETECT_FAIL)
		log_output(f->in, f->level, bp, run);
}

static int detect_bp(void *ud, const cnb__bp_descriptor *bp, cnb__detect_run *run, cnb_error **err)
{
	detector *d = ud;
	const cnb__phase_inputs *in = d->in;
	_cleanup_free_ char *who = cnb__bp_ref(bp->id, bp->version);
	_cleanup_free_ char *bin = cnb__path_join(bp->dir, "bin/detect");
	const char *tmp = getenv("TMPDIR");
	_cleanup_free_ char *tmpdir = NULL, *plan = NULL;
	if (!who || !bin || asprintf(&tmpdir, "%s/plan.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (!mkdtemp(tmpdir))
		return cnb__error_errno(err, CNB_EIO, errno, "create a temp dir for %s's build plan", who);
	int rc = (plan = cnb__path_join(tmpdir, "plan.toml")) ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cnb__write_file_atomic(plan, "", 0, 0644, err);
	_cleanup_env_ cnb__env env = CNB_ENV_INIT;
	if (rc == 0)
		rc = cnb__platform_env_for_buildpack(&env, &d->base, bp, in, d->have_target ? &d->target : NULL, err);
	if (rc == 0 && cnb__api_at_least(bp->api, 0, 8) && cnb__env_set(&env, "CNB_BUILD_PLAN_PATH", plan) < 0)
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc) {
		cnb__rm_rf(tmpdir, NULL);
		return rc;
	}
	/* The positional args are always passed, although deprecated since API 0.8. */
	char *argv[] = { bin, (char *)in->platform_dir, plan, NULL };
	_cleanup_buf_ cnb__buf output = CNB_BUF_INIT;
	cnb_error *run_err = NULL;
	int status = 0;
	cnb__phase_log(in, CNB_LOG_DEBUG, "Running %s for %s", bin, who);
	if (cnb__exec_run(argv, cnb__env_envp(&env), in->app_dir, &output, &status, &run_err)) {
		run->code = CNB_DETECT_ERROR;
		run->error = strdup(cnb_error_message(run_err));
		cnb_error_free(run_err);
	} else {
		run->code = status;
		bool errored = status != CNB_DETECT_PASS && status != CNB_DETECT_FAIL;
		if (errored && asprintf(&run->error, "bin/detect exited with status %d", status) < 0)
			run->error = NULL;
	}
	if (run->code == CNB_DETECT_PASS && cnb__build_plan_load(run, plan, who, &run_err)) {
		/* A build plan we cannot read makes the buildpack errored, not the whole detector. */
		run->code = CNB_DETECT_ERROR;
		run->error = strdup(cnb_error_message(run_err));
		cnb_error_free(run_err);
	}
	cnb__rm_rf(tmpdir, NULL);
	/* Only a non-empty buffer: cnb__buf_steal of an empty one returns unterminated memory (lib/common/buf.c). */
	run->output = output.len ? cnb__buf_steal(&output) : NULL;
	if (run->code != CNB_DETECT_PASS && run->code != CNB_DETECT_FAIL) {
		log_output(in, CNB_LOG_INFO, bp, run);
		cnb__phase_log(in, CNB_LOG_INFO, "err:  %s: %s", who, run->error ? run->error : "bin/detect failed");
	}
	return 0;
}

/* lc:phase/hermetic_factory.go verifyOrder: every top-level element exists and has a supported API. */
static int verify_order(const cnb__phase_inputs *in, const cnb__order *order, int *exit_code, cnb_error **err)
{
	for (size_t g = 0; g < order->n; g++)
		for (size_t i = 0; i < order->groups[g].n; i++) {
			const cnb__order_elem *el = &order->groups[g].elems[i];
			cnb__bp_descriptor *d = NULL;
			int rc = cnb__bp_descriptor_load(&d, in->buildpacks_dir, el->id, el->version, err);
			cnb__bp_descriptor_free(d);
			if (rc) {
				*exit_code = rc == CNB_EUNSUPPORTED ? CNB_LC_EXIT_BUILDPACK_API : CNB_LC_EXIT_FAILED;
				return rc;
			}
		}
	return 0;
}

int cnb__detect_phase(const cnb__phase_inputs *in, int *exit_code, cnb_error **err)
{
	*exit_code = CNB_LC_EXIT_FAILED;
	cnb__order order = { 0 };
	int rc = cnb__order_load(&order, in->order_path, err);
	if (rc == 0 && cnb__api_at_least(in->platform_api, 0, 15))
		rc = cnb__order_add_system(&order, in->system_path, err);
	if (rc) {
		/* Extensions in the order: refused as creator does, an invalid input. */
		if (rc == CNB_EUNSUPPORTED)
			*exit_code = CNB_LC_EXIT_INVALID_ARGS;
		cnb__order_free(&order);
		return rc;
	}
	detector d = { .in = in };
	cnb__order_resolver r = { .ops = { load_bp, detect_bp, log_line, &d } };
	cnb__plan_result res = { 0 };
	cnb__group_status status = CNB_GROUP_FAILED;
	if ((rc = verify_order(in, &order, exit_code, err)))
		goto out;
	if (cnb__env_init_build(&d.base, in->environ) < 0) {
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		goto out;
	}
	/* Targets are checked from Platform 0.12 on; CNB_TARGET_* is given to every API >= 0.10 buildpack. */
	if ((rc = cnb__target_data_load(&d.target, in->analyzed_path, err)))
		goto out;
	d.have_target = true;
	r.run_target = cnb__api_at_least(in->platform_api, 0, 12) ? &d.target : NULL;
	r.exec_env = cnb__api_at_least(in->platform_api, 0, 15) ? in->exec_env : NULL;
	rc = cnb__order_resolve(&r, &order, &status, &res, err);
	output_flush flush = { in, rc == 0 && status == CNB_GROUP_PASSED ? CNB_LOG_DEBUG : CNB_LOG_INFO };
	cnb__order_resolver_each_run(&r, flush_output, &flush);
	if (rc) {
		*exit_code = rc == CNB_EUNSUPPORTED ? CNB_LC_EXIT_BUILDPACK_API : CNB_LC_EXIT_DETECT;
		cnb__error_prefix(err, "detect");
		goto out;
	}
	if (status != CNB_GROUP_PASSED) {
		*exit_code = status == CNB_GROUP_ERRORED ? CNB_LC_EXIT_DETECT_ERRORED : CNB_LC_EXIT_DETECT_FAILED;
		rc = cnb__error_set(err, CNB_EDETECT, "%s",
				    status == CNB_GROUP_ERRORED
					    ? "no buildpack group passed detection, and at least one buildpack errored: "
					      "see its output above"
					    : "no buildpack group passed detection: check that the app directory holds "
					      "what the buildpacks look for (results above)");
		goto out;
	}
	if ((rc = cnb__group_file_write(in->group_path, res.group, res.n_group, err)) ||
	    (rc = cnb__plan_file_write(in->plan_path, &res, err))) {
		*exit_code = CNB_LC_EXIT_DETECT;
		goto out;
	}
	for (size_t i = 0; i < res.n_group; i++)
		cnb__phase_log(in, CNB_LOG_INFO, "%s %s", res.group[i]->id, res.group[i]->version);
	*exit_code = CNB_LC_EXIT_OK;
out:
	cnb__plan_result_free(&res);
	cnb__order_resolver_free(&r);
	cnb__order_free(&order);
	cnb__env_free(&d.base);
	cnb__target_free(&d.target);
	return rc;
}
