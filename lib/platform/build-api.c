/* cnb_build_*: options, lifetime, cancellation, results. The pipeline is in build-run.c. */
#include "build-internal.h"
#include "lib/api/ctx-internal.h"
#include "lib/api/opts.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"
#include "oci/location.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The string fields of cnb_build_opts, so copying and freeing them is one loop each. */
#define STRING_FIELDS(X)                                                                                   \
	X(image) X(output) X(builder) X(app_dir) X(run_image) X(descriptor) X(cache_dir) X(cache_image)      \
	X(platform) X(executor) X(previous_image) X(process_type)

/* version 1 ends before max_layer_bytes */
static const size_t cnb_build_opts_sizes[] = { offsetof(cnb_build_opts, max_layer_bytes), sizeof(cnb_build_opts) };
CNB__DEFINE_OPTS_INIT_SIZED(cnb_build_opts, CNB_BUILD_OPTS_VERSION, CNB_BUILD_OPTS_INIT)

int cnb_build_new(cnb_build **out, cnb_ctx *ctx, const cnb_build_opts *opts, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_build_opts defaults = CNB_BUILD_OPTS_INIT;
	if (!out || !ctx)
		return cnb__error_set(err, CNB_EINVAL, "cnb_build_new: out and context are required");
	*out = NULL;
	cnb_build_opts copy;
	if (!(opts = cnb__opts_resolve_sized(&copy, sizeof(copy), cnb_build_opts_sizes, opts, &defaults,
					     CNB_BUILD_OPTS_VERSION, "cnb_build_opts", err)))
		return CNB_EINVAL;
	if (!opts->image || !*opts->image)
		return cnb__error_set(err, CNB_EINVAL, "build: an image name is required");
	if (!opts->builder || !*opts->builder)
		return cnb__error_set(err, CNB_EINVAL, "build %s: a builder is required (--builder)", opts->image);
	if (opts->executor && strcmp(opts->executor, "vm") && strcmp(opts->executor, "host"))
		return cnb__error_set(err, CNB_EINVAL, "build %s: executor '%s' is not vm or host", opts->image, opts->executor);
	if (opts->output && strncmp(opts->output, "oci:", 4) && strncmp(opts->output, "docker://", 9) &&
	    strncmp(opts->output, "docker-archive:", 15))
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "build %s: output '%s' is not supported: use oci:DIR[:TAG], docker-archive:FILE[:REF] or publish to a registry",
				      opts->image, opts->output);
	_cleanup_oci_loc_ cnb__oci_loc out_loc = { 0 };
	if (opts->output && !strncmp(opts->output, "oci:", 4) && cnb__oci_loc_parse(&out_loc, opts->output, err) < 0)
		return cnb__error_prefix(err, "build %s", opts->image);
	if (opts->pull_policy == CNB_PULL_NEVER)
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "build %s: --pull-policy never is not supported yet: image tags are always resolved "
				      "(layers already in the cache are never downloaded again)", opts->image);
	if (opts->creation_time != CNB_BUILD_TIME_NOW && opts->creation_time != CNB_BUILD_TIME_DEFAULT &&
	    (opts->creation_time < 0 || opts->creation_time > CNB_BUILD_TIME_MAX))
		return cnb__error_set(err, CNB_EINVAL, "build %s: creation time %lld is outside 0..%lld (9999-12-31T23:59:59Z)",
				      opts->image, (long long)opts->creation_time, (long long)CNB_BUILD_TIME_MAX);
	for (const char *const *t = opts->tags; t && *t; t++)
		if (!cnb__oci_tag_valid(*t))
			return cnb__error_set(err, CNB_EINVAL, "build %s: --tag '%s' is not a valid tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}",
					      opts->image, *t);
	if (cnb__require_path(opts->app_dir, "--path", S_IFDIR, err) < 0 ||
	    cnb__require_path(opts->descriptor, "--descriptor", S_IFREG, err) < 0)
		return cnb__error_prefix(err, "build %s", opts->image);
	if (opts->cache_image && opts->cache_dir)
		return cnb__error_set(err, CNB_EINVAL, "build %s: --cache-dir and --cache-image exclude each other", opts->image);
	cnb_build *b = calloc(1, sizeof(*b));
	if (!b)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	b->opts = *opts;
	b->opts.version = CNB_BUILD_OPTS_VERSION;
	if (!b->opts.max_layer_bytes)
		b->opts.max_layer_bytes = CNB_BUILD_LAYER_MAX_DEFAULT;
	b->cancel_pipe[0] = b->cancel_pipe[1] = -1;
	bool oom = false;
