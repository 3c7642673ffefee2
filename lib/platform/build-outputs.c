/* report.toml and the SBOM copy of a build (build-outputs.h). */
#include "build-outputs.h"
#include "job-files.h"
#include "lib/common/buf.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* TOML basic string; image names and digests hold no quote or control characters, but be exact. */
static int put_string(cnb__buf *b, const char *s)
{
	int r = cnb__buf_append(b, "\"", 1);
	for (; r == 0 && *s; s++)
		r = *s == '"' || *s == '\\' ? cnb__buf_printf(b, "\\%c", *s)
		  : (unsigned char)*s < 0x20 ? cnb__buf_printf(b, "\\u%04x", (unsigned char)*s)
					     : cnb__buf_append(b, s, 1);
	return r == 0 ? cnb__buf_append(b, "\"", 1) : r;
}

int cnb__platform_build_write_report_toml(const char *dir, const char *const *names, const char *digest, size_t manifest_size,
				 cnb_error **err)
{
	_cleanup_buf_ cnb__buf b = CNB_BUF_INIT;
	int r = cnb__buf_printf(&b, "[image]\n  tags = [");
	for (size_t i = 0; r == 0 && names && names[i]; i++)
		if ((r = i ? cnb__buf_printf(&b, ", ") : 0) == 0)
			r = put_string(&b, names[i]);
	if (r == 0 && (r = cnb__buf_printf(&b, "]\n  digest = ")) == 0 && (r = put_string(&b, digest)) == 0)
		r = cnb__buf_printf(&b, "\n  manifest-size = %zu\n", manifest_size);
	if (r < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_free_ char *path = cnb__path_join(dir, "report.toml");
	if (!path)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (cnb__mkdir_p(dir, 0755, err) < 0 || cnb__write_file_atomic(path, b.data, b.len, 0644, err) < 0)
		return cnb__error_prefix(err, "report %s", path);
	return 0;
}

int cnb__platform_build_copy_sboms(const cnb_ctx *ctx, const char *layers_dir, const char *dir, cnb_error **err)
{
	_cleanup_free_ char *sbom = cnb__path_join(layers_dir, "sbom");
	if (!sbom)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	struct stat st;
	if (cnb__mkdir_p(dir, 0755, err) < 0)
		return cnb__error_prefix(err, "--sbom-output-dir");
	if (lstat(sbom, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	/* The buildpacks wrote these: copied as the app is (symlinks never followed, special files skipped),
	 * owned by whoever runs the build. */
	cnb__platform_owner me = { (uint32_t)getuid(), (uint32_t)getgid(), false };
	int r = cnb__platform_job_copy_app(ctx, sbom, dir, &me, NULL, err);
	return r < 0 ? cnb__error_prefix(err, "--sbom-output-dir %s", dir) : 0;
}
