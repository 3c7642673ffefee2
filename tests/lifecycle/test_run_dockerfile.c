/* Unit tests of run.Dockerfile scanning for run image selection (lib/lifecycle/spec/run-dockerfile.c). */
#include "lib/lifecycle/spec/run-dockerfile.h"
#include "lib/common/error-internal.h"
#include "tests/lib/tap.h"

#include <string.h>

/* "base=<image or ->, extend=<0|1>" or "error: <message>". */
static char *scan_n(const char *text, size_t len)
{
	cnb__lifecycle_run_dockerfile d;
	cnb_error *err = NULL;
	char *out = NULL;
	if (cnb__lifecycle_run_dockerfile_parse(&d, text, len, "run.Dockerfile", &err) == 0) {
		if (asprintf(&out, "base=%s, extend=%d", d.base ? d.base : "-", d.extend) < 0)
			out = NULL;
		cnb__lifecycle_run_dockerfile_free(&d);
	} else if (asprintf(&out, "error: %s", cnb_error_message(err)) < 0) {
		out = NULL;
	}
	cnb_error_free(err);
	return out;
}

static char *scan(const char *text)
{
	return scan_n(text, strlen(text));
}

static void check(const char *text, const char *want, const char *what)
{
	char *got = scan(text);
	is_str(got, want, "%s", what);
	free(got);
}

/* Whether scanning `text` fails with a message containing `needle`. */
static void refused_n(const char *text, size_t len, const char *needle, const char *what)
{
	char *got = scan_n(text, len);
	ok(got && !strncmp(got, "error: ", 7) && strstr(got, needle), "%s", what);
	if (got && !strstr(got, needle))
		printf("#   got: %s\n", got);
	free(got);
}

static void refused(const char *text, const char *needle, const char *what)
{
	refused_n(text, strlen(text), needle, what);
}

static void test_lifecycle_run_dockerfile__switch_and_extend(void)
{
	check("FROM registry.example/run:2\n", "base=registry.example/run:2, extend=0", "FROM <image> alone: a switch");
	check("ARG base_image\nFROM ${base_image}\nRUN echo hi\n", "base=-, extend=1",
	      "FROM ${base_image} with RUN: extend the run image, no switch");
	check("ARG base_image\nFROM $base_image\n", "base=-, extend=0", "$base_image is ${base_image}");
	check("# syntax\n\nARG base_image\n  # note\nFROM other/img AS run\nUSER 1000\n", "base=other/img, extend=1",
	      "comments, blank lines and AS: a switch that is also extended");
	check("FROM --platform=linux/amd64 \\\n  img:1\n", "base=img:1, extend=0", "flags and continuation lines");
	check("ARG img=reg/run@sha256:00\nFROM ${img}\n", "base=reg/run@sha256:00, extend=0",
	      "an ARG with a default names the image");
	check("from img\nenv A=1 \\\n  B=2\n", "base=img, extend=1", "instructions are case-insensitive");
}

static void test_lifecycle_run_dockerfile__refused(void)
{
	refused("FROM a\nFROM b\n", "multi-stage", "two FROMs: refused");
	refused("RUN x\nFROM a\n", "before FROM", "an instruction before FROM: refused");
	refused("ARG base_image\n", "has no FROM", "no FROM: refused");
	refused("FROM ${other}\n", "only ${base_image}", "an unresolved variable: refused");
	refused("FROM\n", "names no image", "FROM without an image: refused");
	refused("ARG img=\nFROM ${img}\n", "names no image", "an ARG whose default is empty: refused");
	refused_n("FROM a\nRU\0N x\n", 14, "NUL byte", "a NUL byte: not a Dockerfile");
}

int main(void)
{
	test_lifecycle_run_dockerfile__switch_and_extend();
	test_lifecycle_run_dockerfile__refused();
	return tap_done();
}
