/* The build plan bin/detect writes (buildpack.md "Build Plan (TOML)", platform.md "Data Format"). */
#include "build-plan.h"

#include "lib/common/error-internal.h"

#include <stdlib.h>
#include <string.h>

static int add_require(cnb__lifecycle_plan_option *o, const cnb_toml *req, const char *who, cnb_error **err)
{
	const char *name = cnb__toml_get_string(req, "name");
	if (!name || !*name)
		return cnb__error_set(err, CNB_EPARSE, "%s: every [[requires]] needs a `name`", who);
	/* buildpack.md "Deprecations" › "requires.version": a top-level version is an error (lifecycle buildpack/detect.go). */
	if (cnb__toml_get(req, "version"))
		return cnb__error_set(err, CNB_EPARSE,
				      "%s: requires `%s` has a top-level `version`; put it in [requires.metadata]", who,
				      name);
	cnb__lifecycle_plan_require *r = &o->requires[o->n_requires];
	const cnb_toml *meta = cnb__toml_get(req, "metadata");
	r->name = strdup(name);
	r->metadata = meta ? cnb__toml_clone(meta) : NULL;
	o->n_requires++;
	return r->name && (!meta || r->metadata) ? 0 : cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

static int parse_option(cnb__lifecycle_plan_option *o, const cnb_toml *t, const char *who, cnb_error **err)
{
	const cnb_toml *provides = cnb__toml_get(t, "provides"), *requires = cnb__toml_get(t, "requires");
	size_t np = cnb__toml_len(provides), nr = cnb__toml_len(requires);
	o->provides = calloc(np + 1, sizeof(*o->provides));
	o->requires = calloc(nr + 1, sizeof(*o->requires));
	if (!o->provides || !o->requires)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; i < np; i++) {
		const char *name = cnb__toml_get_string(cnb__toml_at(provides, i), "name");
		if (!name || !*name)
			return cnb__error_set(err, CNB_EPARSE, "%s: every [[provides]] needs a `name`", who);
		if (!(o->provides[o->n_provides++] = strdup(name)))
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nr; i++) {
		int rc = add_require(o, cnb__toml_at(requires, i), who, err);
		if (rc)
			return rc;
	}
	return 0;
}

int cnb__lifecycle_build_plan_parse(cnb__lifecycle_detect_run *run, const cnb_toml *doc, const char *who, cnb_error **err)
{
	int rc = 0;
	const cnb_toml *ors = cnb__toml_get(doc, "or");
	size_t n = 1 + cnb__toml_len(ors);
	if (!(run->options = calloc(n, sizeof(*run->options))))
		rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		run->n_options++;
		rc = parse_option(&run->options[i], i ? cnb__toml_at(ors, i - 1) : doc, who, err);
	}
	return rc;
}

int cnb__lifecycle_build_plan_load(cnb__lifecycle_detect_run *run, const char *path, const char *who, cnb_error **err)
{
	_cleanup_toml_ cnb_toml *doc = NULL;
	int rc = cnb__toml_parse_file(&doc, path, err);
	return rc < 0 ? rc : cnb__lifecycle_build_plan_parse(run, doc, who, err);
}

