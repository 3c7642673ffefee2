/*
 * The image description in out/export.json (docs/export-protocol.md): env, entrypoint and working
 * dir (platform.md "exporter" › "Outputs"), the labels io.buildpacks.build.metadata (platform.md "Labels"),
 * io.buildpacks.project.metadata, io.buildpacks.exec-env and the buildpacks' [[labels]], and
 * lifecycle_metadata (platform.md "io.buildpacks.lifecycle.metadata (JSON)") with "file:" placeholders the host turns into diffIDs.
 */
#include "export-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/group-plan-files.h"
#include <cnb/version.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#define EXPORT_JSON_MAX (4u * 1024 * 1024) /* the host refuses a bigger export.json */
#define LAUNCHER_PATH "/cnb/lifecycle/launcher"

static const char *config_name = "config/metadata.toml";

static const cnb_toml *find_process(const cnb__lifecycle_export *ex, const char *type)
{
	const cnb_toml *processes = cnb__toml_get(ex->config, "processes");
	for (size_t i = 0; i < cnb__toml_len(processes); i++) {
		const char *t = cnb__toml_get_string(cnb__toml_at(processes, i), "type");
		if (t && !strcmp(t, type))
			return cnb__toml_at(processes, i);
	}
	return NULL;
}

static bool valid_process_type(const char *type)
{
	/* lifecycle phase/exporter.go rejects these; the type names a symlink in /cnb/process */
	return *type && strcmp(type, ".") && strcmp(type, "..") && !strpbrk(type, "/><:|&\\");
}

int cnb__lifecycle_export_check_processes(cnb__lifecycle_export *ex, cnb_error **err)
{
	const cnb_toml *processes = cnb__toml_get(ex->config, "processes");
	if (processes && cnb__toml_type(processes) != CNB_TOML_ARRAY)
		return cnb__error_set(err, CNB_EPARSE, "%s/%s: `processes` must be an array of tables",
				      ex->opts->layers_dir, config_name);
	for (size_t i = 0; i < cnb__toml_len(processes); i++) {
		const cnb_toml *p = cnb__toml_at(processes, i);
		const char *type = cnb__toml_get_string(p, "type");
		const char *bp = cnb__toml_get_string(p, "buildpack-id");
		if (!type || !valid_process_type(type))
			return cnb__error_set(err, CNB_EEXPORT,
					      "process type '%s' (buildpack %s) is invalid: it must not be empty or contain "
					      "any of /><:|&\\; the buildpack must rename it in launch.toml",
					      type ? type : "(missing)", bp ? bp : "(unknown)");
	}
	const char *wanted = ex->opts->process_type;
	if (wanted && *wanted && !find_process(ex, wanted))
		return cnb__error_set(err, CNB_EEXPORT,
				      "process type '%s' was not found (-process-type); the buildpacks defined %zu "
				      "process type(s) in %s/%s", wanted, cnb__toml_len(processes), ex->opts->layers_dir,
				      config_name);
	return 0;
}

