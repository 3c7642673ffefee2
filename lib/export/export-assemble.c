/* Host half of export: guest tars → compressed layers → app image config. */
#include "export-assemble.h"
#include "image-config.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-reader.h"
#include "lib/rootfs/mapped-xattr.h"
#include "oci/parallel.h"
#include "oci/reference.h"

#include <cnb/build.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMPRESS_THREADS 2

typedef struct pending_layer {
	const char *file;        /* relative to out_dir, validated; NULL for a reused layer */
	const char *reuse;       /* diffID from the previous image */
	const char *created_by;
	const char *id;          /* "<bp id>:<layer>", "app", "slice-<n>"... for the log; may be NULL */
	char *path;              /* absolute, for messages */
	int fd;                  /* the checked tar, read once by compression; -1 when none */
	cnb__oci_layer layer;    /* filled by compression */
	uint64_t tar_size;
} pending_layer;

typedef struct compress_job {
	cnb_ctx *ctx;
	pending_layer *layers;
} compress_job;

static bool is_app_layer(const char *id)
{
	return !strcmp(id, "app") || !strncmp(id, "slice-", 6);
}

/*
 * The reference's lines (lifecycle phase/exporter.go addOrReuseLayer, addAppLayers): "Adding layer" /
 * "Reusing layer" per layer, the app layers counted together after the loop.
 */
static void log_layer(cnb_ctx *ctx, const pending_layer *p, bool reused, size_t *app_layers, size_t *app_reused)
{
	if (!p->id)
		return;
	if (is_app_layer(p->id)) {
		(*app_layers)++;
		*app_reused += reused;
		return;
	}
	cnb__api_log(ctx, CNB_LOG_INFO, "%s layer '%s'", reused ? "Reusing" : "Adding", p->id);
}

