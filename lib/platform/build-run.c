/*
 * One build, as data flowing through the system (lib/README.md, "Where work runs"): pull the builder, assemble its rootfs,
 * prepare the job dir, run detect/build/export in the executor, assemble the image on the host,
 * publish. Each step names itself in errors and records its time.
 */
#include "build-internal.h"
#include "analyzed-file.h"
#include "app-archive.h"
#include "build-outputs.h"
#include "image-mirrors.h"
#include "build-cache.h"
#include "build-cache-image.h"
#include "build-buildpacks.h"
#include "build-order.h"
#include "build-volumes.h"
#include "build-extend.h"
#include "job-files.h"
#include "lib/lifecycle/phases/phase.h"
#include "lib/lifecycle/spec/project-descriptor.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/clock.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"
#include "lib/common/tar-writer.h"
#include "lib/export/image-config.h"
#include "lib/export/rebase.h"
#include "lib/rootfs/rootfs-cache.h"
#include "lib/rootfs/rootfs-image.h"
#include "lib/executor/executor.h"
#include "lib/executor/guest-local.h"
#include "lib/os/os.h"
#include "oci/image.h"
#include "oci/index-push.h"
#include "oci/location.h"
#include "oci/platform.h"
#include "oci/reference.h"
#include "oci/store-gc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PLATFORM_API "0.15"
#define LIFECYCLE "/cnb/libcnb/cnb-lifecycle"
#define LAUNCHER "/cnb/libcnb/cnb-launcher"
#define GUEST_OUT "/cnb/out"
#define GUEST_CACHE_IN "/cnb/cache-in"
/* With image extensions, the files detect and generate leave for the host and for a second job live
 * in out/ rather than in the VM's own /layers (docs/image-extensions.md "The jobs"). */
#define OUT_GENERATED "generated"
#define OUT_GROUP "group.toml"
#define OUT_PLAN "plan.toml"
#define OUT_ANALYZED "analyzed.toml"
#define STEP_TIMEOUT_S (60 * 60)
/* The build VM's memory unless --memory says otherwise. /workspace, /layers and the steps' other
 * files live in a tmpfs of 75% of it (lib/executor/guest-local.h); QEMU only allocates what the guest
 * touches, so a roomy default costs nothing for small builds. */
#define BUILD_VM_MEMORY_MB 2048
/* The VM's /workspace and /layers: guest-local directories seeded from these tars in the job dir. */
#define WORKSPACE_SEED "workspace.tar"
#define LAYERS_SEED "layers.tar"

/* Exit codes of the lifecycle phases (Platform spec, Exit Codes). */
#define EXIT_DETECT_FAILED 20
#define EXIT_DETECT_ERRORED 21
#define EXIT_EXTENSION_GENERATE 91

/* Records how long a phase took (ms since `start_ms`, a cnb__monotonic_ms() reading). */
static void phase_done(cnb_build *b, const char *name, uint64_t start_ms)
{
	if (b->n_phases < CNB_BUILD_MAX_PHASES)
		b->phases[b->n_phases++] = (cnb__platform_phase_time){ name, cnb__monotonic_ms() - start_ms };
}

typedef struct run_state {
	cnb_build *b;
	const char *platform; /* the one asked for (NULL: the builder's own, the host's in an index) */
	char target[CNB_OCI_PLATFORM_NAME_MAX]; /* the builder's platform: what everything else is chosen for */
	bool foreign;         /* target is not the host's platform */
	const struct run_state *first; /* the first platform's state, when this one is a later one */
	size_t index;         /* in b->platforms and b->results */
	cnb__oci_image *builder;
	cnb__oci_image *run;
	cnb__oci_image *previous;
	char *rootfs;
	int rootfs_lock;
	char *job_dir;
	int job_lock;   /* held while job_dir lives: the stale-job cleaner leaves it alone */
	int store_hold; /* shared hold on the blob store: prune does not collect under a build */
	uint32_t uid, gid;
	char *run_name;  /* the run image as the builder names it (the image's metadata keeps this name) */
	char *run_pull;  /* where it is read from: a mirror on the target registry, or a configured mirror */
	char **run_mirrors;
	char *destination;
	char *cache_dir;
	cnb__platform_cache_stats cache;
	char *app;         /* the app directory: --path, or where its .zip/.jar was unpacked (in job_dir) */
	cnb__lifecycle_project_descriptor *project;
	cnb__builder_bp_set extra; /* buildpacks from outside the builder: extra rootfs layers */
	char *order_toml;  /* the build's own order, or NULL */
	char *generated;   /* the generate phase's Dockerfiles (Platform 0.13 layout), or NULL */
	char **ext_ids;    /* the group's extensions, in order */
	cnb__platform_extend_out ext_build, ext_run;
	char *run_rootfs;  /* the run image's tree, only when a run.Dockerfile is applied */
	int run_rootfs_lock;
	char *run_digest;  /* the run image's manifest digest before run.Dockerfiles extended it */
} run_state;

static void state_clear(run_state *s)
{
	cnb__oci_image_free(s->builder);
	cnb__oci_image_free(s->run);
	cnb__oci_image_free(s->previous);
	free(s->rootfs);
	if (s->rootfs_lock >= 0)
		close(s->rootfs_lock);
	cnb__platform_job_dir_remove(s->job_dir, s->job_lock);
	free(s->job_dir);
	if (s->store_hold >= 0)
		close(s->store_hold);
	free(s->run_name);
	free(s->run_pull);
	for (char **m = s->run_mirrors; m && *m; m++)
		free(*m);
	free(s->run_mirrors);
	free(s->destination);
	free(s->cache_dir);
	free(s->app);
	cnb__lifecycle_project_descriptor_free(s->project);
	cnb__builder_bp_set_clear(&s->extra);
	free(s->order_toml);
	free(s->generated);
	cnb__strv_free(s->ext_ids);
	cnb__platform_extend_out_clear(&s->ext_build);
	cnb__platform_extend_out_clear(&s->ext_run);
	free(s->run_rootfs);
	if (s->run_rootfs_lock >= 0)
		close(s->run_rootfs_lock);
	free(s->run_digest);
}

static int check_cancel(run_state *s, cnb_error **err)
{
	return cnb__api_ctx_canceled(s->b->ctx) ? cnb__error_set(err, CNB_ECANCELED, "build %s: canceled", s->b->opts.image) : 0;
}

static int builder_ids(run_state *s, cnb_error **err)
{
	const json_t *env = cnb__export_image_config_env(s->builder->config);
	const char *uid = cnb__export_image_env_get(env, "CNB_USER_ID"), *gid = cnb__export_image_env_get(env, "CNB_GROUP_ID");
	char *end1 = NULL, *end2 = NULL;
	unsigned long u = uid ? strtoul(uid, &end1, 10) : 0, g = gid ? strtoul(gid, &end2, 10) : 0;
	if (!uid || !gid || !*uid || !*gid || *end1 || *end2 || u > UINT32_MAX || g > UINT32_MAX)
		return cnb__error_set(err, CNB_EINVAL,
				      "builder %s: config Env has no numeric CNB_USER_ID/CNB_GROUP_ID: is this a CNB builder image?",
				      s->b->opts.builder);
	if (u == 0 && s->b->opts.uid == CNB_BUILD_ID_DEFAULT)
		return cnb__error_set(err, CNB_EINVAL, "builder %s: CNB_USER_ID is 0; buildpacks must not run as root",
				      s->b->opts.builder);
	s->uid = s->b->opts.uid != CNB_BUILD_ID_DEFAULT ? (uint32_t)s->b->opts.uid : (uint32_t)u;
	s->gid = s->b->opts.gid != CNB_BUILD_ID_DEFAULT ? (uint32_t)s->b->opts.gid : (uint32_t)g;
	if (s->uid == 0)
		return cnb__error_set(err, CNB_EINVAL, "build %s: --uid 0: buildpacks must not run as root", s->b->opts.image);
	return 0;
}

