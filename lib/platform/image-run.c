/* cnb_image_run: an image's entrypoint in the VM over its cached rootfs. */
#include <cnb/image.h>
#include "lib/api/ctx-internal.h"
#include "lib/api/opts.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"
#include "lib/export/image-config.h"
#include "job-files.h"
#include "lib/rootfs/rootfs-image.h"
#include "lib/executor/executor.h"
#include "oci/image.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PASSWD_MAX (1u << 20)

/* Looks NAME up in <rootfs>/etc/passwd or /etc/group and returns numeric field `field` (1-based
 * after the name: 1 = uid or gid, 2 = a passwd entry's primary group). */
static int lookup_id(const char *rootfs, const char *file, const char *name, int field_no, uint32_t *out)
{
	_cleanup_free_ char *path = cnb__path_join(rootfs, file);
	_cleanup_free_ char *text = NULL;
	if (!path || cnb__read_file(path, PASSWD_MAX, &text, NULL, NULL) < 0)
		return -1;
	size_t len = strlen(name);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, name, len) || line[len] != ':')
			continue;
		char *field = line + len;
		for (int f = 0; field && f < field_no; f++)
			field = strchr(field + 1, ':');
		char *end = NULL;
		unsigned long id = field ? strtoul(field + 1, &end, 10) : 0;
		if (field && end != field + 1 && (*end == ':' || *end == '\0') && id <= UINT32_MAX) {
			*out = (uint32_t)id;
			return 0;
		}
	}
	return -1;
}

static int parse_id(const char *rootfs, const char *file, const char *text, uint32_t *out)
{
	char *end = NULL;
	unsigned long id = strtoul(text, &end, 10);
	if (*text && !*end && id <= UINT32_MAX) {
		*out = (uint32_t)id;
		return 0;
	}
	return lookup_id(rootfs, file, text, 1, out);
}

/* Config User: "", "uid", "name", "uid:gid", "name:group" (image-spec config). */
static int resolve_user(const char *rootfs, const char *user, uint32_t *uid, uint32_t *gid, cnb_error **err)
{
	*uid = *gid = 0;
	if (!user || !*user)
		return 0;
	_cleanup_free_ char *copy = strdup(user);
	if (!copy)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	char *colon = strchr(copy, ':');
	if (colon)
		*colon = '\0';
	if (parse_id(rootfs, "etc/passwd", copy, uid) < 0)
		return cnb__error_set(err, CNB_EINVAL, "image user '%s': not a number and not in /etc/passwd", user);
	if (colon)
		return parse_id(rootfs, "etc/group", colon + 1, gid) < 0
			       ? cnb__error_set(err, CNB_EINVAL, "image user '%s': group not a number and not in /etc/group", user)
			       : 0;
	/* No group given: the user's primary group from passwd, else gid = uid. */
	if (lookup_id(rootfs, "etc/passwd", copy, 2, gid) < 0)
		*gid = *uid;
	return 0;
}

static char **run_argv(const json_t *cc, const cnb_image_run_opts *opts)
{
	const json_t *entry = json_object_get(cc, "Entrypoint"), *cmd = json_object_get(cc, "Cmd");
	size_t n_args = 0;
	while (opts->args && opts->args[n_args])
		n_args++;
	size_t n = json_array_size(entry) + (n_args ? n_args : json_array_size(cmd)) + 1;
	char **argv = calloc(n + 1, sizeof(char *));
	size_t k = 0;
	if (!argv)
		return NULL;
	if (opts->process_type) {
		if (asprintf(&argv[k++], "/cnb/process/%s", opts->process_type) < 0)
			return NULL;
	} else {
		for (size_t i = 0; i < json_array_size(entry); i++)
			argv[k++] = strdup(json_string_value(json_array_get(entry, i)) ?: "");
	}
	if (n_args)
		for (size_t i = 0; i < n_args; i++)
			argv[k++] = strdup(opts->args[i]);
	else if (!opts->process_type)
		for (size_t i = 0; i < json_array_size(cmd); i++)
			argv[k++] = strdup(json_string_value(json_array_get(cmd, i)) ?: "");
	return argv;
}

