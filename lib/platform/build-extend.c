/* The extend step: Dockerfiles applied in the VM, their layer checked, stored and cached (see build-extend.h). */
#include "build-extend.h"
#include "job-files.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"
#include "lib/common/tar-writer.h"
#include "lib/executor/executor.h"
#include "lib/export/export-assemble.h"
#include "lib/export/image-config.h"
#include "lib/lifecycle/spec/group-plan-files.h"
#include "oci/store.h"

#include <cnb/build.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GUEST_PLAN "/cnb/extend-in/plan.json"
#define GUEST_SCRATCH "/cnb/extend-scratch"
#define LAYER_FILE "layers/extended.tar"
#define CONTEXT_TAR "extend-context.tar"
#define EXTEND_TIMEOUT_S (60 * 60)
#define CACHE_ENTRY_MAX 4096

void cnb__platform_extend_out_clear(cnb__platform_extend_out *out)
{
	cnb__extend_plan_clear(&out->plan);
	cnb__oci_layer_clear(&out->layer);
	memset(out, 0, sizeof(*out));
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static char *cache_entry_path(const cnb_ctx *ctx, const char *key)
{
	char *p = NULL;
	return asprintf(&p, "%s/extend/%s.json", ctx->cache_dir, key + strlen("sha256:")) < 0 ? NULL : p;
}

/* A cached layer whose blob is still in the store (a prune may have taken it: then it is rebuilt). */
static bool cache_lookup(const cnb_ctx *ctx, const char *key, cnb__oci_layer *l)
{
	_cleanup_free_ char *path = cache_entry_path(ctx, key), *text = NULL;
	if (!path || cnb__read_file(path, CACHE_ENTRY_MAX, &text, NULL, NULL) < 0)
		return false;
	json_t *j = json_loads(text, 0, NULL);
	const char *digest = json_string_value(json_object_get(j, "digest"));
	const char *diff_id = json_string_value(json_object_get(j, "diff_id"));
	const char *mt = json_string_value(json_object_get(j, "media_type"));
	json_int_t size = json_integer_value(json_object_get(j, "size"));
	bool ok = digest && diff_id && mt && cnb__oci_digest_valid(digest) && cnb__oci_digest_valid(diff_id) && size > 0 &&
		  cnb__oci_store_has(ctx->cache_dir, digest, (uint64_t)size);
	if (ok) {
		*l = (cnb__oci_layer){ .digest = strdup(digest), .diff_id = strdup(diff_id), .size = (uint64_t)size,
				       .media_type = strdup(mt), .path = cnb__oci_store_path(ctx->cache_dir, digest) };
		ok = l->digest && l->diff_id && l->media_type && l->path;
		if (!ok)
			cnb__oci_layer_clear(l);
	}
	json_decref(j);
	return ok;
}

static void cache_store(cnb_ctx *ctx, const char *key, const cnb__oci_layer *l)
{
	_cleanup_free_ char *path = cache_entry_path(ctx, key), *dir = NULL;
	json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "digest", l->digest, "diff_id", l->diff_id, "media_type",
			      l->media_type, "size", (json_int_t)l->size);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	cnb_error *e = NULL;
	if (path && text && asprintf(&dir, "%s/extend", ctx->cache_dir) >= 0 &&
	    (cnb__mkdir_p(dir, 0700, &e) < 0 || cnb__write_file_atomic(path, text, strlen(text), 0600, &e) < 0))
		cnb__api_log(ctx, CNB_LOG_WARN, "extend cache: %s (the next build runs the Dockerfiles again)", cnb_error_message(e));
	cnb_error_free(e);
	free(text);
}

/* The job dir: extend-in/plan.json (read-only in the guest), out/layers/ for the tar, and the
 * build contexts' tar the guest unpacks at CNB_EXTEND_GUEST_CONTEXT. */
