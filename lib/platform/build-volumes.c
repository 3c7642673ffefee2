/* --volume specs and service bindings, checked on the host before the build starts. */
#include "build-volumes.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cnb__platform_volumes_free(cnb__platform_volume *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].host);
		free(v[i].target);
	}
	free(v);
}

/* `path` with "//" and a trailing "/" removed; NULL (errno EINVAL) for a relative path or a "."/".." component. */
static char *normalise(const char *path)
{
	if (path[0] != '/') {
		errno = EINVAL;
		return NULL;
	}
	char *out = malloc(strlen(path) + 2), *o = out;
	if (!out)
		return NULL;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (!len)
			break;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
			free(out);
			errno = EINVAL;
			return NULL;
		}
		*o++ = '/';
		memcpy(o, p, len);
		o += len;
		p += len;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

/* Whether `path` is `dir` or below it (both normalised). */
static bool within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static const char *env_value(const char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], name, n) && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

/* The binding's `type` (a file, or a link as Kubernetes projects them: never followed here). */
static int check_binding(const cnb__platform_volume *v, const char *spec, cnb_error **err)
{
	_cleanup_close_ int dfd = open(v->host, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (dfd < 0 || fstatat(dfd, "type", &st, AT_SYMLINK_NOFOLLOW) < 0 || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
		return cnb__error_set(err, CNB_EINVAL,
				      "--volume %s: a service binding needs a `type` file (and may have `provider` and "
				      "entries): %s/type is missing", spec, v->host);
	return 0;
}

static int parse_one(const char *spec, const char *bindings_root, const char *workspace, cnb__platform_volume *v, cnb_error **err)
{
	/* HOST:TARGET[:ro|:rw]; a HOST or TARGET with ':' cannot be written, as with pack and docker. */
	_cleanup_free_ char *copy = strdup(spec);
	if (!copy)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	char *target = strchr(copy, ':'), *mode = target ? strchr(target + 1, ':') : NULL;
	if (!target || target == copy || !target[1] || (mode && strcmp(mode + 1, "ro") && strcmp(mode + 1, "rw")))
		return cnb__error_set(err, CNB_EINVAL, "--volume %s: expected HOST:TARGET[:ro|:rw]", spec);
	*target++ = '\0';
	if (mode)
		*mode++ = '\0';
	v->read_only = !mode || !strcmp(mode, "ro");
	char cwd[PATH_MAX];
	if (copy[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return cnb__error_errno(err, CNB_EIO, errno, "--volume %s: current directory", spec);
	_cleanup_free_ char *host = NULL;
	if (copy[0] != '/' && asprintf(&host, "%s/%s", cwd, copy) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (!(v->host = normalise(host ? host : copy)))
		return cnb__error_set(err, errno == EINVAL ? CNB_EINVAL : CNB_ENOMEM,
				      "--volume %s: the host path must not contain \".\" or \"..\"", spec);
	if (!(v->target = normalise(target)))
		return cnb__error_set(err, errno == EINVAL ? CNB_EINVAL : CNB_ENOMEM,
				      "--volume %s: the target must be an absolute path without \".\" or \"..\"", spec);
	const char *const reserved[] = { "/layers", workspace, "/cnb" };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(reserved); i++)
		if (within(v->target, reserved[i]))
			return cnb__error_set(err, CNB_EINVAL,
					      "--volume %s: %s belongs to the lifecycle (what is there may end up in the "
					      "image): mount the volume elsewhere, e.g. /platform/bindings/NAME", spec,
					      reserved[i]);
	if (!strcmp(v->target, "/") || !strcmp(v->target, "/platform") || within(v->target, "/platform/env"))
		return cnb__error_set(err, CNB_EINVAL, "--volume %s: cannot mount over %s", spec, v->target);
	struct stat st;
	_cleanup_close_ int fd = open(v->host, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return cnb__error_errno(err, CNB_EINVAL, errno,
					"--volume %s: host directory %s (it must exist, and not be a symlink)", spec, v->host);
	const char *slash = strrchr(v->target, '/');
	v->binding = slash != v->target && !strncmp(v->target, bindings_root, (size_t)(slash - v->target)) &&
		     bindings_root[slash - v->target] == '\0';
	return v->binding ? check_binding(v, spec, err) : 0;
}

int cnb__platform_volumes_parse(const char *const *specs, const char *const *env, const char *workspace, cnb__platform_volume **out,
		       size_t *out_n, cnb_error **err)
{
	*out = NULL;
	*out_n = 0;
	size_t n = 0;
	while (specs && specs[n])
		n++;
	const char *root_env = env_value(env, "SERVICE_BINDING_ROOT");
	_cleanup_free_ char *root = normalise(root_env && *root_env ? root_env : CNB_BINDINGS_DEFAULT_ROOT);
	if (!root)
		return cnb__error_set(err, CNB_EINVAL, "SERVICE_BINDING_ROOT=%s: must be an absolute path without \".\" or \"..\"",
				      root_env);
	cnb__platform_volume *v = calloc(n + 1, sizeof(*v));
	if (!v)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = parse_one(specs[i], root, workspace ? workspace : "/workspace", &v[i], err);
		for (size_t j = 0; r == 0 && j < i; j++)
			if (!strcmp(v[i].target, v[j].target))
				r = cnb__error_set(err, CNB_EINVAL, "--volume %s and %s: both mount on %s", specs[j], specs[i],
						   v[i].target);
	}
	if (r < 0) {
		cnb__platform_volumes_free(v, n);
		return r;
	}
	*out = v;
	*out_n = n;
	return 0;
}
