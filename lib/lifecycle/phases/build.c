/*
 * The build phase (platform.md "builder", buildpack.md "Phase #5: Build"): for each buildpack of
 * the group, its buildpack plan, its environment, bin/build, then its layers, env for later
 * buildpacks, build.toml (unmet entries), SBOMs and launch.toml; finally
 * <layers>/config/metadata.toml for the exporter and the launcher.
 */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/phases/buildpack-exec.h"
#include "lib/lifecycle/spec/group-plan-files.h"
#include "lib/lifecycle/phases/build-launch-data.h"
#include "lib/lifecycle/spec/layer-metadata.h"
#include "lib/lifecycle/spec/legacy-bom.h"
#include "lib/lifecycle/phases/phase.h"
#include "lib/lifecycle/phases/platform-env.h"
#include "lib/lifecycle/spec/sbom-files.h"
#include "lib/lifecycle/spec/target-data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct builder {
	const cnb__lifecycle_phase_inputs *in;
	cnb__lifecycle_env env; /* the shared build env: grows with each buildpack's build=true layers */
	cnb__lifecycle_target target;
	cnb_toml *plan;  /* plan.toml */
	bool *plan_done; /* entries met by an earlier buildpack */
	size_t n_entries;
	cnb__lifecycle_launch_data launch;
	json_t *launch_bom; /* legacy [[bom]] of launch.toml, then of build.toml */
	json_t *build_bom;
} builder;

static void warn_line(void *ud, const char *line)
{
	builder *b = ud;
	cnb__lifecycle_phase_log(b->in, CNB_LOG_WARN, "%s", line);
}

static bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}


/* buildpack.md "Unmet Buildpack Plan Entries": only the requires of entries this buildpack provided and nobody met yet. */
static cnb_toml *bp_plan(const builder *b, const char *id)
{
	cnb_toml *doc = cnb__toml_new_table(), *entries = cnb__toml_new_array();
	if (!doc || !entries || cnb__toml_set(doc, "entries", entries) < 0) {
		cnb__toml_free(doc);
		return NULL;
	}
	const cnb_toml *all = cnb__toml_get(b->plan, "entries");
	for (size_t i = 0; i < b->n_entries; i++) {
		const cnb_toml *entry = cnb__toml_at(all, i);
		if (b->plan_done[i] || !cnb__lifecycle_plan_entry_has_provider(entry, id, false))
			continue;
		const cnb_toml *requires = cnb__toml_get(entry, "requires");
		for (size_t r = 0; r < cnb__toml_len(requires); r++)
			if (cnb__toml_push(entries, cnb__toml_clone(cnb__toml_at(requires, r))) < 0) {
				cnb__toml_free(doc);
				return NULL;
			}
	}
	return doc;
}

/*
 * build.toml [[unmet]] (buildpack.md "Unmet Buildpack Plan Entries"): each name must be in the buildpack
 * plan; entries whose names were met leave the plan, unmet ones go on to the next provider.
 */
static int apply_build_toml(builder *b, const char *path, const cnb_toml *given, const cnb__lifecycle_bp_descriptor *bp,
			    const char *who, cnb_error **err)
{
	struct stat st;
	cnb_toml *doc = NULL;
	if (lstat(path, &st) == 0) {
		int rc = cnb__toml_parse_file(&doc, path, err);
		if (rc)
			return cnb__error_prefix(err, "buildpack %s", who);
	}
	const cnb_toml *unmet = cnb__toml_get(doc, "unmet"), *entries = cnb__toml_get(given, "entries");
	int rc = cnb__lifecycle_legacy_bom_add(b->build_bom, doc, bp, path, err);
	for (size_t u = 0; rc == 0 && u < cnb__toml_len(unmet); u++) {
		const char *name = cnb__toml_get_string(cnb__toml_at(unmet, u), "name");
		bool found = false;
		for (size_t e = 0; name && e < cnb__toml_len(entries) && !found; e++)
			found = streq(name, cnb__toml_get_string(cnb__toml_at(entries, e), "name"));
		if (!found)
			rc = cnb__error_set(err, CNB_EPARSE,
					    "buildpack %s: %s: unmet entry \"%s\" is not in the buildpack plan it was given",
					    who, path, name ? name : "");
	}
	for (size_t e = 0; rc == 0 && e < cnb__toml_len(entries); e++) {
		const char *met = cnb__toml_get_string(cnb__toml_at(entries, e), "name");
		bool is_unmet = false;
		for (size_t u = 0; u < cnb__toml_len(unmet) && !is_unmet; u++)
			is_unmet = streq(met, cnb__toml_get_string(cnb__toml_at(unmet, u), "name"));
		if (is_unmet)
			continue;
		const cnb_toml *all = cnb__toml_get(b->plan, "entries");
		for (size_t i = 0; i < b->n_entries; i++) {
			const cnb_toml *requires = cnb__toml_get(cnb__toml_at(all, i), "requires");
			for (size_t r = 0; r < cnb__toml_len(requires); r++) {
				if (streq(cnb__toml_get_string(cnb__toml_at(requires, r), "name"), met))
					b->plan_done[i] = true;
			}
		}
	}
	cnb__toml_free(doc);
	return rc;
}