static int prepare_dir(const char *job_dir, const cnb__extend_plan *plan, cnb_error **err)
{
	_cleanup_free_ char *tar = cnb__path_join(job_dir, CONTEXT_TAR);
	_cleanup_close_ int fd = !tar || plan->context_fd < 0 ? -1
				   : open(tar, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (tar && plan->context_fd >= 0 &&
	    (fd < 0 || lseek(plan->context_fd, 0, SEEK_SET) < 0 ||
	     cnb__copy_fd(plan->context_fd, fd, "the build contexts", tar, NULL, NULL, err) < 0))
		return fd < 0 ? cnb__error_errno(err, CNB_EIO, errno, "create %s", tar) : -1;
	_cleanup_free_ char *in = cnb__path_join(job_dir, "extend-in"), *out = cnb__path_join(job_dir, "out/layers");
	_cleanup_free_ char *plan_path = in ? cnb__path_join(in, "plan.json") : NULL, *text = cnb__extend_plan_json(plan);
	if (!in || !out || !plan_path || !text)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (cnb__mkdir_p(in, 0755, err) < 0 || cnb__mkdir_p(out, 0755, err) < 0)
		return -1;
	return cnb__write_file_atomic(plan_path, text, strlen(text), 0644, err);
}

static int run_job(cnb_ctx *ctx, const cnb__platform_extend_job_in *in, const char *job_dir, const char *rootfs, const char *arch,
		   const char *what, bool contexts, cnb_error **err)
{
	char *argv[] = { "/cnb/libcnb/cnb-lifecycle", "extend", "-plan", GUEST_PLAN, "-scratch", GUEST_SCRATCH, "-out",
			 "/cnb/out/" LAYER_FILE, NULL };
	char *env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	cnb__executor_job_step step = { .name = "extend", .argv = argv, .env = env, .cwd = "/", .uid = 0, .gid = 0,
			       .timeout_s = EXTEND_TIMEOUT_S, .privileged = true };
	cnb__executor_job_mount mounts[] = {
		{ .source = "extend-in", .target = "/cnb/extend-in", .read_only = true },
		{ .source = "out", .target = "/cnb/out" },
		{ .seed = CONTEXT_TAR, .target = CNB_EXTEND_GUEST_CONTEXT },
	};
	cnb__executor_job job = { .rootfs = rootfs, .job_dir = job_dir, .mounts = mounts,
				  .n_mounts = CNB_ARRAY_SIZE(mounts) - !contexts,
			 .steps = &step, .n_steps = 1, .network = in->network, .hostname = "cnb-extend", .cpus = in->cpus,
			 .memory_mb = in->memory_mb, .arch = arch };
	cnb__executor_job_result res = { 0 };
	cnb__api_log(ctx, CNB_LOG_INFO, "===> EXTEND %s image (executor: %s)", what, in->executor ? in->executor : "vm");
	int r = cnb__executor_run(ctx, in->executor, &job, in->cancel_fd, &res, err);
	cnb__api_log(ctx, CNB_LOG_DEBUG, "extend %s image: boot %llu ms, setup %llu ms, RUN steps and layer %llu ms", what,
		 (unsigned long long)res.boot_ms, (unsigned long long)res.setup_ms,
		 (unsigned long long)(res.n_steps_run ? res.steps[0].duration_ms : 0));
	if (r == 0 && (res.n_steps_run != 1 || res.steps[0].exit_code != 0 || res.steps[0].timed_out))
		r = cnb__error_set(err, CNB_EBUILD, "extending the %s image failed (%s): see the Dockerfile output above", what,
				   res.n_steps_run && res.steps[0].timed_out ? "timed out" : "a RUN step or the extender failed");
	cnb__executor_job_result_free(&res);
	return r;
}

/* The guest's tar: checked (a regular file, well-formed, within the size limit), then compressed. */
static int store_layer(cnb_ctx *ctx, const cnb__platform_extend_job_in *in, const char *job_dir, cnb__oci_layer *l,
		       cnb_error **err)
{
	_cleanup_free_ char *out = cnb__path_join(job_dir, "out"), *path = NULL;
	if (!out || !(path = cnb__path_join(out, LAYER_FILE)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_close_ int fd = -1;
	uint64_t size = 0;
	int r = cnb__export_guest_tar_open(out, LAYER_FILE, NULL,
					   in->max_layer_bytes ? in->max_layer_bytes : CNB_BUILD_LAYER_MAX_DEFAULT, &fd, &size, err);
	if (r == 0)
		r = cnb__oci_layer_from_fd(ctx, fd, path, l, err);
	return r;
}

int cnb__platform_build_extend(cnb_ctx *ctx, const cnb__platform_extend_job_in *job, const char *generated, const char *const *ids,
		      cnb__extend_kind kind, const cnb__extend_base *base, cnb__platform_extend_rootfs_fn rootfs_fn,
		      void *userdata, const char *arch, cnb__platform_extend_out *out, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	const char *what = kind == CNB_EXTEND_BUILD ? "build" : "run";
	uint64_t start = now_ms();
	cnb_error *bad = NULL;
	int r = cnb__extend_plan_read(&out->plan, generated, ids, kind, base, &bad);
	/* an extension's bad Dockerfile fails the build (exit 6), as a failing buildpack does */
	if (r < 0 && cnb_error_code_of(bad) == CNB_EINVAL) {
		r = cnb__error_set(err, CNB_EBUILD, "%s", cnb_error_message(bad));
		cnb_error_free(bad);
		return r;
	}
	if (r < 0)
		return cnb__error_pass(err, bad, r);
	if (out->plan.n_dockerfiles == 0 || json_array_size(out->plan.ops) == 0)
		return r; /* no Dockerfile, or no RUN/WORKDIR: the config changes alone, no layer */
	if ((out->cached = cache_lookup(ctx, out->plan.key, &out->layer))) {
		cnb__api_log(ctx, CNB_LOG_INFO, "===> EXTEND %s image: %zu Dockerfile(s), layer %.19s from the cache", what,
			 out->plan.n_dockerfiles, out->layer.diff_id);
		out->ms = now_ms() - start;
		return 0;
	}
	_cleanup_free_ char *job_dir = NULL;
	const char *rootfs = NULL;
	int lock = -1;
	r = rootfs_fn(userdata, &rootfs, err);
	if (r == 0)
		r = cnb__platform_job_dir_create(&job_dir, &lock, err);
	if (r == 0)
		r = prepare_dir(job_dir, &out->plan, err);
	if (r == 0)
		r = run_job(ctx, job, job_dir, rootfs, arch, what, out->plan.context_fd >= 0, err);
	if (r == 0)
		r = store_layer(ctx, job, job_dir, &out->layer, err);
	if (job_dir)
		cnb__platform_job_dir_remove(job_dir, lock);
	if (r == 0)
		cache_store(ctx, out->plan.key, &out->layer);
	out->ms = now_ms() - start;
	return r < 0 ? cnb__error_prefix(err, "extend %s image", what) : 0;
}

static int set_env(json_t *cc, const cnb__extend_plan *p)
{
	json_t *env = json_array();
	for (size_t i = 0; env && i < p->config.env.n; i++)
		json_array_append_new(env, json_string(p->config.env.v[i]));
	return env ? json_object_set_new(cc, "Env", env) : -1;
}

int cnb__platform_extend_build_env(cnb__oci_image *builder, const cnb__platform_extend_out *ext, cnb_error **err)
{
	if (!ext->plan.n_dockerfiles)
		return 0;
	json_t *config = cnb__oci_image_config_edit(builder);
	json_t *cc = json_object_get(config, "config");
	if (!cc)
		json_object_set_new(config, "config", cc = json_object());
	return set_env(cc, &ext->plan) < 0 ? cnb__error_set(err, CNB_ENOMEM, "out of memory") : 0;
}

int cnb__platform_extend_run_image(cnb__oci_image *run, const cnb__platform_extend_out *ext, cnb_error **err)
{
	if (!ext->plan.n_dockerfiles)
		return 0;
	int r = ext->layer.digest ? cnb__oci_image_append_layer(run, &ext->layer, err) : 0;
	if (r < 0)
		return r;
	json_t *config = cnb__oci_image_config_edit(run);
	json_t *cc = json_object_get(config, "config");
	if (!cc)
		json_object_set_new(config, "config", cc = json_object());
	const cnb__extend_plan *p = &ext->plan;
	char created[32];
	cnb__export_rfc3339(CNB_TAR_EPOCH, created);
	bool failed = set_env(cc, p) < 0 || json_object_set_new(cc, "User", json_string(p->config.user)) < 0 ||
		      json_object_set_new(cc, "Labels", json_deep_copy(p->config.labels)) < 0 ||
		      cnb__export_image_history_add(config, created, "Layer: 'RUN steps of run.Dockerfiles', Created by extensions") < 0;
	if (!failed && *p->config.workdir)
		failed = json_object_set_new(cc, "WorkingDir", json_string(p->config.workdir)) < 0;
	return failed ? cnb__error_set(err, CNB_ENOMEM, "out of memory") : 0;
}

int cnb__platform_build_extend_handed_back(const char *out_dir, char **generated, char ***ids, cnb_error **err)
{
	*generated = NULL;
	*ids = NULL;
	_cleanup_free_ char *dir = cnb__path_join(out_dir, "generated"), *group = cnb__path_join(out_dir, "group.toml");
	if (!dir || !group)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	struct stat st;
	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? 0 : cnb__error_errno(err, CNB_EIO, errno, "generated directory %s", dir);
	if (!S_ISDIR(st.st_mode))
		return cnb__error_set(err, CNB_EUNSAFE, "generated directory %s: not a directory (the build left a %s)",
				      dir, S_ISLNK(st.st_mode) ? "symlink" : "file");
	cnb__lifecycle_group_elem *exts = NULL;
	size_t n = 0;
	int r = cnb__lifecycle_group_extensions_read(group, &exts, &n, err);
	if (r < 0)
		return cnb__error_prefix(err, "the build's group.toml");
	_cleanup_strv_list_ cnb__strv_list list = CNB_STRV_LIST_INIT;
	for (size_t i = 0; i < n && r == 0; i++)
		if (cnb__strv_push(&list, exts[i].id) < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		cnb__lifecycle_group_elem_free(&exts[i]);
	free(exts);
	if (r == 0 && (!(*ids = cnb__strv_steal(&list)) || !(*generated = strdup(dir)))) {
		cnb__strv_free(*ids);
		*ids = NULL;
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return r;
}
