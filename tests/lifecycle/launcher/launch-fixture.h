/* Temp-dir fixtures shared by the launcher tests: a scratch tree of files and dirs. */
#ifndef CNB_TEST_LAUNCH_FIXTURE_H
#define CNB_TEST_LAUNCH_FIXTURE_H

#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/lifecycle/launcher/launch-metadata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A fresh directory under $TMPDIR (removed by fixture_cleanup). Exits 99 when it cannot be made. */
static char fixture_root[256];

static inline const char *fixture_init(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(fixture_root, sizeof(fixture_root), "%s/cnb-launch-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fixture_root)) {
		perror("mkdtemp");
		exit(99);
	}
	return fixture_root;
}

static inline void fixture_cleanup(void)
{
	cnb__rm_rf(fixture_root, NULL);
}

/* <root>/<rel>: a static buffer rotated between four slots, enough for one call's arguments. */
static inline const char *fixture_path(const char *rel)
{
	static char slots[4][512];
	static int next;
	char *p = slots[next++ % 4];
	snprintf(p, sizeof(slots[0]), "%s/%s", fixture_root, rel);
	return p;
}

/* Writes <root>/<rel> (parents created) with `mode`. Exits 99 on failure: the test cannot go on. */
static inline void fixture_write(const char *rel, const char *content, mode_t mode)
{
	const char *path = fixture_path(rel);
	char parent[512];
	snprintf(parent, sizeof(parent), "%s", path);
	*strrchr(parent, '/') = '\0';
	if (cnb__mkdir_p(parent, 0755, NULL) < 0 ||
	    cnb__write_file_atomic(path, content, strlen(content), mode, NULL) < 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(99);
	}
}

static inline void fixture_mkdir(const char *rel)
{
	if (cnb__mkdir_p(fixture_path(rel), 0755, NULL) < 0)
		exit(99);
}

/* Parses metadata.toml text; NULL (with the error printed as a TAP comment) when it fails. */
static inline cnb__lifecycle_launch_metadata *fixture_metadata(const char *text, int *rc_out)
{
	cnb_toml *doc = NULL;
	cnb__lifecycle_launch_metadata *md = NULL;
	cnb_error *err = NULL;
	int rc = cnb__toml_parse(&doc, text, strlen(text), "metadata.toml", &err);
	if (rc == 0)
		rc = cnb__lifecycle_launch_metadata_parse(&md, doc, "metadata.toml", &err);
	if (rc)
		printf("# %s\n", cnb_error_message(err));
	if (rc_out)
		*rc_out = rc;
	cnb__toml_free(doc);
	cnb_error_free(err);
	return md;
}

#endif
