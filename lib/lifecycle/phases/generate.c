/*
 * The generate phase (platform.md "detector" › image extensions, Platform API 0.13; image_extension.md
 * "Generation"; lifecycle phase/generator.go): each extension of <group>'s [[group-extensions]], in
 * order, runs bin/generate with its share of the plan and writes build.Dockerfile, run.Dockerfile and
 * extend-config.toml into its own output directory, <generated>/<escaped extension id>/ (the layout
 * docs/image-extensions.md describes). Then: the plan loses the entries extensions met, the run image is
 * chosen from the run.Dockerfiles, and <analyzed> says which run image and whether build or run image
 * must be extended. Nothing is applied here.
 */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/phases/buildpack-exec.h"
#include "lib/lifecycle/phases/phase.h"
#include "lib/lifecycle/phases/platform-env.h"
#include "lib/lifecycle/spec/group-plan-files.h"
#include "lib/lifecycle/spec/run-dockerfile.h"
#include "lib/lifecycle/spec/target-data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The files an extension's output directory may hold that the later steps read (image_extension.md "Generation"). */
static const char *const output_files[] = { "build.Dockerfile", "run.Dockerfile", "extend-config.toml" };

/* What one extension generated. */
typedef struct ext_output {
	const cnb__lifecycle_group_elem *elem;
	char *dir;           /* <generated>/<escaped id> */
	bool has_build;      /* build.Dockerfile */
	bool has_run;        /* run.Dockerfile */
	cnb__lifecycle_run_dockerfile run;
} ext_output;

typedef struct generator {
	const cnb__lifecycle_phase_inputs *in;
	cnb_toml *plan;
	cnb__lifecycle_env base;
	cnb__lifecycle_target target;
	bool extend_build_pending; /* a build.Dockerfile, and the platform extends the build image */
} generator;

/* Our platform's request (CNB_GENERATE_STOP_FOR_EXTEND=true): a build.Dockerfile ends the job with
 * CNB_LC_EXIT_EXTEND_BUILD_PENDING, so that the build image is extended before restore and build run. */
static bool stop_for_extend(const cnb__lifecycle_phase_inputs *in)
{
	static const char name[] = "CNB_GENERATE_STOP_FOR_EXTEND=";
	for (char *const *e = in->environ; e && *e; e++)
		if (!strncmp(*e, name, sizeof(name) - 1))
			return !strcmp(*e + sizeof(name) - 1, "true") || !strcmp(*e + sizeof(name) - 1, "1");
	return false;
}

/* 1 = a regular file at dir/name, 0 = none, or an error for anything else (a symlink, a directory). */
static int output_file(const char *dir, const char *name, const char *who, cnb_error **err)
{
	_cleanup_free_ char *path = cnb__path_join(dir, name);
	struct stat st;
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cnb__error_errno(err, CNB_EIO, errno, "%s: %s", who, path);
	if (!S_ISREG(st.st_mode))
		return cnb__error_set(err, CNB_EPARSE, "%s: %s is not a regular file", who, path);
	if ((size_t)st.st_size > CNB_DOCKERFILE_MAX)
		return cnb__error_set(err, CNB_EPARSE, "%s: %s is larger than %u bytes", who, path, CNB_DOCKERFILE_MAX);
	return 1;
}

/* The requires of the plan entries this extension provides (lifecycle platform/files/plan.go Find). */
static cnb_toml *ext_plan(const cnb_toml *plan, const char *id)
{
	cnb_toml *doc = cnb__toml_new_table(), *entries = cnb__toml_new_array();
	if (!doc || !entries || cnb__toml_set(doc, "entries", entries) < 0) {
		cnb__toml_free(doc);
		return NULL;
	}
	const cnb_toml *all = cnb__toml_get(plan, "entries");
	for (size_t i = 0; i < cnb__toml_len(all); i++) {
		const cnb_toml *entry = cnb__toml_at(all, i), *requires = cnb__toml_get(entry, "requires");
		if (!cnb__lifecycle_plan_entry_has_provider(entry, id, true))
			continue;
		for (size_t r = 0; r < cnb__toml_len(requires); r++)
			if (cnb__toml_push(entries, cnb__toml_clone(cnb__toml_at(requires, r))) < 0) {
				cnb__toml_free(doc);
				return NULL;
			}
	}
	return doc;
}

