/*
 * The detect phase (platform.md "detector", buildpack.md "Phase #1: Detection"): verify the
 * order, run bin/detect of each buildpack as order resolution asks, resolve the build plan,
 * write group.toml and plan.toml. Buildpacks of a group run one after another.
 */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/build-plan.h"
#include "lib/lifecycle/phases/buildpack-exec.h"
#include "lib/lifecycle/spec/group-plan-files.h"
#include "lib/lifecycle/spec/order.h"
#include "lib/lifecycle/phases/phase.h"
#include "lib/lifecycle/phases/platform-env.h"
#include "lib/lifecycle/spec/target-data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void cnb__lifecycle_phase_log(const cnb__lifecycle_phase_inputs *in, cnb_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = in->log ? cnb__vformat(fmt, ap) : NULL;
	va_end(ap);
	if (line)
		in->log(in->log_ud, level, line);
	free(line);
}

typedef struct held_line held_line;

typedef struct detector {
	const cnb__lifecycle_phase_inputs *in;
	cnb__lifecycle_env base;
	cnb__lifecycle_target target;
	bool have_target;
	held_line *held; /* the resolver's lines, until the outcome is known */
	size_t n_held;
	bool held_lost;
} detector;

static int load_module(const cnb__lifecycle_phase_inputs *in, const char *id, const char *version, bool extension,
		       cnb__lifecycle_bp_descriptor **out, cnb_error **err)
{
	return extension ? cnb__lifecycle_ext_descriptor_load(out, in->extensions_dir, id, version, err)
			 : cnb__lifecycle_bp_descriptor_load(out, in->buildpacks_dir, id, version, err);
}

static int load_bp(void *ud, const char *id, const char *version, bool extension, cnb__lifecycle_bp_descriptor **out,
		   cnb_error **err)
{
	detector *d = ud;
	int rc = load_module(d->in, id, version, extension, out, err);
	_cleanup_free_ char *warning = rc == 0 ? cnb__lifecycle_bp_id_warning(id) : NULL;
	if (warning)
		cnb__lifecycle_phase_log(d->in, CNB_LOG_WARN, "Warning: %s", warning);
	return rc;
}

/*
 * The resolver's lines are held back (lifecycle phase/detector.go Detect): when detection passes, each
 * is shown at its own level; when it fails, all of them, so the user sees every output and result.
 */
typedef struct held_line {
	bool debug;
	char *text;
} held_line;

static void hold_line(void *ud, bool debug, const char *line)
{
	detector *d = ud;
	held_line *grown = realloc(d->held, (d->n_held + 1) * sizeof(*grown));
	char *text = strdup(line);
	if (grown)
		d->held = grown;
	if (!grown || !text) {
		free(text);
		d->held_lost = true;
		return;
	}
	d->held[d->n_held++] = (held_line){ debug, text };
}

static void release_lines(detector *d, bool passed)
{
	if (d->held_lost)
		cnb__lifecycle_phase_log(d->in, CNB_LOG_WARN, "Warning: out of memory: some detect output was dropped");
	for (size_t i = 0; i < d->n_held; i++) {
		cnb__lifecycle_phase_log(d->in, d->held[i].debug && passed ? CNB_LOG_DEBUG : CNB_LOG_INFO, "%s", d->held[i].text);
		free(d->held[i].text);
	}
	free(d->held);
	d->held = NULL;
	d->n_held = 0;
}

/* The passing group as the reference prints it: "N of M buildpacks participating", ids in a column. */
static void log_group(const cnb__lifecycle_phase_inputs *in, const cnb__lifecycle_plan_result *res)
{
	if (res->n_group != res->n_tried)
		cnb__lifecycle_phase_log(in, CNB_LOG_INFO, "%zu of %zu buildpacks participating", res->n_group, res->n_tried);
	int width = 0;
	for (size_t i = 0; i < res->n_group; i++)
		if ((int)strlen(res->group[i]->id) > width)
			width = (int)strlen(res->group[i]->id);
	for (size_t i = 0; i < res->n_group; i++)
		cnb__lifecycle_phase_log(in, CNB_LOG_INFO, "%-*s %s", width, res->group[i]->id, res->group[i]->version);
}