static int run_build(builder *b, const cnb__lifecycle_bp_descriptor *bp, const char *bp_layers, const char *plan_path,
		     int *exit_code, cnb_error **err)
{
	const cnb__lifecycle_phase_inputs *in = b->in;
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	_cleanup_free_ char *bin = cnb__path_join(bp->dir, "bin/build");
	_cleanup_free_ char *who = cnb__lifecycle_bp_ref(bp->id, bp->version);
	if (!bin || !who)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = cnb__lifecycle_platform_env_for_buildpack(&env, &b->env, bp, in, &b->target, err);
	if (rc == 0 && cnb__lifecycle_api_at_least(bp->api, 0, 8) &&
	    (cnb__lifecycle_env_set(&env, "CNB_LAYERS_DIR", bp_layers) < 0 || cnb__lifecycle_env_set(&env, "CNB_BP_PLAN_PATH", plan_path) < 0))
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc)
		return rc;
	/* Positional args are always passed, although deprecated since API 0.8. */
	char *argv[] = { bin, (char *)bp_layers, (char *)in->platform_dir, (char *)plan_path, NULL };
	int status = 0;
	cnb__lifecycle_phase_log(in, CNB_LOG_INFO, "Running build for buildpack %s", who);
	if ((rc = cnb__lifecycle_exec_run(argv, cnb__lifecycle_env_envp(&env), in->app_dir, NULL, &status, err))) {
		*exit_code = CNB_LC_EXIT_BUILDPACK_BUILD;
		return cnb__error_prefix(err, "buildpack %s", who);
	}
	if (status) {
		*exit_code = CNB_LC_EXIT_BUILDPACK_BUILD;
		return cnb__error_set(err, CNB_EBUILD, "buildpack %s failed: bin/build exited with status %d", who, status);
	}
	return 0;
}

/* Layers, env, build.toml, SBOMs, launch.toml of one buildpack after its bin/build. */
static int after_build(builder *b, const cnb__lifecycle_bp_descriptor *bp, const char *bp_layers, const cnb_toml *given,
		       cnb_error **err)
{
	_cleanup_free_ char *who = cnb__lifecycle_bp_ref(bp->id, bp->version);
	_cleanup_free_ char *build_toml = cnb__path_join(bp_layers, "build.toml");
	_cleanup_free_ char *launch_toml = cnb__path_join(bp_layers, "launch.toml");
	if (!who || !build_toml || !launch_toml)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__lifecycle_layer_list layers = { 0 };
	int rc = cnb__lifecycle_layer_metadata_process(&layers, bp_layers, who, err);
	/* Only build=true layers reach later buildpacks, in alphabetical order (platform.md "builder"). */
	for (size_t i = 0; rc == 0 && i < layers.n; i++)
		if (layers.v[i].build && (rc = cnb__lifecycle_env_apply_build_layer(&b->env, layers.v[i].path, err)))
			cnb__error_prefix(err, "buildpack %s: layer %s", who, layers.v[i].name);
	if (rc == 0)
		rc = apply_build_toml(b, build_toml, given, bp, who, err);
	if (rc == 0)
		rc = cnb__lifecycle_sbom_files_collect(b->in->layers_dir, bp_layers, bp, &layers, err);
	cnb__lifecycle_launch_data launch = { 0 };
	cnb_toml *doc = NULL;
	struct stat st;
	if (rc == 0 && lstat(launch_toml, &st) == 0 && (rc = cnb__toml_parse_file(&doc, launch_toml, err)))
		cnb__error_prefix(err, "buildpack %s", who);
	if (rc == 0 && (rc = cnb__lifecycle_launch_toml_parse(&launch, doc, bp, launch_toml, warn_line, b, err)))
		cnb__error_prefix(err, "buildpack %s", who);
	if (rc == 0)
		rc = cnb__lifecycle_launch_toml_merge(&b->launch, &launch, warn_line, b, err);
	cnb__lifecycle_launch_toml_free(&launch); /* emptied by a merge; what a failed parse left */
	if (rc == 0)
		rc = cnb__lifecycle_legacy_bom_add(b->launch_bom, doc, bp, launch_toml, err);
	cnb__toml_free(doc);
	cnb__lifecycle_layer_list_free(&layers);
	return rc;
}

static int write_legacy_bom(const builder *b, const char *sbom_dir, cnb_error **err)
{
	_cleanup_free_ char *launch = cnb__path_join(sbom_dir, "launch/sbom.legacy.json");
	_cleanup_free_ char *build = cnb__path_join(sbom_dir, "build/sbom.legacy.json");
	if (!launch || !build)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = cnb__lifecycle_legacy_bom_write(b->launch_bom, launch, err);
	return rc ? rc : cnb__lifecycle_legacy_bom_write(b->build_bom, build, err);
}

