/*
 * Command line and environment of `cnb-lifecycle export`, in the reference lifecycle's style
 * (lifecycle cmd/lifecycle/exporter.go): Go flags, a flag wins over its CNB_* variable, then the
 * platform defaults. The export itself is lib/lifecycle/exporter.
 */
#include "export-flags.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/exporter/export.h"
#include "lib/lifecycle/phases/phase.h"
#include "lib/lifecycle/spec/api-version.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct raw_flags {
	const char *layers, *app, *group, *analyzed, *launcher, *process_type, *uid, *gid, *out, *cache,
		*project_metadata;
} raw_flags;

static const struct flag_def {
	const char *name;
	size_t offset;
	bool boolean;
} flag_defs[] = {
	{ "layers", offsetof(raw_flags, layers), false },
	{ "app", offsetof(raw_flags, app), false },
	{ "group", offsetof(raw_flags, group), false },
	{ "analyzed", offsetof(raw_flags, analyzed), false },
	{ "launcher", offsetof(raw_flags, launcher), false },
	{ "process-type", offsetof(raw_flags, process_type), false },
	{ "uid", offsetof(raw_flags, uid), false },
	{ "gid", offsetof(raw_flags, gid), false },
	{ "out", offsetof(raw_flags, out), false },
	{ "cache", offsetof(raw_flags, cache), true },
	{ "project-metadata", offsetof(raw_flags, project_metadata), false },
};

static const char usage[] =
	"usage: cnb-lifecycle export [-layers DIR] [-app DIR] [-group FILE] [-analyzed FILE] [-launcher FILE]\n"
	"                            [-process-type TYPE] [-uid UID] [-gid GID] [-out DIR] [-cache]\n"
	"                            [-project-metadata FILE]\n";

/* Go strconv.ParseBool. */
static int parse_bool(const char *s, bool *out)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(t); i++) {
		if (!strcmp(s, t[i]))
			return *out = true, 0;
		if (!strcmp(s, f[i]))
			return *out = false, 0;
	}
	return -1;
}

/* Go flag syntax: -name value, -name=value, --name; booleans take no separate value. */
static int parse_flags(raw_flags *f, int argc, char **argv, cnb_error **err)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-' || !arg[1])
			return cnb__error_set(err, CNB_EINVAL, "unexpected argument '%s'\n%s", arg, usage);
		if (!strcmp(arg, "--")) {
			if (i + 1 < argc)
				return cnb__error_set(err, CNB_EINVAL, "unexpected argument '%s'\n%s", argv[i + 1], usage);
			break;
		}
		const char *name = arg + (arg[1] == '-' ? 2 : 1);
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct flag_def *def = NULL;
		for (size_t k = 0; k < CNB_ARRAY_SIZE(flag_defs); k++)
			if (strlen(flag_defs[k].name) == len && !strncmp(flag_defs[k].name, name, len))
				def = &flag_defs[k];
		if (!def)
			return cnb__error_set(err, CNB_EINVAL, "unknown flag '%s'\n%s", arg, usage);
		const char **slot = (const char **)((char *)f + def->offset);
		if (eq)
			*slot = eq + 1;
		else if (def->boolean)
			*slot = "true";
		else if (i + 1 < argc)
			*slot = argv[++i];
		else
			return cnb__error_set(err, CNB_EINVAL, "flag -%s needs a value\n%s", def->name, usage);
	}
	return 0;
}

static int parse_id(const char *text, const char *what, uint32_t *out, cnb_error **err)
{
	char *end;
	errno = 0;
	unsigned long v = text && *text ? strtoul(text, &end, 10) : 0;
	if (text && *text && (errno || *end || v > UINT32_MAX || text[0] == '-'))
		return cnb__error_set(err, CNB_EINVAL, "%s '%s' is not a numeric id", what, text);
	*out = (uint32_t)v;
	return 0;
}

