/* SBOM validation and copy into <layers>/sbom (lifecycle buildpack/bomfile.go, lifecycle phase/builder.go). */
#include "sbom-files.h"

#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
	const char *ext;
	const char *media_type;
} formats[] = {
	{ "cdx", "application/vnd.cyclonedx+json" },
	{ "spdx", "application/spdx+json" },
	{ "syft", "application/vnd.syft+json" },
};

static bool is_sbom_file(int dirfd, const char *name, void *ud)
{
	struct stat st;
	return strstr(name, ".sbom.") && strlen(name) > 5 && !strcmp(name + strlen(name) - 5, ".json") &&
	       fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static const cnb__lifecycle_layer *find_layer(const cnb__lifecycle_layer_list *layers, const char *name)
{
	for (size_t i = 0; i < layers->n; i++)
		if (!strcmp(layers->v[i].name, name))
			return &layers->v[i];
	return NULL;
}

static int copy_to(const char *layers_dir, const char *kind, const char *esc, const char *layer, const char *src,
		   const char *ext, cnb_error **err)
{
	_cleanup_free_ char *dir = NULL, *dst = NULL;
	if (asprintf(&dir, "%s/sbom/%s/%s%s%s", layers_dir, kind, esc, layer ? "/" : "", layer ? layer : "") < 0 ||
	    asprintf(&dst, "%s/sbom.%s.json", dir, ext) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = cnb__mkdir_p(dir, 0755, err);
	return rc ? rc : cnb__copy_file(src, dst, err);
}

/* One file "<prefix>.sbom.<ext>.json". */
static int collect_one(const char *layers_dir, const char *bp_dir, const char *name, const cnb__lifecycle_bp_descriptor *bp,
		       const char *esc, const cnb__lifecycle_layer_list *layers, cnb_error **err)
{
	const char *sbom = strstr(name, ".sbom.");
	_cleanup_free_ char *prefix = strndup(name, (size_t)(sbom - name));
	_cleanup_free_ char *ext = strndup(sbom + 6, strlen(sbom + 6) - 5);
	_cleanup_free_ char *src = cnb__path_join(bp_dir, name);
	if (!prefix || !ext || !src)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	const char *media_type = NULL;
	for (size_t i = 0; i < CNB_ARRAY_SIZE(formats); i++)
		if (!strcmp(ext, formats[i].ext))
			media_type = formats[i].media_type;
	if (!media_type)
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "buildpack %s@%s: %s: unsupported SBOM format \"%s\" (use cdx, spdx or syft)", bp->id,
				      bp->version, src, ext);
	if (!cnb__strv_contains(bp->sbom_formats, media_type))
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "buildpack %s@%s: %s: media type %s is not listed in sbom-formats of buildpack.toml",
				      bp->id, bp->version, src, media_type);
	if (!strcmp(prefix, "launch") || !strcmp(prefix, "build"))
		return copy_to(layers_dir, prefix, esc, NULL, src, ext, err);
	const cnb__lifecycle_layer *layer = find_layer(layers, prefix);
	if (!layer)
		return 0; /* an SBOM of an ignored or undeclared layer goes nowhere */
	int rc = 0;
	if (layer->launch)
		rc = copy_to(layers_dir, "launch", esc, prefix, src, ext, err);
	else if (layer->build)
		rc = copy_to(layers_dir, "build", esc, prefix, src, ext, err);
	if (rc == 0 && layer->cache)
		rc = copy_to(layers_dir, "cache", esc, prefix, src, ext, err);
	return rc;
}

int cnb__lifecycle_sbom_files_collect(const char *layers_dir, const char *bp_layers_dir, const cnb__lifecycle_bp_descriptor *bp,
			    const cnb__lifecycle_layer_list *layers, cnb_error **err)
{
	char **files = NULL;
	size_t n = 0;
	_cleanup_free_ char *esc = cnb__lifecycle_bp_escape_id(bp->id);
	if (!esc)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int rc = cnb__dir_list_sorted_path(bp_layers_dir, is_sbom_file, NULL, &files, &n, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = collect_one(layers_dir, bp_layers_dir, files[i], bp, esc, layers, err);
	cnb__strv_free(files);
	return rc;
}
