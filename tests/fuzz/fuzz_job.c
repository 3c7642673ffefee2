/*
 * libFuzzer target for the job JSON cnb-init reads in the guest (.cnb-job.json). Any document
 * parses or fails cleanly without leaks; a parsed job passes validation, serialises, and the
 * serialised form parses to an equal job.
 */
#include "fuzz-util.h"
#include "lib/common/error-internal.h"
#include "lib/executor/job.h"

static int strv_equal(char **a, char **b)
{
	size_t i = 0;
	for (; a && b && a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]))
			return 0;
	return (!a || !a[i]) == (!b || !b[i]);
}

static int jobs_equal(const cnb__executor_job *a, const cnb__executor_job *b)
{
	if (a->n_mounts != b->n_mounts || a->n_steps != b->n_steps || a->network != b->network ||
	    !fuzz_streq(a->hostname, b->hostname))
		return 0;
	for (size_t i = 0; i < a->n_mounts; i++)
		if (!fuzz_streq(a->mounts[i].source, b->mounts[i].source) ||
		    !fuzz_streq(a->mounts[i].target, b->mounts[i].target) || a->mounts[i].read_only != b->mounts[i].read_only)
			return 0;
	for (size_t i = 0; i < a->n_steps; i++) {
		const cnb__executor_job_step *x = &a->steps[i], *y = &b->steps[i];
		if (!fuzz_streq(x->name, y->name) || !fuzz_streq(x->cwd, y->cwd) || !strv_equal(x->argv, y->argv) ||
		    !strv_equal(x->env, y->env) || x->uid != y->uid || x->gid != y->gid || x->timeout_s != y->timeout_s ||
		    x->privileged != y->privileged)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cnb__executor_job *job = NULL;
	cnb_error *err = NULL;
	if (cnb__executor_job_from_json((const char *)data, size, &job, &err) < 0) {
		FUZZ_CHECK(err && !job);
		cnb_error_free(err);
		return 0;
	}
	FUZZ_CHECK(cnb__executor_job_validate(job, &err) == 0);
	char *text = NULL;
	FUZZ_CHECK(cnb__executor_job_to_json(job, &text, &err) == 0);
	cnb__executor_job *back = NULL;
	if (cnb__executor_job_from_json(text, strlen(text), &back, &err) < 0) {
		fprintf(stderr, "serialised job does not parse: %s\n%s\n", cnb_error_message(err), text);
		abort();
	}
	FUZZ_CHECK(jobs_equal(job, back));
	cnb__executor_job_free(back);
	cnb__executor_job_free(job);
	free(text);
	return 0;
}