/* The builder metadata label's run image entry ({image, mirrors}) that names `image` as image or mirror. */
static const json_t *run_images_entry(const json_t *meta, const char *image)
{
	const json_t *images = json_object_get(meta, "images");
	for (size_t i = 0; i < json_array_size(images); i++) {
		const json_t *entry = json_array_get(images, i), *mirrors = json_object_get(entry, "mirrors");
		if (!strcmp(image, json_string_value(json_object_get(entry, "image")) ?: ""))
			return entry;
		for (size_t m = 0; m < json_array_size(mirrors); m++)
			if (!strcmp(image, json_string_value(json_array_get(mirrors, m)) ?: ""))
				return entry;
	}
	return NULL;
}

/* The run image: --run-image, else the builder metadata label's images[0] (run.toml's first entry), read
 * from its mirror on the registry the app image goes to when it has one (pack's getBestRunMirror,
 * pkg/client/common.go), and through a configured registry mirror. `switched` (or NULL): the image an
 * image extension chose instead, read as named; the metadata label names the builder's entry that lists
 * it (image and mirrors), else the image alone (lifecycle platform/run_image.go GetRunImageForExport). */
static int choose_run_image(run_state *s, const char *switched, cnb_error **err)
{
	const json_t *labels = json_object_get(json_object_get(s->builder->config, "config"), "Labels");
	const char *meta_text = json_string_value(json_object_get(labels, "io.buildpacks.builder.metadata"));
	json_t *meta = meta_text ? json_loads(meta_text, 0, NULL) : NULL;
	const json_t *entry = NULL; /* the builder's {image, mirrors} the app image's metadata names */
	const char *exact = switched ? switched : s->b->opts.run_image; /* read as named, or NULL */
	if (switched)
		entry = run_images_entry(meta, switched);
	else if (!exact && !(entry = json_array_get(json_object_get(meta, "images"), 0)))
		entry = json_object_get(json_object_get(meta, "stack"), "runImage");
	const char *name = entry ? json_string_value(json_object_get(entry, "image")) : exact;
	const json_t *mirrors = json_object_get(entry, "mirrors");
	json_t *wrapped = json_pack("{s:O?}", "runImage", entry);
	_cleanup_free_ char *near = NULL;
	cnb_error *ignored = NULL;
	if (name && !exact && wrapped && cnb__export_rebase_default_run_image(wrapped, s->destination, &near, &ignored) < 0)
		cnb_error_free(ignored);
	json_decref(wrapped);
	const char *pull = exact ? exact : near ? near : name;
	int r = 0;
	if (name && !(s->run_pull = cnb__platform_build_mirror_name(pull, s->b->opts.registry_mirrors)))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r == 0 && !name)
		r = cnb__error_set(err, CNB_EINVAL,
				   "builder %s names no run image (io.buildpacks.builder.metadata images/stack): pass --run-image",
				   s->b->opts.builder);
	else if (r == 0 && (!(s->run_name = strdup(name)) ||
			    !(s->run_mirrors = calloc(json_array_size(mirrors) + 1, sizeof(char *)))))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < json_array_size(mirrors); i++)
		if (json_string_value(json_array_get(mirrors, i)) &&
		    !(s->run_mirrors[i] = strdup(json_string_value(json_array_get(mirrors, i)))))
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	json_decref(meta);
	return r;
}

static int pull_builder(run_state *s, cnb_error **err)
{
	cnb__api_log(s->b->ctx, CNB_LOG_INFO, "===> PULL builder %s", s->b->opts.builder);
	_cleanup_free_ char *from = cnb__platform_build_mirror_name(s->b->opts.builder, s->b->opts.registry_mirrors);
	if (!from)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = cnb__oci_image_pull_policy(s->b->ctx, from, s->platform, true, s->b->opts.pull_policy, &s->builder, err);
	if (r == 0)
		r = cnb__oci_image_check_platform(s->builder, s->platform, err);
	if (r < 0)
		return cnb__error_prefix(err, "builder");
	const json_t *c = s->builder->config;
	cnb__oci_platform host, target;
	if (cnb__oci_platform_parse(&host, NULL, NULL) < 0 ||
	    cnb__oci_platform_parse(&target, NULL, NULL) < 0)
		return cnb__error_set(err, CNB_EINTERNAL, "the host's platform");
	snprintf(target.os, sizeof(target.os), "%s", json_string_value(json_object_get(c, "os")) ?: "linux");
	snprintf(target.arch, sizeof(target.arch), "%s", cnb__oci_image_arch(s->builder) ?: host.arch);
	snprintf(target.variant, sizeof(target.variant), "%s", json_string_value(json_object_get(c, "variant")) ?: "");
	cnb__oci_platform_format(&target, s->target, sizeof(s->target));
	s->foreign = !cnb__oci_platform_matches(&host, target.os, target.arch, target.variant);
	return builder_ids(s, err);
}

/* The builder's layers, then one per buildpack from elsewhere: a tree cached by chain id like any image's. */
static int assemble_rootfs(run_state *s, cnb_error **err)
{
	_cleanup_free_ cnb__rootfs_layer *layers = NULL;
	size_t n = s->builder->n_layers;
	int r = cnb__rootfs_layers_of(s->builder, &layers, err);
	cnb__rootfs_layer *all = r == 0 ? realloc(layers, (n + s->extra.n + 2) * sizeof(*layers)) : NULL;
	if (r == 0 && !all)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (all)
		layers = all;
	for (size_t i = 0; r == 0 && i < s->extra.n; i++) {
		const cnb__oci_layer *l = &s->extra.mods[i].layer;
		layers[n++] = (cnb__rootfs_layer){ l->path, l->media_type, l->digest, l->diff_id };
	}
	const cnb__oci_layer *ext = &s->ext_build.layer; /* build.Dockerfiles' RUN steps, once extended */
	if (r == 0 && ext->digest)
		layers[n++] = (cnb__rootfs_layer){ ext->path, ext->media_type, ext->digest, ext->diff_id };
	if (r == 0)
		r = cnb__rootfs_assemble(s->b->ctx, layers, n, cnb__platform_executor_uses_mapped_xattr(s->b->opts.executor),
					 &s->rootfs, &s->rootfs_lock, err);
	return r < 0 ? cnb__error_prefix(err, "builder %s: rootfs", s->b->opts.builder) : 0;
}

/* The run image's config (its layers stay in the registry: the push mounts them). */
static int pull_run_image(run_state *s, cnb_error **err)
{
	cnb__api_log(s->b->ctx, CNB_LOG_DEBUG, "run image %s (from %s)", s->run_name, s->run_pull);
	/* An image that is not pushed needs the run image's layers too: never may not fetch them later. */
	bool local_out = !strncmp(s->destination, "oci:", 4) || !strncmp(s->destination, "docker-archive:", 15);
	bool need_layers = s->b->opts.pull_policy == CNB_PULL_NEVER && local_out;
	int r = cnb__oci_image_pull_policy(s->b->ctx, s->run_pull, s->target, need_layers, s->b->opts.pull_policy,
					   &s->run, err);
	if (r == 0)
		r = cnb__oci_image_check_platform(s->run, s->target, err);
	return r < 0 ? cnb__error_prefix(err, "run image") : 0;
}

static int analyze(run_state *s, cnb_error **err)
{
	int r = choose_run_image(s, NULL, err);
	if (r == 0)
		r = pull_run_image(s, err);
	if (r < 0)
		return r;
	const char *prev = s->b->opts.previous_image ? s->b->opts.previous_image : s->destination;
	cnb_error *perr = NULL;
	/* Read with --clear-cache too: store.toml still comes back from it (platform.md "creator" <skip-restore>). */
	if (cnb__oci_image_pull_config(s->b->ctx, prev, s->target, &s->previous, &perr) < 0 ||
	    cnb__oci_image_check_platform(s->previous, s->target, &perr) < 0) {
		/* another platform's image (a single-platform build before): its layers are not this one's */
		if (cnb_error_code_of(perr) != CNB_ENOTFOUND)
			cnb__api_log(s->b->ctx, CNB_LOG_WARN, "previous image %s: %s (building without it)", prev,
				 cnb_error_message(perr));
		cnb_error_free(perr);
		cnb__oci_image_free(s->previous);
		s->previous = NULL;
	}
	return 0;
}

