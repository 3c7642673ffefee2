/*
 * cnb-launcher: the entrypoint of every exported image, installed as /cnb/lifecycle/launcher and
 * reached through the /cnb/process/<type> symlinks (platform.md "launcher"). It reads
 * <layers>/config/metadata.toml, picks the process, builds its environment (layer env files,
 * exec.d) and replaces itself with it. Static, and needs no shell for direct processes.
 */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/api-version.h"
#include "lib/lifecycle/spec/env-rules.h"
#include "lib/lifecycle/launcher/launch-env.h"
#include "lib/lifecycle/launcher/launch-exec.h"
#include "lib/lifecycle/launcher/launch-execd.h"
#include "lib/lifecycle/launcher/launch-layers.h"
#include "lib/lifecycle/launcher/launch-metadata.h"
#include "lib/lifecycle/launcher/launch-process.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit codes of platform.md "Usage" (lifecycle platform/launch/exit.go, lifecycle cmd/exit.go). */
enum {
	EXIT_FAILED = 1,        /* generic failure: metadata.toml unreadable */
	EXIT_PLATFORM_API = 11, /* CNB_PLATFORM_API unset or unsupported */
	EXIT_BUILDPACK_API = 12,
	EXIT_LAUNCH = 82,       /* any launch error before the exec */
};

extern char **environ;

static int fail(int code, const char *action, cnb_error *err)
{
	fprintf(stderr, "ERROR: failed to %s: %s\n", action, cnb_error_message(err));
	cnb_error_free(err);
	return code;
}

/* CNB_* inputs with their defaults (lifecycle platform/launch/defaults.go); an empty value means unset. */
static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

/* The exporter writes absolute paths; a relative one is pinned now, before the chdir to <app>. */
static char *absolute_dir(const char *dir)
{
	if (dir[0] == '/')
		return strdup(dir);
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	return cwd ? cnb__path_join(cwd, dir) : NULL;
}

/* Everything after the process is chosen; returns only on failure (exit 82). */
static int launch(const cnb__lifecycle_launch_metadata *md, const cnb__lifecycle_launch_proc *proc, const char *layers_dir,
		  const char *app_dir, const char *caller, cnb_error **err)
{
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	_cleanup_launch_layers_ cnb__lifecycle_launch_layers layers = { NULL, 0 };
	int rc;
	if (chdir(app_dir) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "change to app directory %s", app_dir);
	if (cnb__lifecycle_launch_env_init(&env, environ) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if ((rc = cnb__lifecycle_launch_layers_find(&layers, md, layers_dir, err)))
		return rc;
	if ((rc = cnb__lifecycle_launch_env_apply_layers(&env, &layers, proc->type, err))) {
		cnb__error_prefix(err, "modify env");
		return rc;
	}
	if ((rc = cnb__lifecycle_launch_execd_run_layers(&env, &layers, proc->type, err))) {
		cnb__error_prefix(err, "exec.d");
		return rc;
	}
	return cnb__lifecycle_launch_exec(proc, &env, &layers, app_dir, caller, err);
}

int main(int argc, char **argv)
{
	cnb_error *err = NULL;
	const char *caller = argc > 0 ? argv[0] : "launcher";

	/* platform.md "Platform API Compatibility": the launcher has no default Platform API (lifecycle cmd/apis.go). */
	const char *platform_text = getenv("CNB_PLATFORM_API");
	cnb__lifecycle_api platform;
	if (!platform_text || !*platform_text) {
		cnb__error_set(&err, CNB_EUNSUPPORTED,
			       "CNB_PLATFORM_API is not set; the image Env must set it (the exporter does), "
			       "supported: %s",
			       CNB_PLATFORM_API_RANGE);
		return fail(EXIT_PLATFORM_API, "verify platform API", err);
	}
	if (cnb__lifecycle_api_check_platform(platform_text, &platform, &err))
		return fail(EXIT_PLATFORM_API, "verify platform API", err);

	_cleanup_free_ char *layers_dir = absolute_dir(env_or("CNB_LAYERS_DIR", "/layers"));
	_cleanup_free_ char *app_dir = absolute_dir(env_or("CNB_APP_DIR", "/workspace"));
	const char *exec_env = env_or("CNB_EXEC_ENV", "production");
	if (!layers_dir || !app_dir) {
		cnb__error_set(&err, CNB_ENOMEM, "out of memory");
		return fail(EXIT_LAUNCH, "launch", err);
	}

	/* Removed after Platform API 0.3: the process type comes from the entrypoint. */
	const char *legacy_type = getenv("CNB_PROCESS_TYPE");
	if (legacy_type && *legacy_type)
		fprintf(stderr,
			"Warning: CNB_PROCESS_TYPE is not supported in Platform API %s and is ignored; run with "
			"ENTRYPOINT '/cnb/process/%s' to invoke the '%s' process type\n",
			platform_text, legacy_type, legacy_type);

	_cleanup_launch_metadata_ cnb__lifecycle_launch_metadata *md = NULL;
	int rc = cnb__lifecycle_launch_metadata_load(&md, layers_dir, &err);
	if (rc == CNB_EUNSUPPORTED)
		return fail(EXIT_BUILDPACK_API, "verify buildpack API", err);
	if (rc)
		return fail(EXIT_FAILED, "read metadata", err);

	_cleanup_launch_proc_ cnb__lifecycle_launch_proc proc = { 0 };
	if (cnb__lifecycle_launch_process_select(&proc, md, platform, exec_env, caller, argc > 1 ? argv + 1 : NULL,
				       argc > 1 ? (size_t)argc - 1 : 0, &err)) {
		cnb__error_prefix(&err, "determine start command");
		return fail(EXIT_LAUNCH, "launch", err);
	}
	launch(md, &proc, layers_dir, app_dir, caller, &err);
	return fail(EXIT_LAUNCH, "launch", err);
}
