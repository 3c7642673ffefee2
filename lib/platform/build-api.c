/* cnb_build_*: options, lifetime, cancellation, results. The pipeline is in build-run.c. */
#include "build-internal.h"
#include "app-archive.h"
#include "lib/api/ctx-internal.h"
#include "lib/api/opts.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"
#include "lib/lifecycle/spec/project-descriptor.h"
#include "lib/os/os.h"
#include "oci/location.h"
#include "oci/platform.h"

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
	X(platform) X(executor) X(previous_image) X(process_type) X(sbom_output_dir) X(report_output_dir) X(exec_env)     \
	X(workspace) X(default_builder)

/* The string-list fields, the same way. */
#define STRV_FIELDS(X) X(env) X(tags) X(buildpacks) X(lifecycle_env) X(registry_mirrors) X(pre_buildpacks) \
	X(post_buildpacks) X(volumes)

/* version 1 ends before max_layer_bytes, version 2 before sbom_output_dir, version 3 before pre_buildpacks */
static const size_t cnb_build_opts_sizes[] = { offsetof(cnb_build_opts, max_layer_bytes),
						offsetof(cnb_build_opts, sbom_output_dir),
						offsetof(cnb_build_opts, pre_buildpacks), sizeof(cnb_build_opts) };
CNB__DEFINE_OPTS_INIT_SIZED(cnb_build_opts, CNB_BUILD_OPTS_VERSION, CNB_BUILD_OPTS_INIT)

/* A tag in the image's repository, or a full reference of its own (pack's -t REGISTRY/REPO:TAG). */
static int check_tag(const char *image, const char *tag, cnb_error **err)
{
	if (cnb__oci_tag_valid(tag))
		return 0;
	_cleanup_oci_loc_ cnb__oci_loc loc = { 0 };
	if (strchr(tag, '/') && cnb__oci_loc_parse(&loc, tag, NULL) == 0 && loc.kind == CNB__OCI_LOC_REGISTRY && !loc.ref.digest)
		return 0;
	return cnb__error_set(err, CNB_EINVAL, "build %s: --tag '%s' is neither a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}) "
					       "nor an image reference REGISTRY/REPOSITORY[:TAG]", image, tag);
}

/* What version 3 added; the fields read as their defaults for older callers. */
static int check_v3(const cnb_build_opts *o, cnb_error **err)
{
	if (o->version < 3)
		return 0;
	if ((o->uid != CNB_BUILD_ID_DEFAULT && (o->uid < 0 || o->uid >= UINT32_MAX)) ||
	    (o->gid != CNB_BUILD_ID_DEFAULT && (o->gid < 0 || o->gid >= UINT32_MAX)))
		return cnb__error_set(err, CNB_EINVAL, "build %s: uid and gid go from 0 to %u", o->image, UINT32_MAX - 1);
	if (o->workspace && (o->workspace[0] != '/' || strstr(o->workspace, "/.") || strstr(o->workspace, "//") ||
			     strpbrk(o->workspace, " \t\n:=") || !strcmp(o->workspace, "/") ||
			     o->workspace[strlen(o->workspace) - 1] == '/'))
		return cnb__error_set(err, CNB_EINVAL, "build %s: --workspace '%s' must be an absolute directory like /app "
						       "(no '.' components, spaces or ':')", o->image, o->workspace);
	static const char *const reserved[] = { "/layers", "/cnb", "/platform", "/proc", "/dev", "/sys", "/tmp" };
	for (size_t i = 0; o->workspace && i < CNB_ARRAY_SIZE(reserved); i++) {
		size_t n = strlen(reserved[i]);
		if (!strncmp(o->workspace, reserved[i], n) && (!o->workspace[n] || o->workspace[n] == '/'))
			return cnb__error_set(err, CNB_EINVAL, "build %s: --workspace %s is inside %s, which the build uses itself",
					      o->image, o->workspace, reserved[i]);
	}
	if (o->exec_env && (!*o->exec_env || strpbrk(o->exec_env, "/\n=")))
		return cnb__error_set(err, CNB_EINVAL, "build %s: --exec-env '%s' is not a plain name", o->image, o->exec_env);
	for (const char *const *m = o->registry_mirrors; m && *m; m++)
		if (!strchr(*m, '=') || **m == '=')
			return cnb__error_set(err, CNB_EINVAL, "build %s: registry mirror '%s' is not REGISTRY=MIRROR", o->image, *m);
	return 0;
}

