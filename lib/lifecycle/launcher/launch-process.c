/* Process selection and argument rules (platform.md "launcher" › "Execution"; lifecycle launch/process.go). */
#include "launch-process.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/dir-list.h"

#include <stdlib.h>
#include <string.h>

void cnb__lifecycle_launch_proc_free(cnb__lifecycle_launch_proc *p)
{
	free(p->type);
	cnb__strv_list_free(&p->command);
	cnb__strv_list_free(&p->args);
	free(p->working_dir);
	free(p->buildpack_id);
	memset(p, 0, sizeof(*p));
}

const char *cnb__lifecycle_launch_process_type_of(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	return slash ? slash + 1 : argv0;
}

/* platform.md "launcher" (Platform API 0.15): a process declares the execution environments it runs in. */
static bool eligible(const cnb__lifecycle_launch_process *p, cnb__lifecycle_api platform, const char *exec_env)
{
	if (!cnb__lifecycle_api_at_least(platform, 0, 15) || p->exec_env.n == 0)
		return true;
	return cnb__strv_contains(p->exec_env.v, "*") || cnb__strv_contains(p->exec_env.v, exec_env);
}

/* platform.md "launcher" › "Execution": with no default process the whole command line is the process. */
static int user_process(cnb__lifecycle_launch_proc *out, char *const *user, size_t n, cnb_error **err)
{
	if (n == 0)
		return cnb__error_set(err, CNB_EINVAL,
				      "when there is no default process a command is required: run the image with a "
				      "command, `-- <command> [args...]` to run it without a shell, or use the "
				      "entrypoint /cnb/process/<type>");
	/* `--` marks a direct process; a lone `--` is an ordinary (shell) command, as in lifecycle launch/process.go. */
	bool direct = n > 1 && !strcmp(user[0], "--");
	size_t skip = direct ? 1 : 0;
	out->direct = direct;
	if (!(out->type = strdup("")) || cnb__strv_push(&out->command, user[skip]) < 0 ||
	    cnb__strv_extend(&out->args, user + skip + 1, n - skip - 1) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

static int buildpack_of(const cnb__lifecycle_launch_buildpack **out, const cnb__lifecycle_launch_metadata *md, const cnb__lifecycle_launch_process *p,
			cnb_error **err)
{
	*out = p->buildpack_id ? cnb__lifecycle_launch_metadata_find_buildpack(md, p->buildpack_id) : NULL;
	if (!*out)
		return cnb__error_set(err, CNB_ENOTFOUND,
				      "process type %s comes from buildpack \"%s\", which is not among the image's "
				      "buildpacks; rebuild the image",
				      p->type, p->buildpack_id ? p->buildpack_id : "");
	return 0;
}

/* User args against the process's own args (platform.md "launcher" › "Execution"). */
static int apply_user_args(cnb__lifecycle_launch_proc *out, const cnb__lifecycle_launch_metadata *md, const cnb__lifecycle_launch_process *p,
			   cnb__lifecycle_api platform, char *const *user, size_t n, cnb_error **err)
{
	int rc;
	/* Platform API < 0.10: user args always follow the process args. */
	if (!cnb__lifecycle_api_at_least(platform, 0, 10)) {
		if ((rc = cnb__strv_extend(&out->command, p->command.v, p->command.n)) ||
		    (rc = cnb__strv_extend(&out->args, p->args.v, p->args.n)))
			return rc;
		return cnb__strv_extend(&out->args, user, n);
	}
	/* command[1:] always runs; the process args are defaults the user args replace. */
	if (p->command.n > 1) {
		if ((rc = cnb__strv_push(&out->command, p->command.v[0])) ||
		    (rc = cnb__strv_extend(&out->args, p->command.v + 1, p->command.n - 1)))
			return rc;
		return n ? cnb__strv_extend(&out->args, user, n)
			 : cnb__strv_extend(&out->args, p->args.v, p->args.n);
	}
	if ((rc = cnb__strv_extend(&out->command, p->command.v, p->command.n)))
		return rc;
	if (n == 0)
		return cnb__strv_extend(&out->args, p->args.v, p->args.n);
	const cnb__lifecycle_launch_buildpack *bp;
	if ((rc = buildpack_of(&bp, md, p, err)))
		return rc;
	/* Buildpack API < 0.9 processes have no overridable args: user args are appended. */
	if (!cnb__lifecycle_api_at_least(bp->api, 0, 9) && (rc = cnb__strv_extend(&out->args, p->args.v, p->args.n)))
		return rc;
	return cnb__strv_extend(&out->args, user, n);
}

static int default_process(cnb__lifecycle_launch_proc *out, const cnb__lifecycle_launch_metadata *md, cnb__lifecycle_api platform,
			   const char *exec_env, const char *type, char *const *user, size_t n, cnb_error **err)
{
	const cnb__lifecycle_launch_process *p = NULL;
	for (size_t i = 0; i < md->n_processes && !p; i++)
		if (!strcmp(md->processes[i].type, type) && eligible(&md->processes[i], platform, exec_env))
			p = &md->processes[i];
	if (!p)
		return cnb__error_set(err, CNB_ENOTFOUND,
				      "process type %s was not found for execution environment \"%s\" (CNB_EXEC_ENV); "
				      "run the image with another CNB_EXEC_ENV or another /cnb/process/<type> entrypoint",
				      type, exec_env);
	if (!(out->type = strdup(p->type)) || (p->working_dir && !(out->working_dir = strdup(p->working_dir))) ||
	    (p->buildpack_id && !(out->buildpack_id = strdup(p->buildpack_id))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = apply_user_args(out, md, p, platform, user, n, err);
	if (rc)
		return rc == CNB_ENOMEM ? cnb__error_set(err, rc, "out of memory") : rc;
	/*
	 * metadata.toml decides, whatever the Buildpack API: the builder writes `direct = true` for API >= 0.9
	 * processes, and a platform may still say false (lifecycle launch/launcher.go LaunchProcess). Absent
	 * is false, as Go's zero value.
	 */
	out->direct = p->direct;
	return 0;
}

int cnb__lifecycle_launch_process_select(cnb__lifecycle_launch_proc *out, const cnb__lifecycle_launch_metadata *md, cnb__lifecycle_api platform,
			       const char *exec_env, const char *argv0, char *const *user_args, size_t n_user_args,
			       cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	/* argv[0] selects the default process when it names a type, eligible or not (lifecycle cmd/launcher). */
	const char *type = cnb__lifecycle_launch_process_type_of(argv0);
	int rc = cnb__lifecycle_launch_metadata_find_process(md, type)
			 ? default_process(out, md, platform, exec_env, type, user_args, n_user_args, err)
			 : user_process(out, user_args, n_user_args, err);
	if (rc)
		cnb__lifecycle_launch_proc_free(out);
	return rc;
}