/* An absolute path without trailing slashes (the image's paths are built from it). */
static int absolute_dir(char **out, const char *path, const char *flag, cnb_error **err)
{
	if (!*path)
		return cnb__error_set(err, CNB_EINVAL, "-%s must not be empty", flag);
	char cwd[PATH_MAX];
	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return cnb__error_errno(err, CNB_EIO, errno, "getcwd");
	char *p = path[0] == '/' ? strdup(path) : cnb__path_join(cwd, path);
	if (!p)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	for (size_t len = strlen(p); len > 1 && p[len - 1] == '/'; len--)
		p[len - 1] = '\0';
	*out = p;
	return 0;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

static int resolve_opts(cnb__lifecycle_export_opts *o, const raw_flags *f, cnb_error **err)
{
	int r;
	if ((r = absolute_dir(&o->layers_dir, f->layers ? f->layers : env_or("CNB_LAYERS_DIR", "/layers"), "layers",
			      err)) < 0 ||
	    (r = absolute_dir(&o->app_dir, f->app ? f->app : env_or("CNB_APP_DIR", "/workspace"), "app", err)) < 0 ||
	    (r = absolute_dir(&o->out_dir, f->out ? f->out : "/cnb/out", "out", err)) < 0)
		return r;
	/* flag, then CNB_* variable, then <layers>/ (lifecycle cmd/lifecycle/cli/flags.go) */
	const char *group = f->group ? f->group : getenv("CNB_GROUP_PATH");
	const char *analyzed = f->analyzed ? f->analyzed : getenv("CNB_ANALYZED_PATH");
	o->group_path = group && *group ? strdup(group) : cnb__path_join(o->layers_dir, "group.toml");
	o->analyzed_path = analyzed && *analyzed ? strdup(analyzed) : cnb__path_join(o->layers_dir, "analyzed.toml");
	o->project_metadata_path = f->project_metadata ? strdup(f->project_metadata)
						       : cnb__path_join(o->layers_dir, "project-metadata.toml");
	o->launcher_path = strdup(f->launcher ? f->launcher : "/cnb/libcnb/cnb-launcher");
	if (!o->group_path || !o->analyzed_path || !o->project_metadata_path || !o->launcher_path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	o->process_type = f->process_type ? f->process_type : getenv("CNB_PROCESS_TYPE");
	o->exec_env = env_or("CNB_EXEC_ENV", "production");
	if ((r = parse_id(f->uid ? f->uid : getenv("CNB_USER_ID"), "-uid (CNB_USER_ID)", &o->uid, err)) < 0 ||
	    (r = parse_id(f->gid ? f->gid : getenv("CNB_GROUP_ID"), "-gid (CNB_GROUP_ID)", &o->gid, err)) < 0)
		return r;
	if (f->cache && parse_bool(f->cache, &o->cache) < 0)
		return cnb__error_set(err, CNB_EINVAL, "-cache: '%s' is not a boolean", f->cache);
	return 0;
}

static void opts_free(cnb__lifecycle_export_opts *o)
{
	free(o->layers_dir);
	free(o->app_dir);
	free(o->out_dir);
	free(o->group_path);
	free(o->analyzed_path);
	free(o->project_metadata_path);
	free(o->launcher_path);
}

/* The lifecycle has no default Platform API (platform.md "Platform API Compatibility"). */
static int check_platform_api(cnb__lifecycle_export_opts *o, cnb_error **err)
{
	const char *api_text = getenv("CNB_PLATFORM_API");
	cnb__lifecycle_api api;
	if (!api_text || !*api_text)
		return cnb__error_set(err, CNB_EUNSUPPORTED, "CNB_PLATFORM_API is not set; supported: %s",
				      CNB_PLATFORM_API_RANGE);
	int r = cnb__lifecycle_api_check_platform(api_text, &api, err);
	if (r < 0)
		return r;
	o->platform_api = api_text;
	o->platform_at_least_0_15 = cnb__lifecycle_api_at_least(api, 0, 15);
	return 0;
}

int lc_export_main(int argc, char **argv)
{
	cnb_error *err = NULL;
	raw_flags flags = { 0 };
	cnb__lifecycle_export_opts opts = { 0 };
	int exit_code = CNB_LC_EXIT_INVALID_ARGS;
	int r = parse_flags(&flags, argc, argv, &err);
	if (r >= 0)
		r = resolve_opts(&opts, &flags, &err);
	if (r >= 0) {
		exit_code = CNB_LC_EXIT_PLATFORM_API;
		r = check_platform_api(&opts, &err);
	}
	if (r >= 0) {
		exit_code = CNB_LC_EXIT_EXPORT;
		r = cnb__lifecycle_export_run(&opts, &err);
	}
	opts_free(&opts);
	if (r >= 0)
		return CNB_LC_EXIT_OK;
	fprintf(stderr, "ERROR: export: %s\n", cnb_error_message(err));
	cnb_error_free(err);
	return exit_code;
}