/* opts.platform as a list: one entry (NULL: the host's), or each of a comma list, which makes an index. */
static int split_platforms(cnb_build *b, cnb_error **err)
{
	const char *p = b->opts.platform;
	if (!p || !strchr(p, ',')) {
		b->n_platforms = 1;
		if (!(b->platforms = calloc(2, sizeof(char *))) || (p && !(b->platforms[0] = strdup(p))))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		return 0;
	}
	if (cnb__oci_platform_list_parse(&b->platforms, &b->n_platforms, p, err) < 0)
		return cnb__error_prefix(err, "build %s: --platform", b->opts.image);
	if (b->n_platforms > 1 && b->opts.output && !strncmp(b->opts.output, "docker-archive:", 15))
		return cnb__error_set(err, CNB_EINVAL, "build %s: a docker-archive holds one platform, not %zu: publish the "
						       "image or write it to an OCI layout (--output oci:DIR)", b->opts.image,
				      b->n_platforms);
	if (b->n_platforms > 1 && b->opts.executor && !strcmp(b->opts.executor, "host"))
		return cnb__error_set(err, CNB_EUNSUPPORTED, "build %s: the host executor runs only the host's platform: "
							     "build %s with the VM executor", b->opts.image, p);
	return 0;
}

/* pack's order: --builder, then project.toml's [io.buildpacks] builder, then the configured default. */
static int resolve_builder(cnb_build *b, cnb_error **err)
{
	const char *app = b->opts.app_dir ? b->opts.app_dir : ".";
	_cleanup_free_ char *in_app = cnb__path_join(app, "project.toml");
	const char *path = b->opts.descriptor;
	struct stat st;
	if (!path && in_app && lstat(in_app, &st) == 0 && S_ISREG(st.st_mode))
		path = in_app;
	cnb__lifecycle_project_descriptor *project = NULL;
	if (path && cnb__lifecycle_project_descriptor_load(&project, path, err) < 0)
		return cnb__error_prefix(err, "build %s: project descriptor", b->opts.image);
	const char *name = project && *project->builder ? project->builder : b->opts.default_builder;
	int r = 0;
	if (!name || !*name)
		r = cnb__error_set(err, CNB_EINVAL, "build %s: a builder is required (--builder, project.toml's "
						    "[io.buildpacks] builder, or `cnb config default-builder REF`)", b->opts.image);
	else if (!(b->opts.builder = strdup(name)))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__lifecycle_project_descriptor_free(project);
	return r;
}