/* One bin/detect run: prepared, spawned, collected with the others of its batch, finished. */
typedef struct detect_job {
	const cnb__lifecycle_bp_descriptor *bp;
	cnb__lifecycle_detect_run *run;
	char *who, *bin, *tmpdir, *plan;
	cnb__lifecycle_env env;
	cnb__lifecycle_child child;
	bool spawned;
	cnb__buf output;
	int status;
	int child_errno;
	bool prepopulated; /* an extension without bin/detect */
} detect_job;

static void job_free(detect_job *j)
{
	if (j->tmpdir)
		cnb__rm_rf(j->tmpdir, NULL);
	free(j->who);
	free(j->bin);
	free(j->tmpdir);
	free(j->plan);
	cnb__lifecycle_env_free(&j->env);
	cnb__buf_reset(&j->output);
}

/* A fresh, empty plan file per buildpack ($TMPDIR/plan.XXXXXX/plan.toml) and the environment. */
static int job_prepare(detector *d, detect_job *j, cnb_error **err)
{
	const cnb__lifecycle_phase_inputs *in = d->in;
	const char *tmp = getenv("TMPDIR");
	if (!(j->who = cnb__lifecycle_bp_ref(j->bp->id, j->bp->version)) || !(j->bin = cnb__path_join(j->bp->dir, "bin/detect")) ||
	    asprintf(&j->tmpdir, "%s/plan.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
		j->tmpdir = NULL;
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (!mkdtemp(j->tmpdir)) {
		int e = errno;
		free(j->tmpdir);
		j->tmpdir = NULL;
		return cnb__error_errno(err, CNB_EIO, e, "create a temp dir for %s's build plan", j->who);
	}
	int rc = (j->plan = cnb__path_join(j->tmpdir, "plan.toml")) ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cnb__write_file_atomic(j->plan, "", 0, 0644, err);
	if (rc == 0)
		rc = cnb__lifecycle_platform_env_for_buildpack(&j->env, &d->base, j->bp, in, d->have_target ? &d->target : NULL, err);
	if (rc == 0 && cnb__lifecycle_api_at_least(j->bp->api, 0, 8) && cnb__lifecycle_env_set(&j->env, "CNB_BUILD_PLAN_PATH", j->plan) < 0)
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return rc;
}

/* A spawn failure (no bin/detect, not executable) makes the buildpack errored, not the detector. */
static void job_spawn(detector *d, detect_job *j)
{
	/* The positional args are always passed, although deprecated since API 0.8. */
	char *argv[] = { j->bin, (char *)d->in->platform_dir, j->plan, NULL };
	/* image_extension.md "Detection": an extension without bin/detect passes; its <dir>/detect is its output. */
	if (j->bp->extension && faccessat(AT_FDCWD, j->bin, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
		free(j->plan);
		j->plan = cnb__path_join(j->bp->dir, "detect/plan.toml");
		j->prepopulated = true;
		return;
	}
	cnb_error *spawn_err = NULL;
	cnb__lifecycle_phase_log(d->in, CNB_LOG_DEBUG, "Running %s for %s", j->bin, j->who);
	if (cnb__lifecycle_exec_spawn(&j->child, argv, cnb__lifecycle_env_envp(&j->env), d->in->app_dir, true, &spawn_err) == 0) {
		j->spawned = true;
		return;
	}
	j->run->code = CNB_DETECT_ERROR;
	j->run->error = strdup(cnb_error_message(spawn_err));
	cnb_error_free(spawn_err);
}

static void job_finish(detect_job *j)
{
	cnb__lifecycle_detect_run *run = j->run;
	if (j->spawned && j->child_errno) {
		run->code = CNB_DETECT_ERROR;
		if (asprintf(&run->error, "run %s: %s", j->bin, strerror(j->child_errno)) < 0)
			run->error = NULL;
	} else if (j->spawned) {
		run->code = j->status;
		bool errored = j->status != CNB_DETECT_PASS && j->status != CNB_DETECT_FAIL;
		if (errored && asprintf(&run->error, "bin/detect exited with status %d", j->status) < 0)
			run->error = NULL;
	}
	if (j->prepopulated) {
		run->code = j->plan ? CNB_DETECT_PASS : CNB_DETECT_ERROR;
		if (j->plan && access(j->plan, F_OK) < 0 && errno == ENOENT)
			return; /* nothing to provide */
	}
	cnb_error *plan_err = NULL;
	if (run->code == CNB_DETECT_PASS && cnb__lifecycle_build_plan_load(run, j->plan, j->who, &plan_err)) {
		/* A build plan we cannot read makes the buildpack errored, not the whole detector. */
		run->code = CNB_DETECT_ERROR;
		run->error = strdup(cnb_error_message(plan_err));
		cnb_error_free(plan_err);
	}
	/* image_extension.md "Detection": extensions only provide (lifecycle buildpack/detect.go detectExt). */
	for (size_t i = 0; run->code == CNB_DETECT_PASS && j->bp->extension && i < run->n_options; i++)
		if (run->options[i].n_requires) {
			run->code = CNB_DETECT_ERROR;
			if (asprintf(&run->error, "extension %s outputs \"requires\", which extensions may not", j->who) < 0)
				run->error = NULL;
		}
	/* Only a non-empty buffer: cnb__buf_steal of an empty one returns unterminated memory (lib/common/buf.c). */
	run->output = j->output.len ? cnb__buf_steal(&j->output) : NULL;
}

/* Runs up to `n` detects at once; results and logs come out in input order. */
static int detect_batch(detector *d, detect_job *jobs, size_t n, cnb_error **err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if ((rc = job_prepare(d, &jobs[i], err)) == 0)
			job_spawn(d, &jobs[i]);
	_cleanup_free_ cnb__lifecycle_child *children = calloc(n + 1, sizeof(*children));
	_cleanup_free_ cnb__buf *outputs = calloc(n + 1, sizeof(*outputs));
	_cleanup_free_ int *status = calloc(n + 1, sizeof(int)), *errnos = calloc(n + 1, sizeof(int));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].spawned)
			children[k++] = jobs[i].child;
	/* Every spawned child is reaped, even after an error preparing a later one. */
	if (children && outputs && status && errnos)
		cnb__lifecycle_exec_collect(children, k, outputs, status, errnos);
	else
		for (size_t i = 0; i < k; i++)
			waitpid(children[i].pid, NULL, 0);
	for (size_t i = 0, c = 0; i < n; i++) {
		if (!jobs[i].spawned)
			continue;
		jobs[i].output = outputs[c];
		jobs[i].status = status[c];
		jobs[i].child_errno = errnos[c++];
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		job_finish(&jobs[i]);
	if (!children || !outputs || !status || !errnos)
		rc = rc ? rc : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return rc;
}

/*
 * How many detects run at once: $CNB_DETECT_JOBS when it is a number from 1 (one after another:
 * what parallel detection is checked against, and a way out for buildpacks that trip over each
 * other), else the CPUs, but at least 4: detect scripts mostly wait on the disk.
 */
static size_t detect_jobs(void)
{
	const char *env = getenv("CNB_DETECT_JOBS");
	char *end;
	long jobs = env && *env ? strtol(env, &end, 10) : 0;
	if (jobs >= 1 && jobs <= 1024 && !*end)
		return (size_t)jobs;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus > 4 ? (size_t)cpus : 4;
}

/*
 * Detects of one group run in parallel, as in the reference (lifecycle phase/detector.go, unbounded
 * there), bounded by detect_jobs(). Results and output come out in the group's order.
 */
static int detect_many(void *ud, const cnb__lifecycle_bp_descriptor *const *bps, cnb__lifecycle_detect_run *const *runs, size_t n,
		       cnb_error **err)
{
	size_t batch = detect_jobs();
	_cleanup_free_ detect_job *jobs = calloc(n + 1, sizeof(*jobs));
	if (!jobs)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		jobs[i] = (detect_job){ .bp = bps[i], .run = runs[i], .output = CNB_BUF_INIT };
	int rc = 0;
	for (size_t start = 0; rc == 0 && start < n; start += batch)
		rc = detect_batch(ud, jobs + start, n - start < batch ? n - start : batch, err);
	for (size_t i = 0; i < n; i++)
		job_free(&jobs[i]);
	return rc;
}

static int detect_bp(void *ud, const cnb__lifecycle_bp_descriptor *bp, cnb__lifecycle_detect_run *run, cnb_error **err)
{
	return detect_many(ud, &bp, &run, 1, err);
}

/* lifecycle phase/hermetic_factory.go verifyOrder: every top-level element exists and has a supported API. */
static int verify_order(const cnb__lifecycle_phase_inputs *in, const cnb__lifecycle_order *order, int *exit_code, cnb_error **err)
{
	for (size_t g = 0; g < order->n; g++)
		for (size_t i = 0; i < order->groups[g].n; i++) {
			const cnb__lifecycle_order_elem *el = &order->groups[g].elems[i];
			cnb__lifecycle_bp_descriptor *d = NULL;
			int rc = load_module(in, el->id, el->version, el->extension, &d, err);
			cnb__lifecycle_bp_descriptor_free(d);
			if (rc) {
				*exit_code = rc == CNB_EUNSUPPORTED ? CNB_LC_EXIT_BUILDPACK_API : CNB_LC_EXIT_FAILED;
				return rc;
			}
		}
	return 0;
}

int cnb__lifecycle_detect_phase(const cnb__lifecycle_phase_inputs *in, int *exit_code, cnb_error **err)
{
	*exit_code = CNB_LC_EXIT_FAILED;
	cnb__lifecycle_order order = { 0 }, extensions = { 0 };
	int rc = cnb__lifecycle_order_load(&order, &extensions, in->order_path, err);
	if (rc == 0 && cnb__lifecycle_api_at_least(in->platform_api, 0, 15))
		rc = cnb__lifecycle_order_add_system(&order, in->system_path, err);
	if (rc) {
		cnb__lifecycle_order_free(&order);
		cnb__lifecycle_order_free(&extensions);
		return rc;
	}
	detector d = { .in = in };
	cnb__lifecycle_order_resolver r = { .ops = { load_bp, detect_bp, hold_line, &d, detect_many }, .extensions = &extensions };
	cnb__lifecycle_plan_result res = { 0 };
	cnb__lifecycle_group_status status = CNB_GROUP_FAILED;
	if ((rc = verify_order(in, &order, exit_code, err)) || (rc = verify_order(in, &extensions, exit_code, err)))
		goto out;
	if (cnb__lifecycle_env_init_build(&d.base, in->environ) < 0) {
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		goto out;
	}
	/* Targets are checked from Platform 0.12 on; CNB_TARGET_* is given to every API >= 0.10 buildpack. */
	if ((rc = cnb__lifecycle_target_data_load(&d.target, in->analyzed_path, err)))
		goto out;
	d.have_target = true;
	r.run_target = cnb__lifecycle_api_at_least(in->platform_api, 0, 12) ? &d.target : NULL;
	r.exec_env = cnb__lifecycle_api_at_least(in->platform_api, 0, 15) ? in->exec_env : NULL;
	rc = cnb__lifecycle_order_resolve(&r, &order, &status, &res, err);
	release_lines(&d, rc == 0 && status == CNB_GROUP_PASSED);
	if (rc) {
		*exit_code = rc == CNB_EUNSUPPORTED ? CNB_LC_EXIT_BUILDPACK_API : CNB_LC_EXIT_DETECT;
		cnb__error_prefix(err, "detect");
		goto out;
	}
	if (status != CNB_GROUP_PASSED) {
		/* The reference's words (lifecycle cmd/lifecycle/detector.go doDetect), then ours. */
		cnb__lifecycle_phase_log(in, CNB_LOG_ERROR, "No buildpack groups passed detection.");
		if (status == CNB_GROUP_FAILED)
			cnb__lifecycle_phase_log(in, CNB_LOG_ERROR, "Please check that you are running against the correct path.");
		*exit_code = status == CNB_GROUP_ERRORED ? CNB_LC_EXIT_DETECT_ERRORED : CNB_LC_EXIT_DETECT_FAILED;
		rc = cnb__error_set(err, CNB_EDETECT, "%s",
				    status == CNB_GROUP_ERRORED
					    ? "no buildpack group passed detection, and at least one buildpack errored: "
					      "see its output above"
					    : "no buildpack group passed detection: check that the app directory holds "
					      "what the buildpacks look for (results above)");
		goto out;
	}
	if ((rc = cnb__lifecycle_group_file_write(in->group_path, res.group, res.n_group, err)) ||
	    (rc = cnb__lifecycle_plan_file_write(in->plan_path, &res, err))) {
		*exit_code = CNB_LC_EXIT_DETECT;
		goto out;
	}
	log_group(in, &res);
	*exit_code = CNB_LC_EXIT_OK;
out:
	release_lines(&d, false);
	cnb__lifecycle_plan_result_free(&res);
	cnb__lifecycle_order_resolver_free(&r);
	cnb__lifecycle_order_free(&order);
	cnb__lifecycle_order_free(&extensions);
	cnb__lifecycle_env_free(&d.base);
	cnb__lifecycle_target_free(&d.target);
	return rc;
}
