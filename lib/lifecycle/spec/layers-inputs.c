/* Inputs under <layers> shared by the exporter and the restorer (layers-inputs.h). */
#include "layers-inputs.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int cnb__lifecycle_layers_toml_load_at(cnb_toml **out, int dirfd, const char *name, const char *what, size_t max,
			     cnb_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = cnb__read_file_at(dirfd, name, max, &data, &len, err);
	if (r < 0)
		return r;
	return cnb__toml_parse(out, data, len, what, err);
}

int cnb__lifecycle_layers_take_metadata(cnb_toml **out, const cnb_toml *doc, const char *what, cnb_error **err)
{
	const cnb_toml *m = cnb__toml_get(doc, "metadata");
	if (!m)
		return 0;
	if (cnb__toml_type(m) != CNB_TOML_TABLE)
		return cnb__error_set(err, CNB_EPARSE, "%s: `metadata` must be a table", what);
	if (!(*out = cnb__toml_clone(m)))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	return 0;
}

int cnb__lifecycle_layers_analyzed_metadata_read(cnb_toml **out, const char *analyzed_path, cnb_error **err)
{
	if (access(analyzed_path, F_OK) < 0 && errno == ENOENT)
		return 0; /* no analyzed.toml: no previous image */
	cnb_toml *doc = NULL;
	int r = cnb__lifecycle_layers_toml_load_at(&doc, AT_FDCWD, analyzed_path, analyzed_path, CNB_LAYERS_MAX_INPUT_TOML, err);
	if (r < 0)
		return cnb__error_prefix(err, "read analyzed metadata");
	r = cnb__lifecycle_layers_take_metadata(out, doc, analyzed_path, err);
	cnb__toml_free(doc);
	return r;
}

const cnb_toml *cnb__lifecycle_layers_metadata_buildpack(const cnb_toml *metadata, const char *bp_id)
{
	const cnb_toml *bps = cnb__toml_get(metadata, "buildpacks");
	for (size_t i = 0; i < cnb__toml_len(bps); i++) {
		const char *key = cnb__toml_get_string(cnb__toml_at(bps, i), "key");
		if (key && !strcmp(key, bp_id))
			return cnb__toml_at(bps, i);
	}
	return NULL;
}

bool cnb__lifecycle_layers_diff_id_valid(const char *sha)
{
	if (strncmp(sha, "sha256:", 7) || strlen(sha) != 7 + 64)
		return false;
	return strspn(sha + 7, "0123456789abcdef") == 64;
}
