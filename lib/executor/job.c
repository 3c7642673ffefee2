/* The job's JSON form: host -> guest. The guest trusts the host, but the parser still checks
 * shapes and sizes so a truncated or corrupt file fails with a message, not a crash. */
#include "job.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"
#include "../common/strv.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *strv_to_json(char **v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && v && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int cnb__executor_job_to_json(const cnb__executor_job *job, char **out, cnb_error **err)
{
	json_t *root = json_pack("{s:i, s:s, s:b, s:[], s:[]}", "version", 1, "hostname",
				 job->hostname ? job->hostname : "cnb", "network", job->network, "mounts", "steps");
	if (!root)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	json_t *mounts = json_object_get(root, "mounts"), *steps = json_object_get(root, "steps");
	int bad = 0;
	for (size_t i = 0; i < job->n_mounts; i++) {
		const cnb__executor_job_mount *m = &job->mounts[i];
		bad |= json_array_append_new(mounts, json_pack("{s:o, s:s, s:b, s:b, s:o}", "source",
					     m->source ? json_string(m->source) : json_null(), "target",
					     m->target, "read_only", m->read_only, "own_share",
					     cnb__job_mount_needs_share(m), "seed",
					     m->seed ? json_string(m->seed) : json_null()));
	}
	for (size_t i = 0; i < job->n_steps; i++) {
		const cnb__executor_job_step *s = &job->steps[i];
		bad |= json_array_append_new(steps, json_pack("{s:s, s:o, s:o, s:s, s:I, s:I, s:i, s:b}", "name",
					     s->name ? s->name : "", "argv", strv_to_json(s->argv), "env",
					     strv_to_json(s->env), "cwd", s->cwd ? s->cwd : "/", "uid",
					     (json_int_t)s->uid, "gid", (json_int_t)s->gid, "timeout_s", s->timeout_s,
					     "privileged", s->privileged));
	}
	*out = bad ? NULL : json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return *out ? 0 : cnb__error_set(err, CNB_ENOMEM, "job: cannot serialise (out of memory or bad string)");
}

static char *dup_string(json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static char **strv_from_json(json_t *a, bool *ok)
{
	if (!json_is_array(a) || json_array_size(a) > CNB_JOB_MAX_ARGS) {
		*ok = false;
		return NULL;
	}
	char **v = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!v) {
		*ok = false;
		return NULL;
	}
	for (size_t i = 0; i < json_array_size(a); i++)
		if (!(v[i] = dup_string(json_array_get(a, i)))) {
			/* Stop here: cnb__strv_free() ends at the first NULL, entries after it would leak. */
			cnb__strv_free(v);
			*ok = false;
			return NULL;
		}
	return v;
}

static bool get_u32(json_t *o, const char *key, uint32_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
		return false;
	*out = (uint32_t)json_integer_value(v);
	return true;
}

int cnb__executor_job_from_json(const char *data, size_t len, cnb__executor_job **out, cnb_error **err)
{
	*out = NULL;
	if (len > CNB_JOB_MAX_BYTES)
		return cnb__error_set(err, CNB_EUNSAFE, "job: %zu bytes, over the limit", len);
	json_error_t jerr;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return cnb__error_set(err, CNB_EPARSE, "job: line %d: %s", jerr.line, jerr.text);
	json_t *mounts = json_object_get(root, "mounts"), *steps = json_object_get(root, "steps");
	if (!json_is_array(mounts) || !json_is_array(steps) || json_array_size(mounts) > CNB_JOB_MAX_MOUNTS ||
	    json_array_size(steps) > CNB_JOB_MAX_STEPS) {
		json_decref(root);
		return cnb__error_set(err, CNB_EPARSE, "job: \"mounts\" and \"steps\" must be arrays (at most %d)",
				      CNB_JOB_MAX_STEPS);
	}
	cnb__executor_job *job = calloc(1, sizeof(*job));
	bool ok = job != NULL;
	if (ok) {
		job->network = json_is_true(json_object_get(root, "network"));
		job->hostname = dup_string(json_object_get(root, "hostname"));
		job->mounts = calloc(json_array_size(mounts) + 1, sizeof(cnb__executor_job_mount));
		job->steps = calloc(json_array_size(steps) + 1, sizeof(cnb__executor_job_step));
		ok = job->hostname && job->mounts && job->steps;
	}
	for (size_t i = 0; ok && i < json_array_size(mounts); i++) {
		json_t *m = json_array_get(mounts, i);
		cnb__executor_job_mount *jm = &job->mounts[job->n_mounts++];
		json_t *src = json_object_get(m, "source");
		jm->source = dup_string(src);
		jm->target = dup_string(json_object_get(m, "target"));
		jm->read_only = json_is_true(json_object_get(m, "read_only"));
		jm->own_share = json_is_true(json_object_get(m, "own_share"));
		json_t *seed = json_object_get(m, "seed");
		jm->seed = dup_string(seed);
		ok = jm->target && (json_is_null(src) || jm->source) && (!seed || json_is_null(seed) || jm->seed);
	}
	for (size_t i = 0; ok && i < json_array_size(steps); i++) {
		json_t *s = json_array_get(steps, i);
		cnb__executor_job_step *js = &job->steps[job->n_steps++];
		js->name = dup_string(json_object_get(s, "name"));
		js->cwd = dup_string(json_object_get(s, "cwd"));
		js->argv = strv_from_json(json_object_get(s, "argv"), &ok);
		js->env = strv_from_json(json_object_get(s, "env"), &ok);
		json_t *t = json_object_get(s, "timeout_s");
		js->timeout_s = json_is_integer(t) ? (int)json_integer_value(t) : 0;
		js->privileged = json_is_true(json_object_get(s, "privileged"));
		ok = ok && js->name && js->cwd && get_u32(s, "uid", &js->uid) && get_u32(s, "gid", &js->gid);
	}
	json_decref(root);
	if (!ok) {
		cnb__executor_job_free(job);
		return cnb__error_set(err, CNB_EPARSE, "job: a mount or step is missing a field or has the wrong type");
	}
	int rc = cnb__executor_job_validate(job, err);
	if (rc < 0) {
		cnb__executor_job_free(job);
		return rc;
	}
	*out = job;
	return 0;
}