/* Drops every plan entry with a require named in `met` (lifecycle platform/files/plan.go Filter). */
static int filter_plan(cnb_toml *plan, const cnb_toml *met)
{
	const cnb_toml *all = cnb__toml_get(plan, "entries");
	cnb_toml *kept = cnb__toml_new_array();
	if (!kept)
		return -1;
	for (size_t i = 0; i < cnb__toml_len(all); i++) {
		const cnb_toml *entry = cnb__toml_at(all, i), *requires = cnb__toml_get(entry, "requires");
		bool drop = false;
		for (size_t r = 0; r < cnb__toml_len(requires) && !drop; r++)
			for (size_t m = 0; m < cnb__toml_len(cnb__toml_get(met, "entries")) && !drop; m++) {
				const char *a = cnb__toml_get_string(cnb__toml_at(requires, r), "name");
				const char *b = cnb__toml_get_string(cnb__toml_at(cnb__toml_get(met, "entries"), m), "name");
				drop = a && b && !strcmp(a, b);
			}
		if (!drop && cnb__toml_push(kept, cnb__toml_clone(entry)) < 0) {
			cnb__toml_free(kept);
			return -1;
		}
	}
	return cnb__toml_set(plan, "entries", kept);
}

/* An extension without bin/generate: its <dir>/generate is its pre-populated output (image_extension.md "Generation"). */
static int copy_prepopulated(const cnb__lifecycle_bp_descriptor *ext, const char *out_dir, const char *who, cnb_error **err)
{
	_cleanup_free_ char *src = cnb__path_join(ext->dir, "generate");
	if (!src)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < CNB_ARRAY_SIZE(output_files); i++) {
		int have = output_file(src, output_files[i], who, err);
		if (have <= 0) {
			if (have < 0)
				return have;
			continue;
		}
		_cleanup_free_ char *from = cnb__path_join(src, output_files[i]), *to = cnb__path_join(out_dir, output_files[i]);
		int rc = from && to ? cnb__copy_file(from, to, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (rc)
			return rc;
	}
	return 0;
}