/* "layers/NNN.tar" or "cache/NNN.tar" with a plain name: nothing else may come from the guest. */
static bool valid_file_name(const char *f)
{
	const char *name = !strncmp(f, "layers/", 7) ? f + 7 : !strncmp(f, "cache/", 6) ? f + 6 : NULL;
	size_t len = name ? strlen(name) : 0;
	if (len < 5 || len > 64 || strcmp(name + len - 4, ".tar") || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

static int too_big(const char *file, uint64_t size, uint64_t max, cnb_error **err)
{
	return cnb__error_set(err, CNB_EEXPORT,
			      "%s from the build is %.1f MiB uncompressed, over the limit of %.1f MiB (--max-layer-size): "
			      "image layers cannot hold sparse files (OCI image-spec layer.md), so a sparse file is written "
			      "out in full; remove it or raise the limit", file, (double)size / (1 << 20), (double)max / (1 << 20));
}

int cnb__export_guest_tar_open(const char *out_dir, const char *file, const char *const *roots, uint64_t max_bytes,
			       int *out_fd, uint64_t *size, cnb_error **err)
{
	if (!valid_file_name(file))
		return cnb__error_set(err, CNB_EUNSAFE, "export.json names '%s': only layers/NAME.tar and cache/NAME.tar are allowed",
				      file);
	_cleanup_close_ int dir = open(out_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char sub[8];
	size_t sub_len = (size_t)(strchr(file, '/') - file);
	memcpy(sub, file, sub_len);
	sub[sub_len] = '\0';
	_cleanup_close_ int subdir = dir >= 0 ? openat(dir, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC; /* a fifo must not block */
	_cleanup_close_ int fd = subdir >= 0 ? openat(subdir, file + sub_len + 1, flags) : -1;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return cnb__error_errno(err, CNB_EEXPORT, errno, "layer %s from the build", file);
	if (!S_ISREG(st.st_mode))
		return cnb__error_set(err, CNB_EUNSAFE, "layer %s from the build is not a regular file", file);
	/* Through the VM's 9p share (mapped-xattr) a guest symlink or device is a host regular file
	 * holding the target; its real type is in the xattrs. */
	cnb__rootfs_mapped_attr guest;
	if (cnb__rootfs_mapped_xattr_read(fd, &guest) == 0 && !S_ISREG(guest.mode))
		return cnb__error_set(err, CNB_EUNSAFE, "layer %s from the build is not a regular file in the guest "
				      "(mode %o): refusing it", file, guest.mode);
	*size = (uint64_t)st.st_size;
	if (max_bytes && *size > max_bytes) /* before reading it: a sparse 8 GiB file is cheap to make */
		return too_big(file, *size, max_bytes, err);
	cnb__tar_extract_opts check = { .allowed_roots = roots, .check_only = true };
	int r = cnb__tar_extract(fd, -1, NULL, &check, err);
	if (r < 0)
		return cnb__error_prefix(err, "layer %s from the build is not a valid layer tar", file);
	if (lseek(fd, 0, SEEK_SET) < 0) /* the caller reads it again from the start */
		return cnb__error_errno(err, CNB_EEXPORT, errno, "layer %s from the build", file);
	*out_fd = TAKE_FD(fd);
	return 0;
}

int cnb__export_guest_open(const char *out_dir, const char *file, const char *app_root, uint64_t max_bytes, int *fd, uint64_t *size,
			   cnb_error **err)
{
	const char *const roots[] = { "layers", app_root ? app_root : "workspace", "cnb", NULL };
	return cnb__export_guest_tar_open(out_dir, file, roots, max_bytes, fd, size, err);
}

int cnb__export_guest_file(const char *out_dir, const char *file, char **path, uint64_t *size, cnb_error **err)
{
	_cleanup_close_ int fd = -1;
	int r = cnb__export_guest_open(out_dir, file, NULL, CNB_BUILD_LAYER_MAX_DEFAULT, &fd, size, err);
	if (r < 0)
		return r;
	if (!(*path = cnb__path_join(out_dir, file)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

static bool named_before(const pending_layer *layers, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (layers[j].file && !strcmp(layers[j].file, layers[i].file))
			return true;
	return false;
}

static int open_guest_layer(const cnb__export_inputs *in, uint64_t max_bytes, pending_layer *p, cnb_error **err)
{
	int r = cnb__export_guest_open(in->out_dir, p->file, in->app_root, max_bytes, &p->fd, &p->tar_size, err);
	if (r == 0 && !(p->path = cnb__path_join(in->out_dir, p->file)))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return r;
}


/* Every tar the build hands back (layers and cache) within the per-tar limit and all together within
 * CNB_EXPORT_TOTAL_MAX, checked before any is compressed or stored. */
static int check_sizes(const json_t *desc, const cnb__export_inputs *in, const pending_layer *layers, size_t n,
		       cnb_error **err)
{
	uint64_t max = in->max_layer_bytes ? in->max_layer_bytes : CNB_BUILD_LAYER_MAX_DEFAULT, total = 0;
	for (size_t i = 0; i < n; i++) {
		if (layers[i].file && layers[i].tar_size > max)
			return too_big(layers[i].file, layers[i].tar_size, max, err);
		total += layers[i].tar_size;
	}
	size_t i;
	const json_t *entry;
	json_array_foreach(json_object_get(desc, "cache"), i, entry) {
		const char *file = json_string_value(json_object_get(entry, "file"));
		_cleanup_close_ int fd = -1;
		uint64_t size = 0;
		/* A cache entry that is not there or not allowed is the cache reader's warning (cache errors
		 * do not fail the export: Platform spec, exporter); only its size matters here. */
		cnb_error *e = NULL;
		int r = file ? cnb__export_guest_open(in->out_dir, file, in->app_root, max, &fd, &size, &e) : 0;
		if (r < 0 && size > max)
			return cnb__error_pass(err, e, r);
		cnb_error_free(e);
		if (r < 0 || !file)
			continue;
		total += size;
	}
	if (total > CNB_EXPORT_TOTAL_MAX)
		return cnb__error_set(err, CNB_EEXPORT, "the build handed back %.1f GiB of layers, over the limit of %.0f GiB",
				      (double)total / (1 << 30), (double)CNB_EXPORT_TOTAL_MAX / (1 << 30));
	return 0;
}

static int compress_one(size_t i, void *userdata, cnb_error **err)
{
	compress_job *job = userdata;
	pending_layer *p = &job->layers[i];
	if (!p->file)
		return 0;
	int r = cnb__oci_layer_from_fd(job->ctx, p->fd, p->path, &p->layer, err);
	return r < 0 ? cnb__error_prefix(err, "layer %s (%s)", p->file, p->created_by) : 0;
}

static const cnb__oci_layer *previous_layer(const cnb__oci_image *prev, const char *diff_id)
{
	for (size_t i = 0; prev && i < prev->n_layers; i++)
		if (!strcmp(prev->layers[i].diff_id, diff_id))
			return &prev->layers[i];
	return NULL;
}

/* Replaces every "file:<name>" string in the tree with the diffID of that pending layer. */
static int fill_shas(json_t *v, const pending_layer *layers, size_t n, cnb_error **err)
{
	if (json_is_object(v)) {
		const char *key;
		json_t *child;
		json_object_foreach(v, key, child) {
			const char *s = json_string_value(child);
			if (s && !strncmp(s, "file:", 5)) {
				size_t i = 0;
				while (i < n && !(layers[i].file && !strcmp(layers[i].file, s + 5)))
					i++;
				if (i == n)
					return cnb__error_set(err, CNB_EEXPORT, "export.json: %s names no exported layer", s);
				json_object_set_new(v, key, json_string(layers[i].layer.diff_id));
			} else if (fill_shas(child, layers, n, err) < 0) {
				return -1;
			}
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) if (fill_shas(child, layers, n, err) < 0) return -1;
	}
	return 0;
}

static json_t *object_member(json_t *obj, const char *key, json_t *(*make)(void))
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		v = make();
		json_object_set_new(obj, key, v);
	}
	return v;
}

static int apply_config(const json_t *desc, const cnb__export_inputs *in, json_t *config, const char *top_layer,
			const char *run_ref, json_t *lifecycle_metadata, cnb_error **err)
{
	json_t *cc = object_member(config, "config", json_object);
	json_t *env = object_member(cc, "Env", json_array);
	_cleanup_free_ char *path = NULL;
	const char *old_path = cnb__export_image_env_get(env, "PATH");
	const char *prefix = json_string_value(json_object_get(desc, "path_prefix"));
	if (prefix && asprintf(&path, "PATH=%s%s%s", prefix, old_path && *old_path ? ":" : "", old_path ? old_path : "") < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(desc, "env"), i, v) if (json_is_string(v)) cnb__export_image_env_set(env, json_string_value(v));
	if (path)
		cnb__export_image_env_set(env, path);
	json_t *entrypoint = json_object_get(desc, "entrypoint");
	if (!json_is_array(entrypoint) || json_array_size(entrypoint) == 0)
		return cnb__error_set(err, CNB_EEXPORT, "export.json has no entrypoint");
	json_object_set(cc, "Entrypoint", entrypoint);
	json_object_set_new(cc, "Cmd", json_null()); /* cleared: Platform spec, exporter outputs */
	const char *wd = json_string_value(json_object_get(desc, "working_dir"));
	if (wd)
		json_object_set_new(cc, "WorkingDir", json_string(wd));
	json_t *labels = object_member(cc, "Labels", json_object);
	const char *key;
	json_object_foreach(json_object_get(desc, "labels"), key, v) if (json_is_string(v)) json_object_set(labels, key, v);

	json_t *mirrors = json_array();
	for (size_t m = 0; in->run_image_mirrors && in->run_image_mirrors[m]; m++)
		json_array_append_new(mirrors, json_string(in->run_image_mirrors[m]));
	json_t *run_image = json_pack("{s:s, s:s, s:s, s:o}", "topLayer", top_layer, "reference", run_ref, "image",
				      in->run_image_name, "mirrors", mirrors);
	json_object_set_new(lifecycle_metadata, "runImage", run_image);
	json_object_set_new(lifecycle_metadata, "stack",
			    json_pack("{s:{s:s, s:O}}", "runImage", "image", in->run_image_name, "mirrors", mirrors));
	char *text = json_dumps(lifecycle_metadata, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	json_object_set_new(labels, "io.buildpacks.lifecycle.metadata", json_string(text));
	free(text);
	char created[32];
	cnb__export_rfc3339(in->created, created);
	json_object_set_new(config, "created", json_string(created));
	return 0;
}

int cnb__export_run_image(const char *out_dir, char **image, bool *extend, cnb_error **err)
{
	*image = NULL;
	*extend = false;
	_cleanup_free_ char *json_path = cnb__path_join(out_dir, "export.json");
	_cleanup_free_ char *text = NULL;
	int r = json_path ? cnb__read_file(json_path, CNB_EXPORT_JSON_MAX, &text, NULL, err)
			  : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r < 0)
		return cnb__error_prefix(err, "export: the build left no complete export");
	json_t *desc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	const json_t *run = json_object_get(desc, "run_image");
	const char *name = json_string_value(json_object_get(run, "image"));
	cnb__oci_ref ref = CNB_OCI_REF_INIT;
	cnb_error *parse_err = NULL;
	if (run && (!name || strlen(name) > 1024 || cnb__oci_ref_parse(&ref, name, &parse_err) < 0))
		r = cnb__error_set(err, CNB_EEXPORT, "export.json: run_image.image is not an image reference (%s)",
				   parse_err ? cnb_error_message(parse_err) : "missing or too long");
	else if (name && !(*image = strdup(name)))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb_error_free(parse_err);
	*extend = json_is_true(json_object_get(run, "extend"));
	cnb__oci_ref_clear(&ref);
	json_decref(desc);
	return r;
}

int cnb__export_assemble(cnb_ctx *ctx, const cnb__export_inputs *in, cnb__oci_image *img, cnb__export_stats *stats,
			 cnb_error **err)
{
	memset(stats, 0, sizeof(*stats));
	_cleanup_free_ char *json_path = cnb__path_join(in->out_dir, "export.json");
	_cleanup_free_ char *text = NULL;
	int r = json_path ? cnb__read_file(json_path, CNB_EXPORT_JSON_MAX, &text, NULL, err)
			  : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (r < 0)
		return cnb__error_prefix(err, "export: the build left no complete export");
	json_error_t jerr;
	json_t *desc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!desc || json_integer_value(json_object_get(desc, "version")) != 1) {
		json_decref(desc);
		return cnb__error_set(err, CNB_EEXPORT, "export.json: %s (line %d)", desc ? "version 1 expected" : jerr.text,
				      jerr.line);
	}
	const json_t *list = json_object_get(desc, "layers");
	size_t n = json_array_size(list);
	pending_layer *layers = calloc(n + 1, sizeof(*layers));
	if (!layers)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; layers && i < n; i++)
		layers[i].fd = -1;
	if (r == 0 && img->n_layers + n > CNB_IMAGE_LAYERS_MAX)
		r = cnb__error_set(err, CNB_EEXPORT,
				   "export.json: %zu layers on a run image of %zu make %zu, more than the %d a docker daemon "
				   "can load: the buildpacks must write fewer layers", n, img->n_layers, img->n_layers + n,
				   CNB_IMAGE_LAYERS_MAX);
	for (size_t i = 0; r == 0 && i < n; i++) {
		const json_t *l = json_array_get(list, i);
		layers[i].file = json_string_value(json_object_get(l, "file"));
		layers[i].reuse = json_string_value(json_object_get(l, "reuse"));
		layers[i].created_by = json_string_value(json_object_get(l, "created_by"));
		layers[i].id = json_string_value(json_object_get(l, "id"));
		if (!layers[i].created_by)
			layers[i].created_by = "";
		if (!!layers[i].file == !!layers[i].reuse)
			r = cnb__error_set(err, CNB_EEXPORT, "export.json: layer %zu needs exactly one of file and reuse", i);
		else if (layers[i].file && named_before(layers, i))
			r = cnb__error_set(err, CNB_EEXPORT, "export.json: layer %zu names %s again: each tar is one layer", i,
					   layers[i].file);
		else if (layers[i].file)
			r = open_guest_layer(in, in->max_layer_bytes ? in->max_layer_bytes : CNB_BUILD_LAYER_MAX_DEFAULT,
					     &layers[i], err);
		else if (!previous_layer(in->previous, layers[i].reuse))
			r = cnb__error_set(err, CNB_EEXPORT,
					   "layer '%s' is reused from the previous image, which has no layer %s: "
					   "rebuild with --clear-cache", layers[i].created_by, layers[i].reuse);
	}
	if (r == 0)
		r = check_sizes(desc, in, layers, n, err);
	compress_job job = { ctx, layers };
	if (r == 0)
		r = cnb__oci_parallel(n, COMPRESS_THREADS, compress_one, &job, err);
	const char *top_layer = img->n_layers ? img->layers[img->n_layers - 1].diff_id : "";
	_cleanup_free_ char *top = strdup(top_layer);
	_cleanup_free_ char *run_ref = NULL;
	if (r == 0 && (!top || asprintf(&run_ref, "%s@%s", img->source ? img->source : in->run_image_name,
					 img->manifest_digest ? img->manifest_digest : in->run_digest ? in->run_digest : "") < 0))
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	json_t *config = r == 0 ? cnb__oci_image_config_edit(img) : NULL;
	char created[32];
	cnb__export_rfc3339(in->created, created);
	size_t app_layers = 0, app_reused = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		const cnb__oci_layer *l = layers[i].file ? &layers[i].layer : previous_layer(in->previous, layers[i].reuse);
		/* A rebuilt layer with the diffID it had before is the same blob (deterministic tar and
		 * gzip): the registry already has it, so it counts as reused, not added. */
		size_t reused_before = stats->layers_reused;
		if (layers[i].file && !previous_layer(in->previous, l->diff_id)) {
			stats->layers_added++;
			stats->bytes_in += layers[i].tar_size;
			stats->bytes_out += l->size;
		} else {
			stats->layers_reused++;
		}
		log_layer(ctx, &layers[i], stats->layers_reused > reused_before, &app_layers, &app_reused);
		r = cnb__oci_image_append_layer(img, l, err);
		if (r == 0 && cnb__export_image_history_add(config, created, layers[i].created_by) < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (r == 0 && app_reused)
		cnb__api_log(ctx, CNB_LOG_INFO, "Reused %zu/%zu app layer(s)", app_reused, app_layers);
	if (r == 0 && app_layers > app_reused)
		cnb__api_log(ctx, CNB_LOG_INFO, "Added %zu/%zu app layer(s)", app_layers - app_reused, app_layers);
	json_t *metadata = json_deep_copy(json_object_get(desc, "lifecycle_metadata"));
	if (r == 0 && !json_is_object(metadata))
		r = cnb__error_set(err, CNB_EEXPORT, "export.json has no lifecycle_metadata object");
	if (r == 0)
		r = fill_shas(metadata, layers, n, err);
	if (r == 0)
		r = apply_config(desc, in, config, top, run_ref, metadata, err);
	json_decref(metadata);
	for (size_t i = 0; layers && i < n; i++) {
		if (layers[i].fd >= 0)
			close(layers[i].fd);
		free(layers[i].path);
		cnb__oci_layer_clear(&layers[i].layer);
	}
	free(layers);
	json_decref(desc);
	return r;
}
