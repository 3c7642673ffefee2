/* User, operator and CNB_* environment of buildpack executables (platform.md "Buildpack Environment"). */
#include "platform-env.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/spec/target-data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool is_path_var(const char *name)
{
	static const char *const vars[] = { "PATH", "LD_LIBRARY_PATH", "LIBRARY_PATH", "CPATH", "PKG_CONFIG_PATH" };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(vars); i++)
		if (!strcmp(name, vars[i]))
			return true;
	return false;
}

static bool is_file(int dirfd, const char *name, void *ud)
{
	struct stat st;
	return fstatat(dirfd, name, &st, 0) == 0 && S_ISREG(st.st_mode);
}

int cnb__lifecycle_platform_env_apply_user(cnb__lifecycle_env *env, const char *platform_dir, cnb_error **err)
{
	_cleanup_free_ char *dir = cnb__path_join(platform_dir, "env");
	if (!dir)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : cnb__error_errno(err, CNB_EIO, errno, "open %s", dir);
	char **names = NULL;
	size_t n = 0;
	/* The platform's dir: symlinks are followed (Kubernetes mounts secrets as links). */
	int rc = cnb__dir_list_sorted(dirfd, dir, is_file, NULL, &names, &n, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		_cleanup_free_ char *value = NULL;
		size_t len = 0;
		if ((rc = cnb__lifecycle_env_read_file(dirfd, dir, names[i], true, &value, &len, err)))
			break;
		const char *cur = cnb__lifecycle_env_get(env, names[i]);
		if (is_path_var(names[i])) {
			/* Always "value:" + current, even when current is empty (lifecycle env/env.go). */
			_cleanup_free_ char *joined = NULL;
			if (asprintf(&joined, "%s:%s", value, cur ? cur : "") < 0 ||
			    cnb__lifecycle_env_set(env, names[i], joined) < 0)
				rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		} else if (cnb__lifecycle_env_setn(env, names[i], value, len) < 0) {
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
		}
	}
	cnb__strv_free(names);
	return rc;
}

int cnb__lifecycle_platform_env_for_buildpack(cnb__lifecycle_env *out, const cnb__lifecycle_env *base, const cnb__lifecycle_bp_descriptor *bp,
				    const cnb__lifecycle_phase_inputs *in, const cnb__lifecycle_target *target, cnb_error **err)
{
	if (cnb__lifecycle_env_copy(out, base) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = 0;
	if (!bp->clear_env && (rc = cnb__lifecycle_platform_env_apply_user(out, in->platform_dir, err)))
		return cnb__error_prefix(err, "platform env");
	if (in->build_config_dir) {
		_cleanup_free_ char *dir = cnb__path_join(in->build_config_dir, "env");
		if (!dir)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		/* platform.md "Operator-Defined Variables": no suffix means default here. */
		if ((rc = cnb__lifecycle_env_apply_dir(out, dir, CNB_ENV_DEFAULT, true, err)))
			return cnb__error_prefix(err, "build-config env");
	}
	/* image_extension.md "Detection": extensions get CNB_EXTENSION_DIR instead. */
	rc = cnb__lifecycle_env_set(out, bp->extension ? "CNB_EXTENSION_DIR" : "CNB_BUILDPACK_DIR", bp->dir);
	if (!rc && cnb__lifecycle_api_at_least(bp->api, 0, 8))
		rc = cnb__lifecycle_env_set(out, "CNB_PLATFORM_DIR", in->platform_dir);
	if (!rc && cnb__lifecycle_api_at_least(bp->api, 0, 10) && target)
		rc = cnb__lifecycle_target_data_env(out, target);
	if (!rc && cnb__lifecycle_api_at_least(bp->api, 0, 12))
		rc = cnb__lifecycle_env_set(out, "CNB_EXEC_ENV", in->exec_env ? in->exec_env : "production");
	return rc ? cnb__error_set(err, CNB_ENOMEM, "out of memory") : 0;
}