static int run_generate(generator *g, const cnb__lifecycle_bp_descriptor *ext, ext_output *o, const char *who, int *exit_code,
			cnb_error **err)
{
	const cnb__lifecycle_phase_inputs *in = g->in;
	_cleanup_free_ char *esc = cnb__lifecycle_bp_escape_id(ext->id);
	_cleanup_free_ char *bin = cnb__path_join(ext->dir, "bin/generate");
	_cleanup_free_ char *tmpdir = NULL, *plan_path = NULL;
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	cnb_toml *plan = ext_plan(g->plan, ext->id);
	if (!esc || !bin || !plan || !(o->dir = cnb__path_join(in->generated_dir, esc))) {
		cnb__toml_free(plan);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	int rc = cnb__rm_rf(o->dir, err);
	if (rc == 0)
		rc = cnb__mkdir_p(o->dir, 0755, err);
	if (rc == 0)
		rc = cnb__lifecycle_exec_write_plan(plan, esc, &tmpdir, &plan_path, err);
	if (rc == 0 && faccessat(AT_FDCWD, bin, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
		rc = copy_prepopulated(ext, o->dir, who, err);
	} else if (rc == 0) {
		rc = cnb__lifecycle_platform_env_for_buildpack(&env, &g->base, ext, in, &g->target, err);
		if (rc == 0 && (cnb__lifecycle_env_set(&env, "CNB_OUTPUT_DIR", o->dir) < 0 ||
				cnb__lifecycle_env_set(&env, "CNB_BP_PLAN_PATH", plan_path) < 0 ||
				cnb__lifecycle_env_set(&env, "CNB_PLATFORM_DIR", in->platform_dir) < 0))
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		/* Positional args as the reference passes them: <output> <platform> <plan>. */
		char *argv[] = { bin, o->dir, (char *)in->platform_dir, plan_path, NULL };
		int status = 0;
		cnb__lifecycle_phase_log(in, CNB_LOG_DEBUG, "Running %s for %s", bin, who);
		if (rc == 0 && (rc = cnb__lifecycle_exec_run(argv, cnb__lifecycle_env_envp(&env), in->app_dir, NULL, &status, err)) == 0 &&
		    status != 0) {
			*exit_code = CNB_LC_EXIT_EXTENSION_GENERATE;
			rc = cnb__error_set(err, CNB_EBUILD, "extension %s: bin/generate exited with status %d", who, status);
		}
	}
	if (tmpdir)
		cnb__rm_rf(tmpdir, NULL);
	if (rc == 0 && filter_plan(g->plan, plan) < 0)
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__toml_free(plan);
	return rc;
}

/* Reads what the extension left in its output directory. */
static int read_outputs(ext_output *o, const char *who, cnb_error **err)
{
	int have_build = output_file(o->dir, "build.Dockerfile", who, err);
	int have_run = have_build < 0 ? -1 : output_file(o->dir, "run.Dockerfile", who, err);
	int have_config = have_run < 0 ? -1 : output_file(o->dir, "extend-config.toml", who, err);
	if (have_config < 0)
		return have_config;
	o->has_build = have_build;
	o->has_run = have_run;
	_cleanup_free_ char *run = cnb__path_join(o->dir, "run.Dockerfile");
	_cleanup_free_ char *config = cnb__path_join(o->dir, "extend-config.toml");
	if (!run || !config)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (have_config) {
		cnb_toml *doc = NULL;
		int rc = cnb__toml_parse_file(&doc, config, err);
		cnb__toml_free(doc);
		if (rc)
			return cnb__error_prefix(err, "extension %s: extend-config.toml", who);
	}
	if (have_run && cnb__lifecycle_run_dockerfile_read(&o->run, run, err))
		return cnb__error_prefix(err, "extension %s", who);
	return 0;
}

/* Whether run.toml lists `image` as an image or a mirror. */
static bool run_toml_lists(const char *run_path, const char *image)
{
	cnb_toml *doc = NULL;
	cnb_error *ignored = NULL;
	if (!run_path || cnb__toml_parse_file(&doc, run_path, &ignored)) {
		cnb_error_free(ignored);
		return false;
	}
	bool found = false;
	const cnb_toml *images = cnb__toml_get(doc, "images");
	for (size_t i = 0; i < cnb__toml_len(images) && !found; i++) {
		const cnb_toml *entry = cnb__toml_at(images, i), *mirrors = cnb__toml_get(entry, "mirrors");
		const char *name = cnb__toml_get_string(entry, "image");
		found = name && !strcmp(name, image);
		for (size_t m = 0; m < cnb__toml_len(mirrors) && !found; m++)
			found = cnb__toml_string(cnb__toml_at(mirrors, m)) &&
				!strcmp(cnb__toml_string(cnb__toml_at(mirrors, m)), image);
	}
	cnb__toml_free(doc);
	return found;
}

/*
 * platform.md "detector": the run image is the one named by the last run.Dockerfile that does not say
 * FROM ${base_image}; run.Dockerfiles before it are renamed run.Dockerfile.ignore; extend = whether any
 * run.Dockerfile from there on has instructions beyond FROM (lifecycle phase/generator.go runImageFrom).
 */
static int choose_run_image(const generator *g, ext_output *outs, size_t n, const char **base, bool *extend,
			    cnb_error **err)
{
	*base = NULL;
	*extend = false;
	for (size_t k = n; k-- > 0;) {
		ext_output *o = &outs[k];
		if (!o->has_run)
			continue;
		if (*base) {
			_cleanup_free_ char *from = cnb__path_join(o->dir, "run.Dockerfile");
			_cleanup_free_ char *to = cnb__path_join(o->dir, "run.Dockerfile.ignore");
			if (!from || !to)
				return cnb__error_set(err, CNB_ENOMEM, "out of memory");
			if (rename(from, to) < 0)
				return cnb__error_errno(err, CNB_EIO, errno, "rename %s", from);
			cnb__lifecycle_phase_log(g->in, CNB_LOG_DEBUG, "%s: a later extension switches the run image: ignored", from);
			continue;
		}
		*extend |= o->run.extend;
		if (o->run.base) {
			*base = o->run.base;
			cnb__lifecycle_phase_log(g->in, CNB_LOG_DEBUG, "Found a run.Dockerfile from extension '%s' setting run image to '%s'",
				       o->elem->id, *base);
		}
	}
	return 0;
}

/* Rewrites <analyzed> [run-image] (and [build-image] extend) after the extensions' choice. */
static int update_analyzed(const generator *g, const char *base, bool extend_run, bool extend_build, cnb_error **err)
{
	const cnb__lifecycle_phase_inputs *in = g->in;
	cnb_toml *doc = NULL;
	int rc = cnb__toml_parse_file(&doc, in->analyzed_path, err);
	if (rc)
		return cnb__error_prefix(err, "read analyzed");
	const cnb_toml *old = cnb__toml_get(doc, "run-image");
	const char *old_image = cnb__toml_get_string(old, "image");
	cnb_toml *run = NULL;
	if (base && (!old_image || strcmp(old_image, base))) {
		if (!run_toml_lists(in->run_path, base))
			cnb__lifecycle_phase_log(in, CNB_LOG_WARN, "Warning: new runtime base image '%s' not found in run metadata (%s)",
				       base, in->run_path ? in->run_path : "no run.toml");
		cnb__lifecycle_phase_log(in, CNB_LOG_INFO, "Run image switched by an image extension to %s", base);
		/* reference and target are cleared: they described the old image. */
		run = cnb__toml_new_table();
		if (run && (cnb__toml_set(run, "reference", cnb__toml_new_string(base)) < 0 ||
			    cnb__toml_set(run, "image", cnb__toml_new_string(base)) < 0)) {
			cnb__toml_free(run);
			run = NULL;
		}
	} else {
		run = old ? cnb__toml_clone(old) : cnb__toml_new_table();
	}
	bool oom = !run;
	if (run && extend_run)
		oom |= cnb__toml_set(run, "extend", cnb__toml_new_bool(true)) < 0;
	if (run)
		oom |= cnb__toml_set(doc, "run-image", run) < 0;
	if (extend_build) {
		const cnb_toml *old_build = cnb__toml_get(doc, "build-image");
		cnb_toml *build = old_build ? cnb__toml_clone(old_build) : cnb__toml_new_table();
		oom |= !build || cnb__toml_set(build, "extend", cnb__toml_new_bool(true)) < 0 ||
		       cnb__toml_set(doc, "build-image", build) < 0;
	}
	rc = oom ? cnb__error_set(err, CNB_ENOMEM, "out of memory") : cnb__lifecycle_toml_doc_write_file(doc, in->analyzed_path, err);
	cnb__toml_free(doc);
	return rc;
}

static int generate_all(generator *g, const cnb__lifecycle_group_elem *exts, size_t n, int *exit_code, cnb_error **err)
{
	const cnb__lifecycle_phase_inputs *in = g->in;
	ext_output *outs = calloc(n + 1, sizeof(*outs));
	if (!outs)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = cnb__mkdir_p(in->generated_dir, 0755, err);
	bool extend_build = false;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		_cleanup_free_ char *who = cnb__lifecycle_bp_ref(exts[i].id, exts[i].version);
		cnb__lifecycle_bp_descriptor *ext = NULL;
		outs[i].elem = &exts[i];
		if (!who)
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		else if ((rc = cnb__lifecycle_ext_descriptor_load(&ext, in->extensions_dir, exts[i].id, exts[i].version, err)) == 0 &&
			 (rc = run_generate(g, ext, &outs[i], who, exit_code, err)) == 0)
			rc = read_outputs(&outs[i], who, err);
		extend_build |= outs[i].has_build;
		cnb__lifecycle_bp_descriptor_free(ext);
	}
	const char *base = NULL;
	bool extend_run = false;
	if (rc == 0)
		rc = choose_run_image(g, outs, n, &base, &extend_run, err);
	if (rc == 0)
		rc = update_analyzed(g, base, extend_run, extend_build, err);
	if (rc == 0)
		rc = cnb__lifecycle_toml_doc_write_file(g->plan, in->plan_path, err);
	if (rc == 0 && extend_run)
		cnb__lifecycle_phase_log(in, CNB_LOG_INFO, "The run image must be extended (run.Dockerfile instructions beyond FROM)");
	if (rc == 0 && extend_build && stop_for_extend(in)) {
		cnb__lifecycle_phase_log(in, CNB_LOG_INFO, "The build image must be extended (build.Dockerfile): stopping for the platform");
		g->extend_build_pending = true;
	}
	/* A platform that did not ask to stop does not apply them: said, not silently dropped. */
	for (size_t i = 0; rc == 0 && !g->extend_build_pending && i < n; i++)
		if (outs[i].has_build)
			cnb__lifecycle_phase_log(in, CNB_LOG_WARN,
				       "Warning: extension %s wrote a build.Dockerfile, but the platform did not ask to "
				       "apply it (CNB_GENERATE_STOP_FOR_EXTEND): the build runs on the unextended build image",
				       exts[i].id);
	for (size_t i = 0; i < n; i++) {
		free(outs[i].dir);
		cnb__lifecycle_run_dockerfile_free(&outs[i].run);
	}
	free(outs);
	return rc;
}

int cnb__lifecycle_generate_phase(const cnb__lifecycle_phase_inputs *in, int *exit_code, cnb_error **err)
{
	*exit_code = CNB_LC_EXIT_GENERATE;
	cnb__lifecycle_group_elem *exts = NULL;
	size_t n = 0;
	int rc = cnb__lifecycle_group_extensions_read(in->group_path, &exts, &n, err);
	if (rc)
		return rc;
	generator g = { .in = in };
	if (n == 0) {
		cnb__lifecycle_phase_log(in, CNB_LOG_DEBUG, "No image extension in %s: nothing to generate", in->group_path);
	} else if (cnb__lifecycle_env_init_build(&g.base, in->environ) < 0) {
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	} else if ((rc = cnb__lifecycle_target_data_load(&g.target, in->analyzed_path, err)) == 0 &&
		   (rc = cnb__toml_parse_file(&g.plan, in->plan_path, err)) == 0) {
		rc = generate_all(&g, exts, n, exit_code, err);
	}
	if (rc == 0)
		*exit_code = g.extend_build_pending ? CNB_LC_EXIT_EXTEND_BUILD_PENDING : CNB_LC_EXIT_OK;
	else
		cnb__error_prefix(err, "generate");
	for (size_t i = 0; i < n; i++)
		cnb__lifecycle_group_elem_free(&exts[i]);
	free(exts);
	cnb__toml_free(g.plan);
	cnb__lifecycle_env_free(&g.base);
	cnb__lifecycle_target_free(&g.target);
	return rc;
}