#define COPY(f) if (opts->f && !(b->opts.f = strdup(opts->f))) oom = true; else if (!opts->f) b->opts.f = NULL;
	STRING_FIELDS(COPY)
#undef COPY
	b->env = cnb__strv_dup(opts->env);
	b->tags = cnb__strv_dup(opts->tags);
	b->buildpacks = cnb__strv_dup(opts->buildpacks);
	b->opts.env = (const char *const *)b->env;
	b->opts.tags = (const char *const *)b->tags;
	b->opts.buildpacks = (const char *const *)b->buildpacks;
	if (oom || !b->env || !b->tags || !b->buildpacks || pipe2(b->cancel_pipe, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    !(b->ctx = cnb__ctx_with_cancel(ctx, b->cancel_pipe[0]))) {
		cnb_build_free(b);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	*out = b;
	return 0;
}

void cnb_build_free(cnb_build *b)
{
	if (!b)
		return;
#define FREE(f) free((char *)b->opts.f);
	STRING_FIELDS(FREE)
#undef FREE
	cnb__strv_free(b->env);
	cnb__strv_free(b->tags);
	cnb__strv_free(b->buildpacks);
	free(b->ctx);
	if (b->cancel_pipe[0] >= 0)
		close(b->cancel_pipe[0]);
	if (b->cancel_pipe[1] >= 0)
		close(b->cancel_pipe[1]);
	free(b->digest);
	free(b->reference);
	free(b);
}

void cnb_build_cancel(cnb_build *b)
{
	if (b && b->cancel_pipe[1] >= 0) {
		int saved = errno;
		ssize_t ignored = write(b->cancel_pipe[1], "x", 1);
		(void)ignored;
		errno = saved;
	}
}

int cnb_build_run(cnb_build *b, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	if (!b)
		return cnb__error_set(err, CNB_EINVAL, "cnb_build_run: build is NULL");
	if (b->ran)
		return cnb__error_set(err, CNB_EINVAL, "build %s: a build runs once; create a new one", b->opts.image);
	b->ran = true;
	return cnb__build_execute(b, err);
}

const char *cnb_build_digest(const cnb_build *b)
{
	return b ? b->digest : NULL;
}

const char *cnb_build_reference(const cnb_build *b)
{
	return b ? b->reference : NULL;
}

char *cnb_build_report_json(const cnb_build *b)
{
	if (!b || !b->ran)
		return NULL;
	json_t *phases = json_object();
	for (size_t i = 0; phases && i < b->n_phases; i++)
		json_object_set_new(phases, b->phases[i].name, json_integer((json_int_t)b->phases[i].ms));
	json_t *tags = json_array();
	for (size_t i = 0; tags && b->tags[i]; i++)
		json_array_append_new(tags, json_string(b->tags[i]));
	json_t *report = json_pack("{s:s, s:s?, s:s?, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:{s:s, s:I, s:b}}",
				   "image", b->opts.image, "reference", b->reference, "digest", b->digest, "tags", tags,
				   "phases_ms", phases, "layers", "added", (json_int_t)b->export_stats.layers_added,
				   "reused", (json_int_t)b->export_stats.layers_reused, "bytes_uncompressed",
				   (json_int_t)b->export_stats.bytes_in, "bytes_compressed",
				   (json_int_t)b->export_stats.bytes_out, "executor", "accel", b->accel, "boot_ms",
				   (json_int_t)b->vm_boot_ms, "accel_fell_back", b->accel_fell_back);
	char *text = report ? json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(report);
	return text;
}
