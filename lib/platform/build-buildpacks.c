/* Buildpacks from outside the builder: directories, archives, buildpackages, inline scripts. */
#include "build-buildpacks.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUILDER_URN "urn:cnb:builder:"
#define REGISTRY_URN "urn:cnb:registry:"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

static bool looks_like_path(const char *ref)
{
	return ref[0] == '/' || ref[0] == '.' || ref[0] == '~' || ends_with(ref, ".cnb") || ends_with(ref, ".tgz") ||
	       ends_with(ref, ".tar.gz") || ends_with(ref, ".tar");
}

int cnb__platform_bp_locate(const char *ref, bool (*in_builder)(const char *id, void *), void *userdata,
		   cnb__platform_bp_locator *out, const char **out_rest, cnb_error **err)
{
	*out_rest = ref;
	if (!*ref)
		return cnb__error_set(err, CNB_EINVAL, "--buildpack \"\": empty");
	if (!strcmp(ref, "from=builder")) {
		*out = CNB_BP_FROM_BUILDER;
		return 0;
	}
	if (!strncmp(ref, REGISTRY_URN, strlen(REGISTRY_URN)))
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "--buildpack %s: the buildpack registry (registry.buildpacks.io) is not supported: give "
				      "the buildpackage's image reference (docker://REF) or a .cnb file instead", ref);
	if (!strncmp(ref, BUILDER_URN, strlen(BUILDER_URN))) {
		*out = CNB_BP_IN_BUILDER;
		*out_rest = ref + strlen(BUILDER_URN);
		return 0;
	}
	if (!strncmp(ref, "docker://", 9)) {
		*out = CNB_BP_IMAGE;
		return 0;
	}
	struct stat st;
	if (stat(ref, &st) == 0) {
		*out = S_ISDIR(st.st_mode) ? CNB_BP_DIR : CNB_BP_FILE;
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			return cnb__error_set(err, CNB_EINVAL, "--buildpack %s: neither a directory nor a file", ref);
		return 0;
	}
	if (looks_like_path(ref))
		return cnb__error_errno(err, CNB_EINVAL, errno, "--buildpack %s: no such buildpack directory or file", ref);
	_cleanup_free_ char *id = strndup(ref, strcspn(ref, "@"));
	if (!id)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	*out = !in_builder(id, userdata) && strpbrk(ref, "/:") ? CNB_BP_IMAGE : CNB_BP_IN_BUILDER;
	return 0;
}

static int check_target(const cnb__lifecycle_bp_descriptor *bp, const char *ref, const char *os, const char *arch,
			cnb_error **err)
{
	cnb__lifecycle_target build = { .os = (char *)os, .arch = (char *)arch };
	if (cnb__lifecycle_bp_target_matches(bp, &build))
		return 0;
	return cnb__error_set(err, CNB_EINVAL,
			      "--buildpack %s: %s@%s declares no target for %s/%s, the builder's platform: use a buildpack "
			      "built for it", ref, bp->id, bp->version, os ? os : "", arch ? arch : "");
}

int cnb__platform_bp_fetch(cnb__builder_bp_set *set, cnb_ctx *ctx, const char *ref, cnb__platform_bp_locator kind, const char *platform,
		  const char *os, const char *arch, size_t *out_index, cnb_error **err)
{
	char abs[PATH_MAX];
	if (kind != CNB_BP_IMAGE && !realpath(ref, abs))
		return cnb__error_errno(err, CNB_EINVAL, errno, "--buildpack %s", ref);
	if (kind != CNB_BP_IMAGE && access(abs, R_OK) < 0)
		return cnb__error_errno(err, CNB_EINVAL, errno, "--buildpack %s: cannot read it", ref);
	int r;
	if (kind == CNB_BP_DIR)
		r = cnb__builder_bp_set_add_dir(set, ctx, abs, NULL, NULL, out_index, err);
	else if (kind == CNB_BP_FILE && !ends_with(abs, ".cnb"))
		r = cnb__builder_bp_set_add_archive(set, ctx, abs, out_index, err);
	else
		r = cnb__builder_bp_set_add_package(set, ctx, kind == CNB_BP_FILE ? abs : ref, platform, NULL, NULL, out_index, err);
	if (r < 0)
		return cnb__error_prefix(err, "--buildpack %s", ref);
	if (*out_index >= set->n)
		return cnb__error_set(err, CNB_EINTERNAL, "--buildpack %s: its top buildpack is missing from the set", ref);
	return check_target(set->mods[*out_index].bp, ref, os, arch, err);
}

static int write_script(int dfd, const char *name, const char *shell, const char *body, cnb_error **err)
{
	_cleanup_free_ char *text = NULL;
	bool env = !strchr(shell, '/');
	if (asprintf(&text, "#!%s%s\n%s\n", env ? "/usr/bin/env " : "", shell, body) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_close_ int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
	if (fd < 0 || cnb__write_all(fd, text, strlen(text)) < 0 || fchmod(fd, 0755) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "write bin/%s", name);
	return 0;
}

int cnb__platform_bp_script_dir(const cnb__builder_bp_set *set, const cnb__lifecycle_project_buildpack *bp, size_t n, char **out_dir,
		       cnb_error **err)
{
	const char *shell = bp->script_shell && *bp->script_shell ? bp->script_shell : "/bin/sh";
	if (strpbrk(shell, "\n\r") || strpbrk(bp->script_api, "\"\\\n") || strpbrk(bp->id, "\"\\\n") ||
	    strpbrk(bp->version, "\"\\\n"))
		return cnb__error_set(err, CNB_EINVAL, "project.toml: inline buildpack %s: id, version, api or shell has a "
						       "quote, backslash or newline", bp->id);
	_cleanup_free_ char *dir = NULL, *bin = NULL, *toml = NULL, *toml_path = NULL;
	if (asprintf(&dir, "%s/script-%zu", set->tmp_dir, n) < 0 || !(bin = cnb__path_join(dir, "bin")) ||
	    !(toml_path = cnb__path_join(dir, "buildpack.toml")) ||
	    asprintf(&toml, "api = \"%s\"\n\n[buildpack]\nid = \"%s\"\nversion = \"%s\"\n\n[[stacks]]\nid = \"*\"\n",
		     bp->script_api, bp->id, *bp->version ? bp->version : "0.0.0") < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = cnb__mkdir_p(bin, 0755, err);
	if (r == 0)
		r = cnb__write_file_atomic(toml_path, toml, strlen(toml), 0644, err);
	_cleanup_close_ int dfd = r == 0 ? open(bin, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (r == 0 && dfd < 0)
		r = cnb__error_errno(err, CNB_EIO, errno, "open %s", bin);
	if (r == 0)
		r = write_script(dfd, "detect", shell, "exit 0", err);
	if (r == 0)
		r = write_script(dfd, "build", shell, bp->script_inline, err);
	if (r < 0)
		return cnb__error_prefix(err, "project.toml: inline buildpack %s", bp->id);
	*out_dir = TAKE_PTR(dir);
	return 0;
}
