/* Run image target data for detect checks and CNB_TARGET_* (buildpack.md "Targets", lifecycle platform/target_data.go). */
#include "target-data.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

static const char *go_arch(const char *machine, const char **variant)
{
	static const struct {
		const char *uname, *arch, *variant;
	} map[] = {
		{ "x86_64", "amd64", "" },  { "aarch64", "arm64", "v8" }, { "armv7l", "arm", "v7" },
		{ "armv6l", "arm", "v6" },  { "i686", "386", "" },        { "ppc64le", "ppc64le", "" },
		{ "s390x", "s390x", "" },   { "riscv64", "riscv64", "" },
	};
	for (size_t i = 0; i < CNB_ARRAY_SIZE(map); i++)
		if (!strcmp(machine, map[i].uname)) {
			*variant = map[i].variant;
			return map[i].arch;
		}
	*variant = "";
	return machine;
}

/* The value of KEY= in os-release text, unquoted (malloc'd), or NULL. */
static char *os_release_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, klen) || line[klen] != '=')
			continue;
		const char *v = line + klen + 1;
		size_t len = strcspn(v, "\n");
		if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
			v++;
			len -= 2;
		}
		return strndup(v, len);
	}
	return NULL;
}

/*
 * What the run image did not say comes from the build environment, as the reference's
 * GetTargetOSFromFileSystem does (lifecycle platform/target_data.go): os linux, arch from uname, and
 * the distro from /etc/os-release.
 */
static int fallback(cnb__lifecycle_target *t)
{
	struct utsname u;
	const char *variant = "";
	const char *arch = uname(&u) == 0 ? go_arch(u.machine, &variant) : "";
	if (!t->os || !*t->os) {
		free(t->os);
		t->os = strdup("linux");
	}
	if (!t->arch || !*t->arch) {
		free(t->arch);
		free(t->variant);
		t->arch = strdup(arch);
		t->variant = strdup("");
	}
	if (!t->os || !t->arch || !t->variant)
		return -1;
	if (t->n_distros)
		return 0;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (cnb__read_file("/etc/os-release", 64 * 1024, &text, &len, NULL) != 0)
		return 0;
	_cleanup_free_ char *id = os_release_value(text, "ID");
	_cleanup_free_ char *version = os_release_value(text, "VERSION_ID");
	if (!id)
		return 0;
	if (!(t->distros = calloc(1, sizeof(*t->distros))))
		return -1;
	t->n_distros = 1;
	t->distros[0].name = TAKE_PTR(id);
	t->distros[0].version = version ? TAKE_PTR(version) : strdup("");
	return t->distros[0].version ? 0 : -1;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int cnb__lifecycle_target_data_load(cnb__lifecycle_target *out, const char *analyzed_path, cnb_error **err)
{
	memset(out, 0, sizeof(*out));
	struct stat st;
	const cnb_toml *target = NULL;
	cnb_toml *doc = NULL;
	if (analyzed_path && stat(analyzed_path, &st) == 0) {
		int rc = cnb__toml_parse_file(&doc, analyzed_path, err);
		if (rc)
			return cnb__error_prefix(err, "read analyzed metadata");
		target = cnb__toml_get(cnb__toml_get(doc, "run-image"), "target");
	}
	int rc = 0;
	if (target && cnb__toml_get_string(target, "os")) {
		/* ⚠ DIFF: the lifecycle writes `arch-variant`, the spec example `variant`: read both. */
		const char *variant = cnb__toml_get_string(target, "arch-variant");
		const cnb_toml *distro = cnb__toml_get(target, "distro");
		out->os = dup_or_empty(cnb__toml_get_string(target, "os"));
		out->arch = dup_or_empty(cnb__toml_get_string(target, "arch"));
		out->variant = dup_or_empty(variant ? variant : cnb__toml_get_string(target, "variant"));
		if (!out->os || !out->arch || !out->variant)
			rc = -1;
		if (!rc && (cnb__toml_get_string(distro, "name") || cnb__toml_get_string(distro, "version"))) {
			if (!(out->distros = calloc(1, sizeof(*out->distros))))
				rc = -1;
			else {
				out->n_distros = 1;
				out->distros[0].name = dup_or_empty(cnb__toml_get_string(distro, "name"));
				out->distros[0].version = dup_or_empty(cnb__toml_get_string(distro, "version"));
				if (!out->distros[0].name || !out->distros[0].version)
					rc = -1;
			}
		}
	}
	if (!rc)
		rc = fallback(out);
	cnb__toml_free(doc);
	if (rc < 0) {
		cnb__lifecycle_target_free(out);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	return 0;
}

int cnb__lifecycle_target_data_env(cnb__lifecycle_env *env, const cnb__lifecycle_target *t)
{
	int rc = cnb__lifecycle_env_set(env, "CNB_TARGET_OS", t->os ? t->os : "");
	rc = rc ? rc : cnb__lifecycle_env_set(env, "CNB_TARGET_ARCH", t->arch ? t->arch : "");
	if (!rc && t->variant && *t->variant)
		rc = cnb__lifecycle_env_set(env, "CNB_TARGET_ARCH_VARIANT", t->variant);
	if (!rc && t->n_distros && *t->distros[0].name)
		rc = cnb__lifecycle_env_set(env, "CNB_TARGET_DISTRO_NAME", t->distros[0].name);
	if (!rc && t->n_distros && *t->distros[0].version)
		rc = cnb__lifecycle_env_set(env, "CNB_TARGET_DISTRO_VERSION", t->distros[0].version);
	return rc;
}
