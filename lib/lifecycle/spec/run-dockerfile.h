/*
 * What the generate phase needs to know of an extension's run.Dockerfile (platform.md "detector",
 * run image selection; lifecycle buildpack/dockerfile.go ValidateRunDockerfile): the image its one
 * FROM names when that is not `${base_image}` (a run image switch), and whether any instruction
 * follows the FROM (the run image must then be extended). Nothing is applied here.
 */
#ifndef CNB_LC_RUN_DOCKERFILE_H
#define CNB_LC_RUN_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <cnb/error.h>

/* A Dockerfile from an extension is untrusted: bigger ones are refused. */
#define CNB_DOCKERFILE_MAX (1024u * 1024)

typedef struct cnb__lifecycle_run_dockerfile {
	char *base;  /* the FROM image when it is not ${base_image} (or $base_image), else NULL */
	bool extend; /* an instruction follows FROM */
} cnb__lifecycle_run_dockerfile;

/*
 * Scans Dockerfile text: one stage only (multi-stage is refused), only ARG before FROM, comments,
 * blank lines and `\` continuations understood. Errors are CNB_EPARSE naming `where` and the line.
 */
int cnb__lifecycle_run_dockerfile_parse(cnb__lifecycle_run_dockerfile *out, const char *text, size_t len, const char *where,
			      cnb_error **err);

/* cnb__lifecycle_run_dockerfile_parse of the file at `path` (at most CNB_DOCKERFILE_MAX bytes). */
int cnb__lifecycle_run_dockerfile_read(cnb__lifecycle_run_dockerfile *out, const char *path, cnb_error **err);

void cnb__lifecycle_run_dockerfile_free(cnb__lifecycle_run_dockerfile *d);

#endif
