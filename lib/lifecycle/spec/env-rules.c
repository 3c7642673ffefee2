/* Environment modification rules (buildpack.md "Environment Variable Modification Rules"). */
#include "env-rules.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/dir-list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cnb__lifecycle_env_free(cnb__lifecycle_env *env)
{
	cnb__strv_list_free(&env->vars);
}

static ssize_t find(const cnb__lifecycle_env *env, const char *name, size_t name_len)
{
	for (size_t i = 0; i < env->vars.n; i++)
		if (!strncmp(env->vars.v[i], name, name_len) && env->vars.v[i][name_len] == '=')
			return (ssize_t)i;
	return -1;
}

const char *cnb__lifecycle_env_get(const cnb__lifecycle_env *env, const char *name)
{
	ssize_t i = find(env, name, strlen(name));
	return i < 0 ? NULL : env->vars.v[i] + strlen(name) + 1;
}

int cnb__lifecycle_env_setn(cnb__lifecycle_env *env, const char *name, const char *value, size_t value_len)
{
	size_t name_len = strlen(name);
	char *entry = malloc(name_len + value_len + 2);
	if (!entry)
		return CNB_ENOMEM;
	memcpy(entry, name, name_len);
	entry[name_len] = '=';
	memcpy(entry + name_len + 1, value, value_len);
	entry[name_len + 1 + value_len] = '\0';
	ssize_t i = find(env, name, name_len);
	if (i >= 0) {
		free(env->vars.v[i]);
		env->vars.v[i] = entry;
		return 0;
	}
	return cnb__strv_push_take(&env->vars, entry);
}

int cnb__lifecycle_env_set(cnb__lifecycle_env *env, const char *name, const char *value)
{
	return cnb__lifecycle_env_setn(env, name, value, strlen(value));
}

int cnb__lifecycle_env_copy(cnb__lifecycle_env *dst, const cnb__lifecycle_env *src)
{
	for (size_t i = 0; i < src->vars.n; i++) {
		const char *eq = strchr(src->vars.v[i], '=');
		_cleanup_free_ char *name = strndup(src->vars.v[i], (size_t)(eq - src->vars.v[i]));
		if (!name || cnb__lifecycle_env_set(dst, name, eq + 1) < 0)
			return CNB_ENOMEM;
	}
	return 0;
}

char *const *cnb__lifecycle_env_envp(const cnb__lifecycle_env *env)
{
	return cnb__strv_argv(&env->vars);
}

/* The POSIX path variables a layer root dir feeds (lifecycle env/build.go). */
static const char *const path_vars[] = { "PATH", "LD_LIBRARY_PATH", "LIBRARY_PATH", "CPATH", "PKG_CONFIG_PATH" };

int cnb__lifecycle_env_init_build(cnb__lifecycle_env *env, char *const *environ)
{
	static const char *const allowed[] = { "HOME", "HOSTNAME", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
					       "https_proxy", "NO_PROXY", "no_proxy", "CNB_STACK_ID" };
	for (; environ && *environ; environ++) {
		const char *eq = strchr(*environ, '=');
		if (!eq)
			continue;
		size_t len = (size_t)(eq - *environ);
		bool keep = false;
		for (size_t i = 0; i < CNB_ARRAY_SIZE(allowed) && !keep; i++)
			keep = strlen(allowed[i]) == len && !strncmp(allowed[i], *environ, len);
		for (size_t i = 0; i < CNB_ARRAY_SIZE(path_vars) && !keep; i++)
			keep = strlen(path_vars[i]) == len && !strncmp(path_vars[i], *environ, len);
		if (!keep)
			continue;
		_cleanup_free_ char *name = strndup(*environ, len);
		if (!name || cnb__lifecycle_env_set(env, name, eq + 1) < 0)
			return CNB_ENOMEM;
	}
	return 0;
}

int cnb__lifecycle_env_modify(cnb__lifecycle_env *env, const char *name, cnb__lifecycle_env_action action, const char *value, size_t value_len,
		    const char *delim)
{
	const char *cur = cnb__lifecycle_env_get(env, name);
	bool empty = !cur || !*cur; /* "empty counts as unset" for default, prepend and append */
	switch (action) {
	case CNB_ENV_OVERRIDE:
		return cnb__lifecycle_env_setn(env, name, value, value_len);
	case CNB_ENV_DEFAULT:
		return empty ? cnb__lifecycle_env_setn(env, name, value, value_len) : 0;
	case CNB_ENV_PREPEND:
	case CNB_ENV_APPEND:
		break;
	}
	if (empty)
		return cnb__lifecycle_env_setn(env, name, value, value_len);
	size_t cur_len = strlen(cur), delim_len = strlen(delim);
	_cleanup_free_ char *joined = malloc(cur_len + delim_len + value_len + 1);
	if (!joined)
		return CNB_ENOMEM;
	char *p = joined;
	if (action == CNB_ENV_PREPEND) {
		p = mempcpy(mempcpy(mempcpy(p, value, value_len), delim, delim_len), cur, cur_len);
	} else {
		p = mempcpy(mempcpy(mempcpy(p, cur, cur_len), delim, delim_len), value, value_len);
	}
	return cnb__lifecycle_env_setn(env, name, joined, (size_t)(p - joined));
}

