/* Launch-time environment (platform.md "Launch Environment"; buildpack.md "Environment Variable Modification Rules"). */
#include "launch-env.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <stdlib.h>
#include <string.h>

/* lifecycle env/launch.go LaunchEnvExcludelist: inputs of the launcher, meaningless to the app. */
static const char *const excluded[] = { "CNB_LAYERS_DIR", "CNB_APP_DIR", "CNB_PROCESS_TYPE", "CNB_PLATFORM_API",
					"CNB_DEPRECATION_MODE" };

/* The exporter prefixes PATH with these (platform.md "exporter" › "Outputs"); the app must not find the launcher there. */
static const char *const launcher_path_dirs[] = { "/cnb/process", "/cnb/lifecycle" };

static bool name_is(const char *entry, size_t len, const char *name)
{
	return strlen(name) == len && !strncmp(entry, name, len);
}

static char *strip_launcher_dirs(const char *path)
{
	char *out = malloc(strlen(path) + 1), *p = out;
	if (!out)
		return NULL;
	for (const char *s = path;;) {
		const char *end = strchrnul(s, ':');
		size_t len = (size_t)(end - s);
		bool drop = false;
		for (size_t i = 0; i < CNB_ARRAY_SIZE(launcher_path_dirs); i++)
			drop = drop || name_is(s, len, launcher_path_dirs[i]);
		if (!drop) {
			if (p != out)
				*p++ = ':';
			p = mempcpy(p, s, len);
		}
		if (!*end)
			break;
		s = end + 1;
	}
	*p = '\0';
	return out;
}

int cnb__lifecycle_launch_env_init(cnb__lifecycle_env *env, char *const *environ)
{
	for (; environ && *environ; environ++) {
		const char *eq = strchr(*environ, '=');
		if (!eq || eq == *environ)
			continue;
		size_t len = (size_t)(eq - *environ);
		bool skip = false;
		for (size_t i = 0; i < CNB_ARRAY_SIZE(excluded); i++)
			skip = skip || name_is(*environ, len, excluded[i]);
		if (skip)
			continue;
		_cleanup_free_ char *name = strndup(*environ, len);
		_cleanup_free_ char *value = name_is(*environ, len, "PATH") ? strip_launcher_dirs(eq + 1) : strdup(eq + 1);
		if (!name || !value || cnb__lifecycle_env_set(env, name, value) < 0)
			return CNB_ENOMEM;
	}
	return 0;
}

/* env/, env.launch/, env.launch/<type>/ of one layer (buildpack.md "Environment Variable Modification Rules"). */
static int apply_env_files(cnb__lifecycle_env *env, const char *layer_dir, const char *type, cnb_error **err)
{
	_cleanup_free_ char *common = cnb__path_join(layer_dir, "env");
	_cleanup_free_ char *launch = cnb__path_join(layer_dir, "env.launch");
	_cleanup_free_ char *typed = launch && *type ? cnb__path_join(launch, type) : NULL;
	if (!common || !launch || (*type && !typed))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	const char *dirs[] = { common, launch, typed };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(dirs) && dirs[i]; i++) {
		/* No suffix = override for every supported Buildpack API; symlinks followed as lifecycle env/env.go does. */
		int rc = cnb__lifecycle_env_apply_dir(env, dirs[i], CNB_ENV_OVERRIDE, true, err);
		if (rc) {
			cnb__error_prefix(err, "layer %s", layer_dir);
			return rc;
		}
	}
	return 0;
}

int cnb__lifecycle_launch_env_apply_layers(cnb__lifecycle_env *env, const cnb__lifecycle_launch_layers *layers, const char *type,
				 cnb_error **err)
{
	/* One buildpack at a time: all of its root dirs before any of its env files (lifecycle launch doEnv). */
	for (size_t first = 0, end; first < layers->n; first = end) {
		for (end = first; end < layers->n && layers->v[end].bp == layers->v[first].bp; end++) {
			int rc = cnb__lifecycle_env_add_root_dir(env, layers->v[end].dir, false, err);
			if (rc)
				return rc;
		}
		for (size_t i = first; i < end; i++) {
			int rc = apply_env_files(env, layers->v[i].dir, type, err);
			if (rc)
				return rc;
		}
	}
	return 0;
}