void cnb__executor_job_free(cnb__executor_job *job)
{
	if (!job)
		return;
	for (size_t i = 0; i < job->n_mounts; i++) {
		free((char *)job->mounts[i].source);
		free((char *)job->mounts[i].target);
		free((char *)job->mounts[i].seed);
	}
	for (size_t i = 0; i < job->n_steps; i++) {
		free((char *)job->steps[i].name);
		free((char *)job->steps[i].cwd);
		cnb__strv_free(job->steps[i].argv);
		cnb__strv_free(job->steps[i].env);
	}
	free(job->mounts);
	free(job->steps);
	free((char *)job->hostname);
	free(job);
}

static bool has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return true;
	return false;
}

int cnb__executor_job_validate(const cnb__executor_job *job, cnb_error **err)
{
	for (size_t i = 0; i < job->n_mounts; i++) {
		const cnb__executor_job_mount *m = &job->mounts[i];
		if (!m->target || m->target[0] != '/' || has_dotdot(m->target))
			return cnb__error_set(err, CNB_EINVAL, "mount %zu: target \"%s\" must be an absolute path without \"..\"",
					      i, m->target ? m->target : "");
		if (m->host_dir && (m->host_dir[0] != '/' || m->source))
			return cnb__error_set(err, CNB_EINVAL, "mount %s: host directory \"%s\" must be absolute, without a source",
					      m->target, m->host_dir);
		if (m->source && (m->source[0] == '/' || has_dotdot(m->source)))
			return cnb__error_set(err, CNB_EINVAL,
					      "mount %s: source \"%s\" must be relative to the job dir, without \"..\"",
					      m->target, m->source);
		if (m->seed && (m->source || !*m->seed || m->seed[0] == '/' || has_dotdot(m->seed)))
			return cnb__error_set(err, CNB_EINVAL,
					      "mount %s: seed \"%s\" must be a file relative to the job dir, without \"..\", "
					      "on a mount without a source", m->target, m->seed);
	}
	for (size_t i = 0; i < job->n_steps; i++) {
		const cnb__executor_job_step *s = &job->steps[i];
		if (!s->argv || !s->argv[0] || !*s->argv[0])
			return cnb__error_set(err, CNB_EINVAL, "step %zu (%s): argv is empty", i, s->name ? s->name : "");
		if (s->cwd && s->cwd[0] != '/')
			return cnb__error_set(err, CNB_EINVAL, "step %s: cwd \"%s\" must be absolute",
					      s->name ? s->name : "", s->cwd);
		if (s->timeout_s < 0)
			return cnb__error_set(err, CNB_EINVAL, "step %s: negative timeout", s->name ? s->name : "");
		if (s->privileged && s->uid != 0)
			return cnb__error_set(err, CNB_EINVAL, "step %s: a privileged step runs as uid 0", s->name ? s->name : "");
	}
	if (job->hostname && strlen(job->hostname) > 64)
		return cnb__error_set(err, CNB_EINVAL, "hostname \"%s\" is longer than 64 bytes", job->hostname);
	return 0;
}