static json_t *strings_json(const cnb_toml *v)
{
	json_t *out = json_array();
	if (v && cnb__toml_type(v) == CNB_TOML_STRING)
		return out && json_array_append_new(out, cnb__toml_to_json(v)) == 0 ? out : NULL;
	for (size_t i = 0; out && i < cnb__toml_len(v); i++) {
		const char *s = cnb__toml_string(cnb__toml_at(v, i));
		if (s && json_array_append_new(out, json_string(s)) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* A Go slice as encoding/json writes it: null when nil (absent or empty in metadata.toml). */
static json_t *slice_json(const cnb_toml *v)
{
	return cnb__toml_len(v) ? strings_json(v) : json_null();
}

/* One process as lifecycle launch.Process marshals it (args null when there are none). */
static json_t *process_json(const cnb_toml *p)
{
	bool direct = false;
	cnb__toml_bool(cnb__toml_get(p, "direct"), &direct);
	const char *bp = cnb__toml_get_string(p, "buildpack-id");
	json_t *out = json_pack("{s s, s o, s o, s b, s s}", "type", cnb__toml_get_string(p, "type"), "command",
				strings_json(cnb__toml_get(p, "command")), "args", slice_json(cnb__toml_get(p, "args")),
				"direct", direct, "buildpackID", bp ? bp : "");
	const char *wd = cnb__toml_get_string(p, "working-dir");
	if (out && wd && *wd && json_object_set_new(out, "working-dir", json_string(wd)) < 0)
		goto oom;
	const cnb_toml *exec_env = cnb__toml_get(p, "exec-env");
	if (out && cnb__toml_len(exec_env) && json_object_set_new(out, "exec-env", strings_json(exec_env)) < 0)
		goto oom;
	return out;
oom:
	json_decref(out);
	return NULL;
}

/* {"id","version","homepage"?} of each [[group-extensions]] element, or NULL when there are none. */
static json_t *extensions_json(const cnb__lifecycle_export *ex)
{
	cnb__lifecycle_group_elem *exts = NULL;
	size_t n = 0;
	cnb_error *ignored = NULL;
	if (cnb__lifecycle_group_extensions_read(ex->opts->group_path, &exts, &n, &ignored) < 0) {
		cnb_error_free(ignored);
		return NULL;
	}
	json_t *out = n ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *el = out ? json_pack("{s s, s s}", "id", exts[i].id, "version", exts[i].version) : NULL;
		if (el && *exts[i].homepage)
			json_object_set_new(el, "homepage", json_string(exts[i].homepage));
		if (el)
			json_array_append_new(out, el);
		cnb__lifecycle_group_elem_free(&exts[i]);
	}
	free(exts);
	return out;
}

static json_t *build_metadata(const cnb__lifecycle_export *ex)
{
	const cnb_toml *processes = cnb__toml_get(ex->config, "processes");
	/* lifecycle platform/files/metadata.go BuildMetadata: no processes is a nil slice, null */
	json_t *bps = json_array(), *procs = cnb__toml_len(processes) ? json_array() : json_null();
	for (size_t i = 0; bps && i < ex->n_bps; i++) {
		const cnb__lifecycle_export_bp *bp = &ex->bps[i];
		json_t *el = json_pack("{s s, s s}", "id", bp->id, "version", bp->version);
		if (el && bp->homepage && *bp->homepage)
			json_object_set_new(el, "homepage", json_string(bp->homepage));
		if (!el || json_array_append_new(bps, el) < 0)
			goto oom;
	}
	for (size_t i = 0; procs && bps && i < cnb__toml_len(processes); i++)
		if (json_array_append_new(procs, process_json(cnb__toml_at(processes, i))) < 0)
			goto oom;
	json_t *out = json_pack("{s o, s o, s {s s, s {s {s s, s s}}}}", "buildpacks", bps, "processes", procs,
				"launcher", "version", CNB_VERSION_STRING, "source", "git", "repository", "", "commit", "");
	/* platform.md "io.buildpacks.build.metadata": the image extensions used, omitted when none */
	json_t *exts = out ? extensions_json(ex) : NULL;
	if (exts && json_object_set_new(out, "extensions", exts) < 0) {
		json_decref(out);
		return NULL;
	}
	const char *def = cnb__toml_get_string(ex->config, "buildpack-default-process-type");
	if (out && def && *def && json_object_set_new(out, "buildpack-default-process-type", json_string(def)) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
oom:
	json_decref(bps);
	json_decref(procs);
	return NULL;
}

static int project_metadata(const cnb__lifecycle_export *ex, json_t **out, cnb_error **err)
{
	const char *path = ex->opts->project_metadata_path;
	*out = json_object();
	if (!*out)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0; /* no project metadata: "{}" */
	cnb_toml *doc = NULL;
	int r = cnb__lifecycle_layers_toml_load_at(&doc, AT_FDCWD, path, path, CNB_LAYERS_MAX_INPUT_TOML, err);
	if (r < 0)
		return cnb__error_prefix(err, "project metadata (-project-metadata)");
	const cnb_toml *source = cnb__toml_get(doc, "source");
	if (cnb__toml_len(source) && cnb__toml_type(source) == CNB_TOML_TABLE &&
	    json_object_set_new(*out, "source", cnb__toml_to_json(source)) < 0)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__toml_free(doc);
	return r;
}

/* Sets labels[key] to the compact JSON text of `value` (consumed). */
static int set_json_label(json_t *labels, const char *key, json_t *value, cnb_error **err)
{
	_cleanup_free_ char *text = value ? json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(value);
	if (!text || json_object_set_new(labels, key, json_string(text)) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

static int labels_json(const cnb__lifecycle_export *ex, json_t **out, cnb_error **err)
{
	json_t *labels = *out = json_object();
	if (!labels)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	json_t *project = NULL;
	int r = set_json_label(labels, "io.buildpacks.build.metadata", build_metadata(ex), err);
	if (r >= 0)
		r = project_metadata(ex, &project, err);
	if (r >= 0)
		r = set_json_label(labels, "io.buildpacks.project.metadata", TAKE_PTR(project), err);
	json_decref(project);
	if (r >= 0 && ex->opts->platform_at_least_0_15 &&
	    json_object_set_new(labels, "io.buildpacks.exec-env", json_string(ex->opts->exec_env)) < 0)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	/* buildpack [[labels]] in group order: the last one of a key wins (platform.md "exporter" › "Outputs") */
	const cnb_toml *bp_labels = cnb__toml_get(ex->config, "labels");
	for (size_t i = 0; r >= 0 && i < cnb__toml_len(bp_labels); i++) {
		const cnb_toml *l = cnb__toml_at(bp_labels, i);
		const char *key = cnb__toml_get_string(l, "key"), *value = cnb__toml_get_string(l, "value");
		if (!key || !*key || !value)
			r = cnb__error_set(err, CNB_EPARSE, "%s/%s: labels[%zu] needs a string `key` and `value`",
					   ex->opts->layers_dir, config_name, i);
		else if (json_object_set_new(labels, key, json_string(value)) < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return r;
}

static json_t *entrypoint_json(const cnb__lifecycle_export *ex)
{
	const char *type = ex->opts->process_type;
	if (!type || !*type) {
		type = cnb__toml_get_string(ex->config, "buildpack-default-process-type");
		if (type && *type && !find_process(ex, type)) {
			fprintf(stderr, "Warning: default process type '%s' is not among the processes; "
					"the entrypoint is the launcher\n", type);
			type = NULL;
		}
	}
	if (!type || !*type)
		return json_pack("[s]", LAUNCHER_PATH);
	json_t *path = json_sprintf("/cnb/process/%s", type);
	return path ? json_pack("[o]", path) : NULL;
}

/* lifecycle_metadata with its keys in the label's usual order. */
static json_t *lifecycle_json(const cnb__lifecycle_export *ex)
{
	static const char *const order[] = { "app", "sbom", "config", "launcher", "process-types", "buildpacks" };
	json_t *out = json_object();
	for (size_t i = 0; out && i < CNB_ARRAY_SIZE(order); i++) {
		json_t *v = json_object_get(ex->lifecycle, order[i]);
		if (v && json_object_set(out, order[i], v) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/*
 * {"image", "extend"} of analyzed.toml [run-image], or NULL when it names none: the run image the app
 * image goes on, which image extensions may have switched (generate) or marked to extend.
 */
static json_t *run_image_json(const cnb__lifecycle_export *ex)
{
	cnb_toml *doc = NULL;
	cnb_error *ignored = NULL;
	if (!ex->opts->analyzed_path || cnb__toml_parse_file(&doc, ex->opts->analyzed_path, &ignored)) {
		cnb_error_free(ignored);
		return NULL;
	}
	const cnb_toml *run = cnb__toml_get(doc, "run-image");
	const char *image = cnb__toml_get_string(run, "image");
	bool extend = false;
	cnb__toml_bool(cnb__toml_get(run, "extend"), &extend);
	json_t *out = image && *image ? json_pack("{s s, s b}", "image", image, "extend", extend) : NULL;
	cnb__toml_free(doc);
	return out;
}

int cnb__lifecycle_export_write_json(cnb__lifecycle_export *ex, cnb_error **err)
{
	const cnb__lifecycle_export_opts *o = ex->opts;
	json_t *labels = NULL;
	int r = labels_json(ex, &labels, err);
	if (r < 0) {
		json_decref(labels);
		return r;
	}
	json_t *doc = json_pack("{s i, s O, s [s+, s+, s+, s], s s, s o, s s, s o, s o, s O}", "version", 1,
				"layers", ex->layers, "env", "CNB_LAYERS_DIR=", o->layers_dir, "CNB_APP_DIR=",
				o->app_dir, "CNB_PLATFORM_API=", o->platform_api, "CNB_DEPRECATION_MODE=quiet",
				"path_prefix", "/cnb/process:/cnb/lifecycle", "entrypoint", entrypoint_json(ex),
				"working_dir", o->app_dir, "labels", labels, "lifecycle_metadata", lifecycle_json(ex),
				"cache", ex->cache);
	json_t *run_image = doc ? run_image_json(ex) : NULL;
	if (run_image && json_object_set_new(doc, "run_image", run_image) < 0) {
		json_decref(doc);
		doc = NULL;
	}
	_cleanup_free_ char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (!text)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	size_t len = strlen(text);
	if (len > EXPORT_JSON_MAX)
		return cnb__error_set(err, CNB_EEXPORT, "export.json would be %zu bytes, over the host's limit of %u "
				      "(layer metadata written by buildpacks is too big)", len, EXPORT_JSON_MAX);
	_cleanup_free_ char *path = cnb__path_join(o->out_dir, "export.json");
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_free_ char *with_newline = NULL;
	if (asprintf(&with_newline, "%s\n", text) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return cnb__write_file_atomic(path, with_newline, len + 1, 0644, err);
}