static char **run_env(const json_t *cc, const cnb_image_run_opts *opts)
{
	json_t *env = json_deep_copy(json_object_get(cc, "Env"));
	if (!env)
		env = json_array();
	for (size_t i = 0; opts->env && opts->env[i]; i++)
		cnb__export_image_env_set(env, opts->env[i]);
	if (!cnb__export_image_env_get(env, "PATH"))
		cnb__export_image_env_set(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	char **out = calloc(json_array_size(env) + 1, sizeof(char *));
	for (size_t i = 0; out && i < json_array_size(env); i++)
		out[i] = strdup(json_string_value(json_array_get(env, i)) ?: "");
	json_decref(env);
	return out;
}

/* version 1 ends before stdout_fd */
static const size_t cnb_image_run_opts_sizes[] = { offsetof(cnb_image_run_opts, stdout_fd),
						   sizeof(cnb_image_run_opts) };
CNB__DEFINE_OPTS_INIT_SIZED(cnb_image_run_opts, CNB_IMAGE_RUN_OPTS_VERSION, CNB_IMAGE_RUN_OPTS_INIT)

int cnb_image_run(int *exit_code, cnb_ctx *ctx, const cnb_image_run_opts *opts, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	const cnb_image_run_opts defaults = CNB_IMAGE_RUN_OPTS_INIT;
	cnb_image_run_opts copy;
	if (!(opts = cnb__api_opts_resolve_sized(&copy, sizeof(copy), cnb_image_run_opts_sizes, opts, &defaults,
					     CNB_IMAGE_RUN_OPTS_VERSION, "cnb_image_run_opts", err)))
		return CNB_EINVAL;
	if (!exit_code || !ctx || !opts->image)
		return cnb__error_set(err, CNB_EINVAL, "cnb_image_run: exit_code, a context and opts->image are required");
	if (opts->timeout_s > INT_MAX)
		return cnb__error_set(err, CNB_EINVAL, "run %s: timeout %u s is too long", opts->image, opts->timeout_s);
	*exit_code = -1;
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	int r = cnb__oci_image_pull(ctx, opts->image, opts->platform, &img, err);
	if (r == 0)
		r = cnb__oci_image_check_platform(img, opts->platform, err);
	if (r < 0)
		return cnb__error_prefix(err, "run %s", opts->image);
	_cleanup_free_ char *rootfs = NULL;
	_cleanup_close_ int lock = -1;
	r = cnb__rootfs_assemble_image(ctx, img, cnb__platform_executor_uses_mapped_xattr(opts->executor), &rootfs, &lock, err);
	if (r < 0)
		return cnb__error_prefix(err, "run %s: rootfs", opts->image);
	const json_t *cc = json_object_get(img->config, "config");
	uint32_t uid, gid;
	if ((r = resolve_user(rootfs, json_string_value(json_object_get(cc, "User")), &uid, &gid, err)) < 0)
		return cnb__error_prefix(err, "run %s", opts->image);
	char **argv = run_argv(cc, opts), **env = run_env(cc, opts);
	_cleanup_free_ char *job_dir = NULL;
	if (!argv || !argv[0] || !env || cnb__mkdtemp("cnb-run-", &job_dir, err) < 0) {
		cnb__strv_free(argv);
		cnb__strv_free(env);
		if (argv && !argv[0])
			return cnb__error_set(err, CNB_EINVAL, "run %s: the image has no entrypoint or command; pass one", opts->image);
		return job_dir || !argv || !env ? cnb__error_set(err, CNB_ENOMEM, "out of memory") : cnb__error_prefix(err, "run %s", opts->image);
	}
	const char *wd = json_string_value(json_object_get(cc, "WorkingDir"));
	cnb__executor_job_step step = { "run", argv, env, wd && *wd ? wd : "/", uid, gid, (int)opts->timeout_s };
	cnb__executor_job job = { .rootfs = rootfs, .job_dir = job_dir, .steps = &step, .n_steps = 1, .network = opts->network != 0,
			 .hostname = "cnb-run", .arch = cnb__oci_image_arch(img), .raw_output = opts->stdout_fd >= 0 && opts->stderr_fd >= 0,
			 .raw_stdout_fd = opts->stdout_fd, .raw_stderr_fd = opts->stderr_fd };
	cnb__executor_job_result res = { 0 };
	r = cnb__executor_run(ctx, opts->executor, &job, -1, &res, err);
	if (r == 0 && res.n_steps_run == 1)
		*exit_code = res.steps[0].exit_code;
	cnb__executor_job_result_free(&res);
	cnb__rm_rf(job_dir, NULL);
	cnb__strv_free(argv);
	cnb__strv_free(env);
	return r < 0 ? cnb__error_prefix(err, "run %s", opts->image) : 0;
}