typedef struct list_opts {
	bool follow;
} list_opts;

/* Regular files, or with `follow` symlinks to them too; subdirectories are skipped. */
static bool is_env_file(int dirfd, const char *name, void *ud)
{
	const list_opts *o = ud;
	struct stat st;
	return fstatat(dirfd, name, &st, o->follow ? 0 : AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int cnb__lifecycle_env_read_file(int dirfd, const char *dir, const char *name, bool follow, char **out, size_t *len,
			 cnb_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s/%s", dir, name);
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > CNB_ENV_FILE_MAX)
		return cnb__error_set(err, CNB_EUNSAFE, "%s/%s: not a regular file of at most %u bytes", dir, name,
				      CNB_ENV_FILE_MAX);
	_cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = cnb__read_some(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0)
			return cnb__error_errno(err, CNB_EIO, errno, "read %s/%s", dir, name);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = TAKE_PTR(buf);
	*len = got;
	return 0;
}

static bool parse_suffix(const char *suffix, cnb__lifecycle_env_action no_suffix, cnb__lifecycle_env_action *action)
{
	if (!suffix) {
		*action = no_suffix;
		return true;
	}
	static const struct {
		const char *name;
		cnb__lifecycle_env_action action;
	} table[] = {
		{ "override", CNB_ENV_OVERRIDE },
		{ "default", CNB_ENV_DEFAULT },
		{ "prepend", CNB_ENV_PREPEND },
		{ "append", CNB_ENV_APPEND },
	};
	for (size_t i = 0; i < CNB_ARRAY_SIZE(table); i++)
		if (!strcmp(suffix, table[i].name)) {
			*action = table[i].action;
			return true;
		}
	return false; /* ".delim" and unknown suffixes do nothing by themselves */
}

int cnb__lifecycle_env_apply_dir(cnb__lifecycle_env *env, const char *dir, cnb__lifecycle_env_action no_suffix, bool follow, cnb_error **err)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (dirfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return 0;
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", dir);
	}
	list_opts opts = { follow };
	char **files = NULL;
	size_t n_files = 0;
	int rc = cnb__dir_list_sorted(dirfd, dir, is_env_file, &opts, &files, &n_files, err);
	for (size_t i = 0; rc == 0 && i < n_files; i++) {
		const char *file = files[i];
		const char *dot = strchr(file, '.');
		cnb__lifecycle_env_action action;
		if (!parse_suffix(dot ? dot + 1 : NULL, no_suffix, &action) || dot == file)
			continue;
		_cleanup_free_ char *name = dot ? strndup(file, (size_t)(dot - file)) : strdup(file);
		_cleanup_free_ char *value = NULL, *delim = NULL, *delim_file = NULL;
		size_t value_len = 0, delim_len = 0;
		if (!name || asprintf(&delim_file, "%s.delim", name) < 0) {
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
			break;
		}
		if ((rc = cnb__lifecycle_env_read_file(dirfd, dir, file, follow, &value, &value_len, err)))
			break;
		/* The delimiter only counts when it sits in the same directory. */
		if (cnb__strv_contains(files, delim_file) &&
		    (rc = cnb__lifecycle_env_read_file(dirfd, dir, delim_file, follow, &delim, &delim_len, err)))
			break;
		if (cnb__lifecycle_env_modify(env, name, action, value, value_len, delim ? delim : "") < 0)
			rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	cnb__strv_free(files);
	return rc;
}

int cnb__lifecycle_env_add_root_dir(cnb__lifecycle_env *env, const char *layer_dir, bool build, cnb_error **err)
{
	static const struct {
		const char *sub;
		const char *var;
		bool launch;
	} map[] = {
		{ "bin", "PATH", true },
		{ "lib", "LD_LIBRARY_PATH", true },
		{ "lib", "LIBRARY_PATH", false },
		{ "include", "CPATH", false },
		{ "pkgconfig", "PKG_CONFIG_PATH", false },
	};
	for (size_t i = 0; i < CNB_ARRAY_SIZE(map); i++) {
		if (!build && !map[i].launch)
			continue;
		_cleanup_free_ char *path = cnb__path_join(layer_dir, map[i].sub);
		if (!path)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		struct stat st;
		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (cnb__lifecycle_env_modify(env, map[i].var, CNB_ENV_PREPEND, path, strlen(path), ":") < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

int cnb__lifecycle_env_apply_build_layer(cnb__lifecycle_env *env, const char *layer_dir, cnb_error **err)
{
	int rc = cnb__lifecycle_env_add_root_dir(env, layer_dir, true, err);
	static const char *const dirs[] = { "env", "env.build" };
	for (size_t i = 0; rc == 0 && i < CNB_ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *dir = cnb__path_join(layer_dir, dirs[i]);
		if (!dir)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		/* Every supported Buildpack API (>= 0.5) means override for a file without a suffix. */
		rc = cnb__lifecycle_env_apply_dir(env, dir, CNB_ENV_OVERRIDE, true, err);
	}
	return rc;
}