/* The job directory, and the app in it unpacked when --path is a .zip/.jar: project.toml (and the
 * buildpacks its uris name) are read from what the build will copy. */
static int open_app(run_state *s, cnb_error **err)
{
	int r = cnb__platform_job_dir_create(&s->job_dir, &s->job_lock, err);
	if (r < 0)
		return r;
	const char *app = s->b->opts.app_dir ? s->b->opts.app_dir : ".";
	if (s->first) /* a .zip/.jar is unpacked once, for the first platform */
		return (s->app = strdup(s->first->app)) ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (!cnb__platform_app_archive_is(app))
		return (s->app = strdup(app)) ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (!(s->app = cnb__path_join(s->job_dir, "app-archive")))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (cnb__mkdir_p(s->app, 0700, err) < 0 || cnb__platform_app_archive_extract(app, s->app, err) < 0)
		return cnb__error_prefix(err, "build %s", s->b->opts.image);
	return 0;
}

static int load_project(run_state *s, cnb_error **err)
{
	_cleanup_free_ char *in_app = cnb__path_join(s->app, "project.toml");
	const char *path = s->b->opts.descriptor;
	if (!path && in_app && access(in_app, F_OK) == 0)
		path = in_app;
	if (!path)
		return 0;
	int r = cnb__lifecycle_project_descriptor_load(&s->project, path, err);
	return r < 0 ? cnb__error_prefix(err, "build %s: project descriptor", s->b->opts.image) : 0;
}

/*
 * A project.toml uri as a --buildpack value. project.toml comes with the app, so a path must stay
 * inside the app directory and not go through a symlink (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): an
 * app cannot pull host files into the build. A name that is no path in the app (and neither starts
 * with "." nor ends in "/") is an image reference.
 */