int cnb_build_new(cnb_build **out, cnb_ctx *ctx, const cnb_build_opts *opts, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_build_opts defaults = CNB_BUILD_OPTS_INIT;
	if (!out || !ctx)
		return cnb__error_set(err, CNB_EINVAL, "cnb_build_new: out and context are required");
	*out = NULL;
	cnb_build_opts copy;
	if (!(opts = cnb__api_opts_resolve_sized(&copy, sizeof(copy), cnb_build_opts_sizes, opts, &defaults,
					     CNB_BUILD_OPTS_VERSION, "cnb_build_opts", err)))
		return CNB_EINVAL;
	if (!opts->image || !*opts->image)
		return cnb__error_set(err, CNB_EINVAL, "build: an image name is required");
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
	if (opts->pull_policy < CNB_PULL_IF_NOT_PRESENT || opts->pull_policy > CNB_PULL_NEVER)
		return cnb__error_set(err, CNB_EINVAL, "build %s: pull policy %d is not a cnb_pull_policy", opts->image,
				      (int)opts->pull_policy);
	if (opts->creation_time != CNB_BUILD_TIME_NOW && opts->creation_time != CNB_BUILD_TIME_DEFAULT &&
	    (opts->creation_time < 0 || opts->creation_time > CNB_BUILD_TIME_MAX))
		return cnb__error_set(err, CNB_EINVAL, "build %s: creation time %lld is outside 0..%lld (9999-12-31T23:59:59Z)",
				      opts->image, (long long)opts->creation_time, (long long)CNB_BUILD_TIME_MAX);
	for (const char *const *t = opts->tags; t && *t; t++)
		if (check_tag(opts->image, *t, err) < 0)
			return CNB_EINVAL;
	if (check_v3(opts, err) < 0)
		return CNB_EINVAL;
	if (cnb__require_path(opts->app_dir, "--path", cnb__platform_app_archive_is(opts->app_dir) ? S_IFREG : S_IFDIR, err) < 0 ||
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
#define COPY(f) if (b->opts.f && !(b->opts.f = strdup(b->opts.f))) oom = true;
	STRING_FIELDS(COPY)
#undef COPY
#define DUP(f) if (!(b->f = cnb__strv_dup(b->opts.f))) oom = true; b->opts.f = (const char *const *)b->f;
	STRV_FIELDS(DUP)
#undef DUP
	if (!oom && !b->opts.builder && resolve_builder(b, err) < 0) {
		cnb_build_free(b);
		return CNB_EINVAL;
	}
	int r = oom ? 0 : split_platforms(b, err);
	if (r == 0 && !oom && !(b->results = calloc(b->n_platforms, sizeof(*b->results))))
		oom = true;
	if (r < 0) {
		cnb_build_free(b);
		return r;
	}
	if (!oom && cnb__platform_volumes_parse(b->opts.volumes, b->opts.env, b->opts.workspace, &b->volumes_parsed, &b->n_volumes,
				       err) < 0) {
		cnb_build_free(b);
		return cnb__error_prefix(err, "build %s", opts->image);
	}
	if (oom || cnb__os_pipe(b->cancel_pipe, O_NONBLOCK) < 0 ||
	    !(b->ctx = cnb__api_ctx_with_cancel(ctx, b->cancel_pipe[0]))) {
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
#define FREE(f) cnb__strv_free(b->f);
	STRV_FIELDS(FREE)
#undef FREE
	cnb__platform_volumes_free(b->volumes_parsed, b->n_volumes);
	for (size_t i = 0; i < b->n_platforms; i++) {
		free(b->platforms[i]);
		if (b->results) {
			free(b->results[i].platform);
			free(b->results[i].digest);
		}
	}
	free(b->platforms);
	free(b->results);
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
	return cnb__platform_build_execute(b, err);
}

const char *cnb_build_digest(const cnb_build *b)
{
	return b ? b->digest : NULL;
}

const char *cnb_build_reference(const cnb_build *b)
{
	return b ? b->reference : NULL;
}

static json_t *layers_json(const cnb__export_stats *st)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "added", (json_int_t)st->layers_added, "reused",
			 (json_int_t)st->layers_reused, "bytes_uncompressed", (json_int_t)st->bytes_in,
			 "bytes_compressed", (json_int_t)st->bytes_out);
}

/* Phase times by name, summed over platforms ([from, from + n) of b->phases). */
static json_t *phases_json(const cnb_build *b, size_t from, size_t n)
{
	json_t *phases = json_object();
	for (size_t i = from; phases && i < from + n && i < b->n_phases; i++) {
		json_int_t before = json_integer_value(json_object_get(phases, b->phases[i].name));
		json_object_set_new(phases, b->phases[i].name, json_integer(before + (json_int_t)b->phases[i].ms));
	}
	return phases;
}

/* One entry per platform of a multi-platform build: its image digest, layers and phases. */
static json_t *platforms_json(const cnb_build *b)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < b->n_platforms && b->results[i].platform; i++) {
		const cnb__platform_result *p = &b->results[i];
		json_array_append_new(list, json_pack("{s:s, s:s?, s:o, s:o, s:I}", "platform", p->platform, "digest",
						      p->digest, "layers", layers_json(&p->export_stats), "phases_ms",
						      phases_json(b, p->first_phase, p->n_phases), "boot_ms",
						      (json_int_t)p->vm_boot_ms));
	}
	return list;
}

char *cnb_build_report_json(const cnb_build *b)
{
	if (!b || !b->ran)
		return NULL;
	json_t *tags = json_array();
	for (size_t i = 0; tags && b->tags[i]; i++)
		json_array_append_new(tags, json_string(b->tags[i]));
	json_t *report = json_pack("{s:s, s:s?, s:s?, s:o, s:o, s:o, s:{s:s, s:I, s:b}}", "image", b->opts.image,
				   "reference", b->reference, "digest", b->digest, "tags", tags, "phases_ms",
				   phases_json(b, 0, b->n_phases), "layers", layers_json(&b->export_stats), "executor",
				   "accel", b->accel, "boot_ms", (json_int_t)b->vm_boot_ms, "accel_fell_back",
				   b->accel_fell_back);
	if (report && b->n_platforms > 1)
		json_object_set_new(report, "platforms", platforms_json(b));
	char *text = report ? json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(report);
	return text;
}