static int build_one(builder *b, const cnb__lifecycle_bp_descriptor *bp, int *exit_code, cnb_error **err)
{
	const cnb__lifecycle_phase_inputs *in = b->in;
	int rc = 0;
	_cleanup_free_ char *esc = cnb__lifecycle_bp_escape_id(bp->id);
	_cleanup_free_ char *bp_layers = esc ? cnb__path_join(in->layers_dir, esc) : NULL;
	_cleanup_free_ char *tmpdir = NULL, *plan_path = NULL;
	cnb_toml *given = bp_plan(b, bp->id);
	if (!bp_layers || !given)
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cnb__mkdir_p(bp_layers, 0755, err);
	if (rc == 0)
		rc = cnb__lifecycle_exec_write_plan(given, esc, &tmpdir, &plan_path, err);
	if (rc == 0 && (rc = run_build(b, bp, bp_layers, plan_path, exit_code, err)) == 0)
		rc = after_build(b, bp, bp_layers, given, err);
	if (tmpdir)
		cnb__rm_rf(tmpdir, NULL);
	cnb__toml_free(given);
	return rc;
}

/* Every buildpack of the group is looked up and its API checked before any runs (lc BuilderFactory). */
static int load_group(cnb__lifecycle_bp_descriptor **bps, const cnb__lifecycle_phase_inputs *in, const cnb__lifecycle_group_elem *group, size_t n,
		      int *exit_code, cnb_error **err)
{
	for (size_t i = 0; i < n; i++) {
		int rc = cnb__lifecycle_bp_descriptor_load(&bps[i], in->buildpacks_dir, group[i].id, group[i].version, err);
		if (rc) {
			*exit_code = rc == CNB_EUNSUPPORTED ? CNB_LC_EXIT_BUILDPACK_API : CNB_LC_EXIT_BUILD;
			return rc;
		}
	}
	return 0;
}

int cnb__lifecycle_build_phase(const cnb__lifecycle_phase_inputs *in, int *exit_code, cnb_error **err)
{
	*exit_code = CNB_LC_EXIT_BUILD;
	builder b = { .in = in, .launch_bom = json_array(), .build_bom = json_array() };
	cnb__lifecycle_group_elem *group = NULL;
	size_t n_group = 0;
	_cleanup_free_ char *sbom = cnb__path_join(in->layers_dir, "sbom");
	_cleanup_free_ char *config = cnb__path_join(in->layers_dir, "config");
	_cleanup_free_ char *metadata = config ? cnb__path_join(config, "metadata.toml") : NULL;
	int rc = sbom && metadata && b.launch_bom && b.build_bom ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cnb__lifecycle_group_file_read(in->group_path, &group, &n_group, err);
	if (rc == 0 && (rc = cnb__toml_parse_file(&b.plan, in->plan_path, err)))
		cnb__error_prefix(err, "read plan");
	if (rc == 0) {
		b.n_entries = cnb__toml_len(cnb__toml_get(b.plan, "entries"));
		if (!(b.plan_done = calloc(b.n_entries + 1, sizeof(bool))))
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	/* Stale SBOMs from a restore must not be exported as this build's (lifecycle phase/builder.go). */
	if (rc == 0)
		rc = cnb__rm_rf(sbom, err);
	if (rc == 0 && cnb__lifecycle_env_init_build(&b.env, in->environ) < 0)
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cnb__lifecycle_target_data_load(&b.target, in->analyzed_path, err);
	_cleanup_free_ cnb__lifecycle_bp_descriptor **bps = rc == 0 ? calloc(n_group + 1, sizeof(*bps)) : NULL;
	if (rc == 0 && !bps)
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (rc == 0)
		rc = load_group(bps, in, group, n_group, exit_code, err);
	for (size_t i = 0; rc == 0 && i < n_group; i++)
		rc = build_one(&b, bps[i], exit_code, err);
	/* Platform >= 0.9: the legacy BOM always goes to sbom.legacy.json, `null` when empty. */
	if (rc == 0)
		rc = write_legacy_bom(&b, sbom, err);
	if (rc == 0)
		rc = cnb__mkdir_p(config, 0755, err);
	if (rc == 0)
		rc = cnb__lifecycle_launch_toml_write_metadata(metadata, &b.launch, group, n_group, err);
	if (rc == 0)
		*exit_code = CNB_LC_EXIT_OK;
	for (size_t i = 0; i < n_group; i++) {
		cnb__lifecycle_group_elem_free(&group[i]);
		if (bps)
			cnb__lifecycle_bp_descriptor_free(bps[i]);
	}
	free(group);
	cnb__toml_free(b.plan);
	free(b.plan_done);
	cnb__lifecycle_env_free(&b.env);
	cnb__lifecycle_target_free(&b.target);
	cnb__lifecycle_launch_toml_free(&b.launch);
	json_decref(b.launch_bom);
	json_decref(b.build_bom);
	return rc;
}