static char *project_uri_ref(const char *app, const char *uri, cnb_error **err)
{
	if (strstr(uri, "://") || !strncmp(uri, "urn:", 4))
		return strdup(uri);
	_cleanup_close_ int appfd = open(app, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = appfd < 0 ? -1 : cnb__os_open_beneath(appfd, uri);
	int e = fd >= 0 ? 0 : errno;
	if (e == ENOSYS) { /* before Linux 5.6: no "..", nothing absolute; links are not checked */
		_cleanup_free_ char *joined = cnb__path_join(app, uri);
		bool dotdot = uri[0] == '/' || !strcmp(uri, "..") || !strncmp(uri, "../", 3) || strstr(uri, "/../") ||
			      (strlen(uri) >= 3 && !strcmp(uri + strlen(uri) - 3, "/.."));
		e = dotdot ? EXDEV : joined && access(joined, F_OK) == 0 ? 0 : ENOENT;
	}
	if (e == 0)
		return cnb__path_join(app, uri);
	bool pathlike = uri[0] == '.' || uri[0] == '/' || uri[strlen(uri) - 1] == '/';
	if (e == ENOENT && !pathlike)
		return strdup(uri);
	if (e == ENOENT)
		cnb__error_errno(err, CNB_EINVAL, e, "project.toml: buildpack uri \"%s\": not in the app directory %s", uri,
				 app);
	else
		cnb__error_errno(err, CNB_EUNSAFE, e, "project.toml: buildpack uri \"%s\" must name a path inside the app "
						      "directory, not through a symlink", uri);
	return NULL;
}

/* A project.toml entry as a --buildpack value: its uri (a path relative to the app), its inline
 * script as a directory, or ID[@VERSION]. */
static char *project_ref(run_state *s, const cnb__lifecycle_project_buildpack *bp, size_t n, cnb_error **err)
{
	char *ref = NULL;
	if (bp->script_inline) {
		if (cnb__platform_bp_script_dir(&s->extra, bp, n, &ref, err) < 0)
			return NULL;
	} else if (*bp->uri) {
		return project_uri_ref(s->app, bp->uri, err);
	} else if (asprintf(&ref, "%s%s%s", bp->id, *bp->version ? "@" : "", bp->version) < 0) {
		ref = NULL;
	}
	if (!ref && !*err)
		cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return ref;
}

static char **project_refs(run_state *s, const cnb__lifecycle_project_buildpack *bps, size_t n, size_t *counter, cnb_error **err)
{
	char **refs = calloc(n + 1, sizeof(char *));
	if (!refs) {
		cnb__error_set(err, CNB_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!(refs[i] = project_ref(s, &bps[i], (*counter)++, err))) {
			cnb__strv_free(refs);
			return NULL;
		}
	return refs;
}

/* The build's order: --buildpack (else project.toml's group), with pre/post buildpacks of either. */
static int resolve_buildpacks(run_state *s, cnb_error **err)
{
	int r = open_app(s, err);
	if (r == 0)
		r = load_project(s, err);
	if (r == 0)
		r = cnb__builder_bp_set_init(&s->extra, err);
	if (r < 0)
		return r;
	const cnb_build_opts *o = &s->b->opts;
	const cnb__lifecycle_project_descriptor *p = s->project;
	size_t counter = 0;
	char **main = NULL, **pre = NULL, **post = NULL;
	if (!(o->buildpacks && o->buildpacks[0]) && p && p->n_group &&
	    !(main = project_refs(s, p->group, p->n_group, &counter, err)))
		r = CNB_EINVAL;
	if (r == 0 && !(o->pre_buildpacks && o->pre_buildpacks[0]) && p && p->pre.n &&
	    !(pre = project_refs(s, p->pre.bps, p->pre.n, &counter, err)))
		r = CNB_EINVAL;
	if (r == 0 && !(o->post_buildpacks && o->post_buildpacks[0]) && p && p->post.n &&
	    !(post = project_refs(s, p->post.bps, p->post.n, &counter, err)))
		r = CNB_EINVAL;
	cnb__platform_build_order_in in = { main ? (const char *const *)main : o->buildpacks,
				   pre ? (const char *const *)pre : o->pre_buildpacks,
				   post ? (const char *const *)post : o->post_buildpacks, s->builder->config,
				   o->builder, s->target };
	if (r == 0)
		r = cnb__platform_build_order_resolve(s->b->ctx, &in, &s->extra, &s->order_toml, err);
	cnb__strv_free(main);
	cnb__strv_free(pre);
	cnb__strv_free(post);
	if (r == 0 && s->extra.n)
		cnb__api_log(s->b->ctx, CNB_LOG_INFO, "===> BUILDPACKS %zu from outside the builder", s->extra.n);
	return r < 0 ? cnb__error_prefix(err, "build %s", o->image) : 0;
}

static int write_order(run_state *s, const cnb__platform_owner *owner, cnb_error **err)
{
	if (!s->order_toml)
		return 0;
	_cleanup_free_ char *path = cnb__path_join(s->job_dir, "layers/order.toml");
	int r = path ? cnb__write_file_atomic(path, s->order_toml, strlen(s->order_toml), 0644, err)
		     : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return r == 0 ? cnb__platform_job_chown_file(path, owner, err) : r;
}

/* Volume targets below /platform must exist in the job's (read-only) platform dir to be mounted on. */
static int make_platform_targets(run_state *s, const cnb__platform_owner *owner, cnb_error **err)
{
	for (size_t i = 0; i < s->b->n_volumes; i++) {
		const char *t = s->b->volumes_parsed[i].target;
		if (strncmp(t, "/platform/", 10))
			continue;
		_cleanup_free_ char *dir = cnb__path_join(s->job_dir, t + 1);
		int r = dir ? cnb__platform_job_mkdir_owned(dir, owner, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (r < 0)
			return r;
	}
	return 0;
}

/* The VM's /layers starts as what the host put into <job>/layers (analyzed.toml, order.toml). */
static int pack_layers(run_state *s, const cnb__platform_owner *owner, cnb_error **err)
{
	_cleanup_free_ char *layers = cnb__path_join(s->job_dir, "layers");
	_cleanup_free_ char *tar = cnb__path_join(s->job_dir, LAYERS_SEED);
	if (!layers || !tar)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return cnb__platform_job_pack_tree(s->b->ctx, layers, tar, owner, false, NULL, time(NULL), err);
}

/* The platform as a file name: "linux-arm64-v8". */
static void platform_key(const run_state *s, char key[CNB_OCI_PLATFORM_NAME_MAX])
{
	snprintf(key, CNB_OCI_PLATFORM_NAME_MAX, "%s", s->target);
	for (char *c = key; *c; c++)
		*c = *c == '/' ? '-' : *c;
}

/*
 * The build cache directory of this platform: --cache-dir as given for a one-platform build, its
 * <os>-<arch>[-<variant>] subdirectory for each of several; by default one per image, with the
 * platform appended unless it is the host's (docs/cli.md, --cache-dir). -1 on OOM.
 */
static int cache_dir_of(run_state *s)
{
	char key[CNB_OCI_PLATFORM_NAME_MAX];
	platform_key(s, key);
	bool keyed = s->b->opts.cache_dir ? s->b->n_platforms > 1 : s->foreign;
	s->cache_dir = cnb__platform_build_cache_dir(s->b->ctx, s->b->opts.cache_dir, s->b->opts.image, keyed ? key : NULL);
	return s->cache_dir ? 0 : -1;
}

/*
 * The app as the VM's workspace seed. A later platform copies the first one's tar when the build
 * user is the same (the guest reads its seed from the job dir, which no buildpack can reach): the
 * app tree is walked and filtered once per build.
 */
static int pack_app(run_state *s, const cnb__platform_owner *owner, const char *seed_path, const cnb__platform_app_filter *filter,
		    cnb_error **err)
{
	if (s->first && s->first->uid == s->uid && s->first->gid == s->gid) {
		_cleanup_free_ char *first_seed = cnb__path_join(s->first->job_dir, WORKSPACE_SEED);
		if (!first_seed)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		return cnb__copy_file(first_seed, seed_path, err);
	}
	return cnb__platform_job_pack_tree(s->b->ctx, s->app, seed_path, owner, true, filter, time(NULL), err);
}

/* Whether the builder has image extensions (pack's io.buildpacks.buildpack.order-extensions label). */
static bool builder_has_extensions(const run_state *s)
{
	const json_t *labels = json_object_get(json_object_get(s->builder->config, "config"), "Labels");
	const char *text = json_string_value(json_object_get(labels, "io.buildpacks.buildpack.order-extensions"));
	json_t *order = text ? json_loads(text, 0, NULL) : NULL;
	bool some = json_array_size(order) > 0;
	json_decref(order);
	return some;
}

static int prepare_job(run_state *s, cnb_error **err)
{
	cnb__platform_owner owner;
	if (cnb__platform_job_owner(&owner, s->b->opts.executor, s->uid, s->gid, err) < 0)
		return cnb__error_prefix(err, "build %s", s->b->opts.image);
	static const char *const owned[] = { "platform", "layers", "out", "cache", "workspace" };
	/* the last one only for the host executor: the VM's workspace is packed straight from the app */
	for (size_t i = 0; i < CNB_ARRAY_SIZE(owned) - (owner.mapped ? 1 : 0); i++) {
		_cleanup_free_ char *dir = cnb__path_join(s->job_dir, owned[i]);
		int r = dir ? cnb__platform_job_mkdir_owned(dir, &owner, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (r < 0)
			return r;
	}
	_cleanup_free_ char *workspace = cnb__path_join(s->job_dir, "workspace");
	_cleanup_free_ char *platform = cnb__path_join(s->job_dir, "platform");
	_cleanup_free_ char *analyzed = cnb__path_join(s->job_dir, builder_has_extensions(s) ? "out/" OUT_ANALYZED
											      : "layers/analyzed.toml");
	_cleanup_free_ char *job_cache = cnb__path_join(s->job_dir, "cache");
	_cleanup_free_ char *seed_path = cnb__path_join(s->job_dir, WORKSPACE_SEED);
	if (!workspace || !platform || !analyzed || !job_cache || !seed_path || cache_dir_of(s) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	const cnb__lifecycle_project_descriptor *project = s->project;
	cnb__platform_app_filter filter = { project ? project->include : NULL, project ? project->exclude : NULL };
	int r = owner.mapped ? pack_app(s, &owner, seed_path, &filter, err)
			     : cnb__platform_job_copy_app(s->b->ctx, s->app, workspace, &owner, &filter, err);
	/* project.toml's build env first, so that --env given on the command line wins */
	if (r == 0 && project && (r = cnb__lifecycle_project_descriptor_write_env(project, platform, err)) < 0)
		cnb__error_prefix(err, "project descriptor");
	if (r == 0)
		r = cnb__platform_job_write_platform_env(platform, s->b->opts.env, &owner, err);
	if (r == 0)
		r = write_order(s, &owner, err);
	if (r == 0)
		r = make_platform_targets(s, &owner, err);
	if (r == 0)
		r = cnb__platform_write_analyzed(analyzed, s->previous, s->run, s->run_name, &owner, err);
	if (r == 0 && !s->b->opts.clear_cache && s->b->opts.cache_image)
		r = cnb__platform_build_cache_image_stage_in(s->b->ctx, s->b->opts.cache_image, s->target, job_cache, &s->cache, err);
	else if (r == 0 && !s->b->opts.clear_cache)
		r = cnb__platform_build_cache_stage_in(s->b->ctx, s->cache_dir, job_cache, &s->cache, err);
	/* Layer SBOMs come back as the layers do: not with --clear-cache. Without them a build still works.
	 * They go to the cache dir (a read-only share in the VM, where the restorer reads them). */
	cnb_error *sbom_err = NULL;
	if (r == 0 && !s->b->opts.clear_cache && cnb__platform_stage_previous_sbom(s->b->ctx, s->previous, job_cache, &sbom_err) < 0)
		cnb__api_log(s->b->ctx, CNB_LOG_WARN, "%s (layer SBOMs of the previous build are not restored)",
			 cnb_error_message(sbom_err));
	cnb_error_free(sbom_err);
	if (r == 0 && owner.mapped)
		r = pack_layers(s, &owner, err);
	return r;
}

static const char *workspace(const cnb_build *b)
{
	return b->opts.workspace ? b->opts.workspace : "/workspace";
}

/* The builder's Env plus what the phases need (the lifecycle filters it for buildpacks itself), then
 * the caller's lifecycle_env (proxies), which wins. NULL on OOM. */
static char **step_env(run_state *s)
{
	const json_t *env = cnb__export_image_config_env(s->builder->config);
	size_t n = json_array_size(env), extra = 0;
	for (const char *const *e = s->b->opts.lifecycle_env; e && *e; e++)
		extra++;
	char **out = calloc(n + extra + 11, sizeof(char *));
	size_t k = 0;
	bool oom = !out;
	for (size_t i = 0; out && i < n; i++)
		if (json_string_value(json_array_get(env, i)))
			oom |= !(out[k++] = strdup(json_string_value(json_array_get(env, i))));
	if (out) {
		oom |= !(out[k++] = strdup("CNB_PLATFORM_API=" PLATFORM_API));
		if (!cnb__export_image_env_get(env, "HOME"))
			oom |= !(out[k++] = strdup("HOME=/home/cnb"));
		if (asprintf(&out[k++], "CNB_APP_DIR=%s", workspace(s->b)) < 0)
			out[--k] = NULL, oom = true;
		if (s->b->opts.exec_env && asprintf(&out[k++], "CNB_EXEC_ENV=%s", s->b->opts.exec_env) < 0)
			out[--k] = NULL, oom = true;
		static const char *const extension_env[] = {
			"CNB_GROUP_PATH=" GUEST_OUT "/" OUT_GROUP, "CNB_PLAN_PATH=" GUEST_OUT "/" OUT_PLAN,
			"CNB_ANALYZED_PATH=" GUEST_OUT "/" OUT_ANALYZED, "CNB_GENERATED_DIR=" GUEST_OUT "/" OUT_GENERATED,
			"CNB_GENERATE_STOP_FOR_EXTEND=true",
		};
		for (size_t i = 0; builder_has_extensions(s) && i < CNB_ARRAY_SIZE(extension_env); i++)
			oom |= !(out[k++] = strdup(extension_env[i]));
		for (const char *const *e = s->b->opts.lifecycle_env; e && *e; e++)
			oom |= !(out[k++] = strdup(*e));
	}
	if (oom) {
		cnb__strv_free(out);
		return NULL;
	}
	return out;
}

static unsigned vm_memory_mb(const run_state *s)
{
	return s->b->opts.memory_mb ? s->b->opts.memory_mb : BUILD_VM_MEMORY_MB;
}

static int step_failure(run_state *s, const cnb__executor_job_step *step, const cnb__executor_step_result *res, cnb_error **err)
{
	const char *image = s->b->opts.image;
	if (res->timed_out)
		return cnb__error_set(err, CNB_ETIMEOUT, "build %s: %s timed out after %d s", image, step->name, step->timeout_s);
	if (res->out_of_space && cnb__platform_executor_uses_mapped_xattr(s->b->opts.executor))
		return cnb__error_set(err, CNB_EIO,
				      "build %s: %s ran out of space in the build VM (/workspace, /layers and temporary files "
				      "share %s of its %u MB of memory): raise --memory", image, step->name,
				      CNB_JOB_SCRATCH_SIZE, vm_memory_mb(s));
	if (res->out_of_space)
		return cnb__error_set(err, CNB_EIO, "build %s: %s ran out of space for its temporary files (a tmpfs of %s "
						    "of the host's memory)", image, step->name, CNB_JOB_SCRATCH_SIZE);
	if (!strcmp(step->name, "detect") && (res->exit_code == EXIT_DETECT_FAILED || res->exit_code == EXIT_DETECT_ERRORED))
		return cnb__error_set(err, CNB_EDETECT,
				      "build %s: no buildpack group passed detection (exit %d): see the detect output above",
				      image, res->exit_code);
	if (!strcmp(step->name, "generate"))
		return cnb__error_set(err, CNB_EBUILD, "build %s: %s (exit %d): see the extension's output above", image,
				      res->exit_code == EXIT_EXTENSION_GENERATE ? "an image extension's bin/generate failed"
										: "generating the image extensions' Dockerfiles failed",
				      res->exit_code);
	if (!strcmp(step->name, "export"))
		return cnb__error_set(err, CNB_EEXPORT, "build %s: export failed (exit %d)", image, res->exit_code);
	if (!strcmp(step->name, "restore"))
		return cnb__error_set(err, CNB_EIO, "build %s: restoring the previous build's layers failed (exit %d): "
						    "see above, or rebuild with --clear-cache", image, res->exit_code);
	return cnb__error_set(err, !strcmp(step->name, "build") ? CNB_EBUILD : CNB_EDETECT,
			      "build %s: %s failed (exit %d): see the buildpack output above", image, step->name,
			      res->exit_code);
}

/*
 * One job of the lifecycle's steps. *extend_pending: generate stopped it (a build.Dockerfile, exit
 * CNB_LC_EXIT_EXTEND_BUILD_PENDING) so that the build image is extended before the rest runs.
 */
static int run_steps(run_state *s, cnb__executor_job_step *steps, size_t n_steps, bool *extend_pending, cnb_error **err)
{
	*extend_pending = false;
	/* The host executor binds the job dir's trees; the VM keeps /workspace and /layers in its own
	 * memory, seeded from tars, so that only whole streams cross 9p (out and cache-in are tars). */
	bool vm = cnb__platform_executor_uses_mapped_xattr(s->b->opts.executor);
	const cnb__executor_job_mount base[] = {
		{ .source = vm ? NULL : "workspace", .target = workspace(s->b), .seed = vm ? WORKSPACE_SEED : NULL },
		{ .source = "platform", .target = "/platform", .read_only = true },
		{ .source = vm ? NULL : "layers", .target = "/layers", .seed = vm ? LAYERS_SEED : NULL },
		{ .source = "out", .target = GUEST_OUT },
		{ .source = "cache", .target = GUEST_CACHE_IN, .read_only = true },
	};
	size_t n_mounts = CNB_ARRAY_SIZE(base) + s->b->n_volumes;
	_cleanup_free_ cnb__executor_job_mount *mounts = calloc(n_mounts, sizeof(*mounts));
	if (!mounts)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	memcpy(mounts, base, sizeof(base));
	for (size_t i = 0; i < s->b->n_volumes; i++) {
		const cnb__platform_volume *v = &s->b->volumes_parsed[i];
		mounts[CNB_ARRAY_SIZE(base) + i] =
			(cnb__executor_job_mount){ .target = v->target, .read_only = v->read_only, .host_dir = v->host };
	}
	cnb__executor_job job = { .rootfs = s->rootfs, .job_dir = s->job_dir, .mounts = mounts, .n_mounts = n_mounts,
			 .steps = steps, .n_steps = n_steps, .network = s->b->opts.network != 0,
			 .hostname = "cnb-build", .cpus = s->b->opts.cpus, .memory_mb = vm_memory_mb(s),
			 .arch = cnb__oci_image_arch(s->builder) /* the phases run the builder's binaries */ };
	cnb__executor_job_result res = { 0 };
	int r = cnb__executor_run(s->b->ctx, s->b->opts.executor, &job, s->b->cancel_pipe[0], &res, err);
	s->b->vm_boot_ms += res.boot_ms;
	s->b->results[s->index].vm_boot_ms += res.boot_ms;
	snprintf(s->b->accel, sizeof(s->b->accel), "%s", res.accel);
	s->b->accel_fell_back = res.accel_fell_back;
	if (res.n_steps_run > 0 && s->b->n_phases < CNB_BUILD_MAX_PHASES)
		s->b->phases[s->b->n_phases++] = (cnb__platform_phase_time){ "setup", res.setup_ms };
	for (size_t i = 0; i < res.n_steps_run; i++)
		if (s->b->n_phases < CNB_BUILD_MAX_PHASES)
			s->b->phases[s->b->n_phases++] = (cnb__platform_phase_time){ steps[i].name, res.steps[i].duration_ms };
	const cnb__executor_step_result *last = res.n_steps_run > 0 ? &res.steps[res.n_steps_run - 1] : NULL;
	const cnb__executor_job_step *last_step = last ? &steps[res.n_steps_run - 1] : NULL;
	if (r == 0 && last && last->exit_code == CNB_LC_EXIT_EXTEND_BUILD_PENDING && !last->timed_out &&
	    !strcmp(last_step->name, "generate"))
		*extend_pending = true;
	else if (r == 0 && last && last->exit_code != 0)
		r = step_failure(s, last_step, last, err);
	else if (r == 0 && res.n_steps_run < n_steps)
		r = cnb__error_set(err, CNB_EVM, "build %s: the executor ran %zu of %zu steps", s->b->opts.image,
				   res.n_steps_run, n_steps);
	cnb__executor_job_result_free(&res);
	return r;
}

static int extend_build(run_state *s, cnb_error **err);
static int find_generated(run_state *s, cnb_error **err);

/*
 * detect, generate (with image extensions), restore, build, export: one job, or two when generate
 * stops the first for a build.Dockerfile: then the build image is extended on the host (and in an
 * extend VM), and a second job runs restore, build and export on it, reading group, plan and
 * analyzed from out/ where the first left them.
 */
static int run_lifecycle(run_state *s, cnb_error **err)
{
	char uid[16], gid[16];
	snprintf(uid, sizeof(uid), "%u", s->uid);
	snprintf(gid, sizeof(gid), "%u", s->gid);
	char *detect[] = { LIFECYCLE, "detect", NULL };
	/* Image extensions' bin/generate, after detect (the reference's detector runs it in the same process). */
	char *generate[] = { LIFECYCLE, "generate", NULL };
	/* --clear-cache: no layer comes back, from the cache or the previous image; store.toml does. */
	char *restore[] = { LIFECYCLE, "restore", "-cache-dir", GUEST_CACHE_IN,
			    s->b->opts.clear_cache ? "-skip-layers" : NULL, NULL };
	char *build[] = { LIFECYCLE, "build", NULL };
	char *export_argv[] = { LIFECYCLE, "export", "-cache", "-out", GUEST_OUT, "-launcher", LAUNCHER, "-uid", uid, "-gid", gid,
				s->b->opts.process_type ? "-process-type" : NULL, (char *)s->b->opts.process_type, NULL };
	char **env = step_env(s);
	if (!env)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	const cnb__executor_job_step all_steps[] = {
		{ "detect", detect, env, workspace(s->b), s->uid, s->gid, STEP_TIMEOUT_S },
		{ "generate", generate, env, workspace(s->b), s->uid, s->gid, STEP_TIMEOUT_S },
		{ "restore", restore, env, workspace(s->b), s->uid, s->gid, STEP_TIMEOUT_S },
		{ "build", build, env, workspace(s->b), s->uid, s->gid, STEP_TIMEOUT_S },
		{ "export", export_argv, env, workspace(s->b), s->uid, s->gid, STEP_TIMEOUT_S },
	};
	/* Without extensions in the builder there is no generate step at all. */
	bool extensions = builder_has_extensions(s);
	cnb__executor_job_step steps[CNB_ARRAY_SIZE(all_steps)];
	size_t n_steps = 0;
	for (size_t i = 0; i < CNB_ARRAY_SIZE(all_steps); i++)
		if (extensions || strcmp(all_steps[i].name, "generate"))
			steps[n_steps++] = all_steps[i];
	cnb__api_log(s->b->ctx, CNB_LOG_INFO, "===> DETECT,%s RESTORE, BUILD, EXPORT (executor: %s)",
		 extensions ? " GENERATE," : "", s->b->opts.executor ? s->b->opts.executor : "vm");
	bool pending = false;
	int r = run_steps(s, steps, n_steps, &pending, err);
	if (r == 0 && extensions)
		r = find_generated(s, err);
	if (r == 0 && pending) {
		uint64_t start = cnb__monotonic_ms();
		if ((r = extend_build(s, err)) == 0) {
			phase_done(s->b, "extend-build", start);
			/* the extended build image's Env (ENV of the build.Dockerfiles) for the buildpacks */
			cnb__strv_free(env);
			env = step_env(s);
			cnb__executor_job_step again[3]; /* restore, build, export */
			for (size_t i = 0; i < CNB_ARRAY_SIZE(again); i++) {
				again[i] = all_steps[CNB_ARRAY_SIZE(all_steps) - CNB_ARRAY_SIZE(again) + i];
				again[i].env = env;
			}
			cnb__api_log(s->b->ctx, CNB_LOG_INFO, "===> RESTORE, BUILD, EXPORT on the extended build image");
			r = env ? run_steps(s, again, CNB_ARRAY_SIZE(again), &pending, err)
				: cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
	}
	cnb__strv_free(env);
	return r;
}

/* Image extensions (lib/platform/build-extend.h): the generated dir and the group's extension ids, as
 * the lifecycle job left them in out/. */
static int find_generated(run_state *s, cnb_error **err)
{
	if (s->generated)
		return 0;
	_cleanup_free_ char *out_dir = cnb__path_join(s->job_dir, "out");
	int r = out_dir ? cnb__platform_build_extend_handed_back(out_dir, &s->generated, &s->ext_ids, err)
			: cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return r < 0 ? cnb__error_prefix(err, "build %s", s->b->opts.image) : 0;
}

static cnb__platform_extend_job_in extend_job(const run_state *s)
{
	return (cnb__platform_extend_job_in){ s->b->opts.executor, s->b->cancel_pipe[0], s->b->opts.network != 0, s->b->opts.cpus,
				     vm_memory_mb(s), s->b->opts.max_layer_bytes };
}

static int builder_tree(void *userdata, const char **rootfs, cnb_error **err)
{
	*rootfs = ((run_state *)userdata)->rootfs;
	return 0;
}

/* build.Dockerfiles: the build phase runs on the builder's tree with their layer on top, and with
 * the Env they leave (the reference lifecycle's extender sets it for the builder). */
static int extend_build(run_state *s, cnb_error **err)
{
	if (!s->generated)
		return 0;
	const char *chain = strrchr(s->rootfs, '/') ? strrchr(s->rootfs, '/') + 1 : s->rootfs;
	cnb__extend_base base = { s->b->opts.builder, chain, json_object_get(s->builder->config, "config") };
	cnb__platform_extend_job_in job = extend_job(s);
	int r = cnb__platform_build_extend(s->b->ctx, &job, s->generated, (const char *const *)s->ext_ids, CNB_EXTEND_BUILD, &base,
				  builder_tree, s, cnb__oci_image_arch(s->builder), &s->ext_build, err);
	if (r == 0 && s->ext_build.layer.digest) { /* no layer when the Dockerfiles only set ENV/USER/LABEL */
		close(s->rootfs_lock);
		s->rootfs_lock = -1;
		free(s->rootfs);
		s->rootfs = NULL;
		r = assemble_rootfs(s, err);
	}
	return r == 0 ? cnb__platform_extend_build_env(s->builder, &s->ext_build, err) : r;
}

static int run_tree(void *userdata, const char **rootfs, cnb_error **err)
{
	run_state *s = userdata;
	int r = cnb__oci_image_fetch_layers(s->b->ctx, s->run, err);
	if (r == 0)
		r = cnb__rootfs_assemble_image(s->b->ctx, s->run, cnb__platform_executor_uses_mapped_xattr(s->b->opts.executor),
					       &s->run_rootfs, &s->run_rootfs_lock, err);
	*rootfs = s->run_rootfs;
	return r < 0 ? cnb__error_prefix(err, "run image %s", s->run_name) : 0;
}

/* run.Dockerfiles with more than FROM: their layer goes on top of the run image's, under the app's. */
static int extend_run(run_state *s, cnb_error **err)
{
	if (!s->generated)
		return 0;
	const char *digest = s->run->manifest_digest ? s->run->manifest_digest : s->run->config_digest;
	cnb__extend_base base = { s->run_name, digest ? digest : "", json_object_get(s->run->config, "config") };
	cnb__platform_extend_job_in job = extend_job(s);
	if (digest && !(s->run_digest = strdup(digest)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = cnb__platform_build_extend(s->b->ctx, &job, s->generated, (const char *const *)s->ext_ids, CNB_EXTEND_RUN, &base,
				  run_tree, s, cnb__oci_image_arch(s->run), &s->ext_run, err);
	return r == 0 ? cnb__platform_extend_run_image(s->run, &s->ext_run, err) : r;
}

/*
 * The run image an image extension chose (platform.md "detector": a run.Dockerfile that is only FROM
 * <image>), as the guest's analyzed.toml names it at export: its config replaces the one pulled before
 * the build; its layers, like the first one's, are never downloaded (the push mounts them).
 */
static int switch_run_image(run_state *s, cnb_error **err)
{
	_cleanup_free_ char *out_dir = cnb__path_join(s->job_dir, "out"), *image = NULL;
	bool extend = false;
	int r = out_dir ? cnb__export_run_image(out_dir, &image, &extend, err)
			: cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r < 0)
		return cnb__error_prefix(err, "build %s", s->b->opts.image);
	/* the run.Dockerfiles stay in <generated>/<extension>/ for extend-run, which applies them on top of
	 * the run image chosen here (docs/image-extensions.md) */
	if (extend && !s->generated)
		return cnb__error_set(err, CNB_EEXPORT, "build %s: analyzed.toml asks to extend the run image, but the "
				      "build left no generated directory of image extensions", s->b->opts.image);
	if (!image || !strcmp(image, s->run_name))
		return 0;
	cnb__api_log(s->b->ctx, CNB_LOG_INFO, "===> RUN IMAGE %s (chosen by an image extension)", image);
	uint64_t start = cnb__monotonic_ms();
	cnb__oci_image_free(s->run);
	s->run = NULL;
	free(s->run_name);
	free(s->run_pull);
	for (char **m = s->run_mirrors; m && *m; m++)
		free(*m);
	free(s->run_mirrors);
	s->run_name = s->run_pull = NULL;
	s->run_mirrors = NULL;
	if ((r = choose_run_image(s, image, err)) == 0 && (r = pull_run_image(s, err)) == 0)
		phase_done(s->b, "run-image", start);
	return r;
}

static int64_t creation_time(const cnb_build *b)
{
	if (b->opts.creation_time == CNB_BUILD_TIME_NOW)
		return (int64_t)time(NULL);
	return b->opts.creation_time >= 0 ? b->opts.creation_time : CNB_TAR_EPOCH;
}

static int export_image(run_state *s, cnb_error **err)
{
	_cleanup_free_ char *out_dir = cnb__path_join(s->job_dir, "out");
	if (!out_dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	/* the app's top directory: "srv" for --workspace /srv/app */
	_cleanup_free_ char *app_root = strndup(workspace(s->b) + 1, strcspn(workspace(s->b) + 1, "/"));
	if (!app_root)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__export_inputs in = { out_dir, s->previous, s->run_name, (const char *const *)s->run_mirrors,
				  creation_time(s->b), s->b->opts.max_layer_bytes, app_root, s->run_digest };
	cnb__export_stats *st = &s->b->results[s->index].export_stats, *all = &s->b->export_stats;
	int r = cnb__export_assemble(s->b->ctx, &in, s->run, st, err);
	all->layers_added += st->layers_added;
	all->layers_reused += st->layers_reused;
	all->bytes_in += st->bytes_in;
	all->bytes_out += st->bytes_out;
	return r < 0 ? cnb__error_prefix(err, "build %s: export", s->b->opts.image) : 0;
}

/* Registry: plain tags go with the push, full references (pack's -t REGISTRY/REPO:TAG) are pushed on
 * their own. A layout takes every name as one of its tags. */
static int split_tags(char **tags, bool registry, cnb__strv_list *same_repo, cnb__strv_list *elsewhere, cnb_error **err)
{
	for (size_t i = 0; tags && tags[i]; i++) {
		char *full = NULL;
		bool other = registry && !cnb__oci_tag_valid(tags[i]);
		if (other ? asprintf(&full, "docker://%s", tags[i]) < 0 || cnb__strv_push_take(elsewhere, full) < 0
			  : cnb__strv_push(same_repo, tags[i]) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

static int push_elsewhere(run_state *s, const char *dst, cnb_error **err)
{
	_cleanup_free_ char *digest = NULL;
	cnb__api_log(s->b->ctx, CNB_LOG_INFO, "===> PUBLISH %s", dst);
	int r = cnb__oci_image_push(s->b->ctx, s->run, dst, NULL, &digest, err);
	if (r == 0 && strcmp(digest, s->b->digest))
		r = cnb__error_set(err, CNB_EINTERNAL, "%s got digest %s, not the image's %s", dst, digest, s->b->digest);
	return r;
}

/* The names the image was written under, as the lifecycle's report lists them: the image, then its tags
 * (a plain tag joined to the image's repository). Registry names are normalized ("app" is
 * "docker.io/library/app:latest"). */
static int written_names(run_state *s, cnb__strv_list *names)
{
	_cleanup_oci_loc_ cnb__oci_loc loc = { 0 };
	if (strncmp(s->destination, "docker://", 9) || cnb__oci_loc_parse(&loc, s->destination, NULL) < 0) {
		if (cnb__strv_push(names, s->destination) < 0)
			return -1;
		for (size_t i = 0; s->b->tags[i]; i++)
			if (cnb__strv_push(names, s->b->tags[i]) < 0)
				return -1;
		return 0;
	}
	_cleanup_free_ char *image = NULL;
	if (!(image = cnb__oci_ref_string(&loc.ref)) || cnb__strv_push(names, image) < 0)
		return -1;
	for (size_t i = 0; s->b->tags[i]; i++) {
		char *full = NULL;
		_cleanup_oci_loc_ cnb__oci_loc other = { 0 };
		if (!cnb__oci_tag_valid(s->b->tags[i]))
			full = cnb__oci_loc_parse(&other, s->b->tags[i], NULL) == 0 ? cnb__oci_ref_string(&other.ref) : NULL;
		else if (asprintf(&full, "%s/%s:%s", loc.ref.registry, loc.ref.repository, s->b->tags[i]) < 0)
			full = NULL;
		if (!full || cnb__strv_push_take(names, full) < 0)
			return -1;
	}
	return 0;
}

/* <dir>, or its <os>-<arch>[-<variant>] subdirectory in a multi-platform build. NULL on OOM. */
static char *platform_subdir(const run_state *s, const char *dir)
{
	if (s->b->n_platforms == 1)
		return strdup(dir);
	char key[CNB_OCI_PLATFORM_NAME_MAX];
	platform_key(s, key);
	return cnb__path_join(dir, key);
}

/* --sbom-output-dir (per platform in a multi-platform build) and --report-output-dir (the digest and
 * size of what the tag names: the manifest, or the index). */
static int write_outputs(run_state *states, size_t n, size_t manifest_size, cnb_error **err)
{
	const cnb_build_opts *o = &states[0].b->opts;
	for (size_t i = 0; o->sbom_output_dir && i < n; i++) {
		_cleanup_free_ char *layers = cnb__path_join(states[i].job_dir, "layers");
		_cleanup_free_ char *dir = platform_subdir(&states[i], o->sbom_output_dir);
		int r = layers && dir ? cnb__platform_build_copy_sboms(states[i].b->ctx, layers, dir, err)
				      : cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (r < 0)
			return r;
	}
	if (!o->report_output_dir)
		return 0;
	_cleanup_strv_list_ cnb__strv_list names = CNB_STRV_LIST_INIT;
	if (written_names(&states[0], &names) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return cnb__platform_build_write_report_toml(o->report_output_dir, (const char *const *)cnb__strv_argv(&names),
					    states[0].b->digest, manifest_size, err);
}

static int push_image(run_state *s, cnb_error **err)
{
	bool registry = !strncmp(s->destination, "docker://", 9);
	_cleanup_strv_list_ cnb__strv_list same_repo = CNB_STRV_LIST_INIT, elsewhere = CNB_STRV_LIST_INIT;
	int r = split_tags(s->b->tags, registry, &same_repo, &elsewhere, err);
	if (r == 0)
		r = cnb__oci_image_push(s->b->ctx, s->run, s->destination, (const char *const *)cnb__strv_argv(&same_repo),
					&s->b->digest, err);
	for (size_t i = 0; r == 0 && i < elsewhere.n; i++)
		r = push_elsewhere(s, elsewhere.v[i], err);
	return r;
}

/* Where the index goes under each --tag: a registry's full names, a layout's oci:DIR:TAG. */
static int index_tag_destinations(run_state *s, cnb__strv_list *out)
{
	_cleanup_oci_loc_ cnb__oci_loc loc = { 0 };
	if (!strncmp(s->destination, "oci:", 4) && cnb__oci_loc_parse(&loc, s->destination, NULL) == 0) {
		for (size_t i = 0; s->b->tags[i]; i++) {
			char *dst = NULL;
			if (asprintf(&dst, "oci:%s:%s", loc.dir, s->b->tags[i]) < 0 || cnb__strv_push_take(out, dst) < 0)
				return -1;
		}
		return 0;
	}
	_cleanup_strv_list_ cnb__strv_list names = CNB_STRV_LIST_INIT;
	if (written_names(s, &names) < 0)
		return -1;
	for (size_t i = 1; i < names.n; i++) { /* names[0] is the image itself */
		char *dst = NULL;
		if (asprintf(&dst, "docker://%s", names.v[i]) < 0 || cnb__strv_push_take(out, dst) < 0)
			return -1;
	}
	return 0;
}

/* Every platform's image, then one image index naming them (image-spec image-index.md), under the
 * image's name and each tag. */
static int push_index(run_state *states, size_t n, size_t *index_size, cnb_error **err)
{
	run_state *s = &states[0];
	cnb__oci_image *imgs[CNB_OCI_PLATFORMS_MAX];
	for (size_t i = 0; i < n; i++)
		imgs[i] = states[i].run;
	int r = cnb__oci_index_push(s->b->ctx, imgs, n, s->destination, &s->b->digest, index_size, err);
	_cleanup_strv_list_ cnb__strv_list tags = CNB_STRV_LIST_INIT;
	if (r == 0 && index_tag_destinations(s, &tags) < 0)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < tags.n; i++) {
		_cleanup_free_ char *digest = NULL;
		cnb__api_log(s->b->ctx, CNB_LOG_INFO, "===> PUBLISH %s", tags.v[i]);
		r = cnb__oci_index_push(s->b->ctx, imgs, n, tags.v[i], &digest, NULL, err);
		if (r == 0 && strcmp(digest, s->b->digest))
			r = cnb__error_set(err, CNB_EINTERNAL, "%s got digest %s, not the index's %s", tags.v[i], digest,
					   s->b->digest);
	}
	for (size_t i = 0; r == 0 && i < n; i++)
		if (!(s->b->results[i].digest = strdup(imgs[i]->manifest_digest)))
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return r;
}

/* The cache is only ever replaced by a build that published; failing to save it is a warning
 * (Platform spec, exporter: cache errors do not fail the export). A cache image of several platforms
 * is an index of one cache image per platform. */
static void commit_caches(run_state *states, size_t n)
{
	cnb_build *b = states[0].b;
	cnb__oci_image *imgs[CNB_OCI_PLATFORMS_MAX] = { 0 };
	cnb_error *cerr = NULL;
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		run_state *s = &states[i];
		_cleanup_free_ char *out_dir = cnb__path_join(s->job_dir, "out");
		if (!out_dir)
			r = cnb__error_set(&cerr, CNB_ENOMEM, "out of memory");
		else if (!b->opts.cache_image)
			r = cnb__platform_build_cache_commit(b->ctx, s->cache_dir, out_dir, &s->cache, &cerr);
		else if (n == 1)
			r = cnb__platform_build_cache_image_commit(b->ctx, b->opts.cache_image, out_dir, s->target, &s->cache, &cerr);
		else
			r = cnb__platform_build_cache_image_make(b->ctx, out_dir, s->target, &s->cache, &imgs[i], &cerr);
	}
	if (r == 0 && b->opts.cache_image && n > 1 &&
	    cnb__oci_index_push(b->ctx, imgs, n, b->opts.cache_image, NULL, NULL, &cerr) < 0)
		r = cnb__error_prefix(&cerr, "cache image %s", b->opts.cache_image);
	if (r < 0)
		cnb__api_log(b->ctx, CNB_LOG_WARN, "%s", cnb_error_message(cerr));
	cnb_error_free(cerr);
	for (size_t i = 0; i < n; i++)
		cnb__oci_image_free(imgs[i]);
}

static int publish(run_state *states, size_t n, cnb_error **err)
{
	run_state *s = &states[0];
	if (n > 1)
		cnb__api_log(s->b->ctx, CNB_LOG_INFO, "===> PUBLISH %s (an image index of %zu platforms)", s->destination, n);
	else
		cnb__api_log(s->b->ctx, CNB_LOG_INFO, "===> PUBLISH %s", s->destination);
	size_t manifest_size = 0;
	int r = n > 1 ? push_index(states, n, &manifest_size, err) : push_image(s, err);
	if (r < 0)
		return cnb__error_prefix(err, "build %s: publish", s->b->opts.image);
	if (n == 1 && !(s->b->results[0].digest = strdup(s->b->digest)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if ((r = write_outputs(states, n, n > 1 ? manifest_size : s->run->manifest_len, err)) < 0)
		return r;
	commit_caches(states, n);
	/* Registry images are named by digest; a layout or an archive by its location. */
	bool layout = !strncmp(s->destination, "oci:", 4) || !strncmp(s->destination, "docker-archive:", 15);
	const char *name = layout ? s->destination : s->destination + (strncmp(s->destination, "docker://", 9) ? 0 : 9);
	if (asprintf(&s->b->reference, "%s%s%s", name, layout ? "" : "@", layout ? "" : s->b->digest) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

/* One platform's build, up to its assembled image in s->run; its phase times and layer counts go to
 * b->results[s->index]. */
static int build_platform(run_state *s, cnb_error **err)
{
	static const struct {
		const char *name;
		int (*run)(run_state *, cnb_error **);
	} phases[] = {
		{ "pull", pull_builder }, { "buildpacks", resolve_buildpacks }, { "rootfs", assemble_rootfs }, { "analyze", analyze }, { "prepare", prepare_job },
		{ "lifecycle", run_lifecycle }, { "run-image", switch_run_image },
		{ "extend-run", extend_run }, { "assemble", export_image },
	};
	cnb_build *b = s->b;
	cnb__platform_result *res = &b->results[s->index];
	res->first_phase = b->n_phases;
	if (b->n_platforms > 1)
		cnb__api_log(b->ctx, CNB_LOG_INFO, "===> PLATFORM %s (%zu of %zu)", b->platforms[s->index], s->index + 1,
			 b->n_platforms);
	int r = 0;
	for (size_t i = 0; r == 0 && i < CNB_ARRAY_SIZE(phases); i++) {
		uint64_t start = cnb__monotonic_ms();
		r = check_cancel(s, err);
		if (r == 0)
			r = phases[i].run(s, err);
		/* the lifecycle records its steps; run-image only when an extension switched it */
		if (r == 0 && strcmp(phases[i].name, "lifecycle") && strcmp(phases[i].name, "run-image"))
			phase_done(b, phases[i].name, start);
	}
	res->n_phases = b->n_phases - res->first_phase;
	if (r == 0 && !(res->platform = strdup(s->target)))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return r < 0 && b->n_platforms > 1 ? cnb__error_prefix(err, "platform %s", b->platforms[s->index]) : r;
}

int cnb__platform_build_execute(cnb_build *b, cnb_error **err)
{
	size_t n = b->n_platforms;
	run_state *states = calloc(n, sizeof(*states));
	if (!states)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = 0;
	/* What builds killed before us left behind: their job dirs and temp blobs (never a live one's). */
	size_t stale = cnb__platform_job_dirs_clean_stale();
	cnb__oci_gc_stats temps = { 0 };
	cnb__oci_store_clean_temps(b->ctx->cache_dir, false, 0, &temps);
	if (stale || temps.removed)
		cnb__api_log(b->ctx, CNB_LOG_DEBUG, "removed %zu stale job directories and %zu temp blobs of dead builds", stale,
			 temps.removed);
	for (size_t i = 0; i < n; i++) {
		run_state *s = &states[i];
		*s = (run_state){ .b = b, .platform = b->platforms[i], .first = i ? &states[0] : NULL, .index = i,
				  .rootfs_lock = -1, .job_lock = -1, .store_hold = -1, .run_rootfs_lock = -1 };
		if (b->opts.output)
			s->destination = strdup(b->opts.output);
		else if (asprintf(&s->destination, "%s%s", strncmp(b->opts.image, "docker://", 9) ? "docker://" : "",
				  b->opts.image) < 0)
			s->destination = NULL;
		if (!s->destination && r == 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (r == 0 && (states[0].store_hold = cnb__oci_store_use(b->ctx->cache_dir, err)) < 0)
		r = states[0].store_hold;
	/* One platform after the other, each job dir kept until all are published (the caches come from them). */
	for (size_t i = 0; r == 0 && i < n; i++)
		r = build_platform(&states[i], err);
	if (r == 0) {
		uint64_t start = cnb__monotonic_ms();
		r = check_cancel(&states[0], err);
		if (r == 0)
			r = publish(states, n, err);
		if (r == 0)
			phase_done(b, "publish", start);
	}
	for (size_t i = 0; i < n; i++)
		state_clear(&states[i]);
	free(states);
	return r;
}
