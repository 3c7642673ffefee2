/*
 * A strict reader for the Dockerfiles image extensions write (buildpacks/spec image_extension.md,
 * "Dockerfile Requirements", Buildpack API 0.10): `ARG base_image` + `FROM ${base_image}`, then ARG,
 * ENV, LABEL, RUN (shell and exec form), SHELL, USER, WORKDIR, COPY and ADD (from the extension's
 * build context; flags before the paths, JSON array form too). Everything else is refused naming the
 * file and line. The text comes from an extension, so
 * it is bounded (bytes, lines, instructions) and never executed here: instructions keep their raw
 * arguments; dockerfile-eval.h expands them.
 *
 * Syntax handled as docker's: instruction keywords in any case, `\` at the end of a line continues
 * it, lines starting with `#` are comments (also inside a continued instruction), blank lines,
 * a JSON array after RUN/SHELL (after COPY/ADD's flags) is the exec form (anything else the shell form). Parser directives
 * other than `# escape=\` are refused; RUN flags (--mount, --network...) and heredocs too.
 */
#ifndef CNB_EXTEND_DOCKERFILE_H
#define CNB_EXTEND_DOCKERFILE_H

#include <cnb/error.h>
#include <stdbool.h>
#include <stddef.h>

#define CNB_DOCKERFILE_MAX_BYTES (256u << 10)
#define CNB_DOCKERFILE_MAX_INSTRUCTIONS 512
#define CNB_DOCKERFILE_MAX_LINE (64u << 10) /* one instruction, continuation lines joined */

typedef enum cnb__extend_df_kind {
	CNB_DF_ARG,
	CNB_DF_FROM,
	CNB_DF_ENV,
	CNB_DF_LABEL,
	CNB_DF_RUN,
	CNB_DF_SHELL,
	CNB_DF_USER,
	CNB_DF_WORKDIR,
	CNB_DF_COPY,
	CNB_DF_ADD,
} cnb__extend_df_kind;

typedef struct cnb__extend_df_instr {
	cnb__extend_df_kind kind;
	unsigned line;  /* where it starts, 1-based */
	char *raw;      /* the arguments as written (continuations joined), trimmed */
	char **argv;    /* RUN/SHELL/COPY/ADD exec form: the JSON array (after COPY's flags); NULL otherwise */
} cnb__extend_df_instr;

typedef struct cnb__extend_dockerfile {
	cnb__extend_df_instr *instrs;
	size_t n;
} cnb__extend_dockerfile;

/*
 * Parses `len` bytes of `text`. `name` prefixes every error ("extension x: build.Dockerfile"), which
 * then says the line: "... line 7: COPY is not supported ...". Checks the grammar only; the
 * ARG/FROM preamble is dockerfile-eval's. *out: free with cnb__extend_dockerfile_free().
 */
int cnb__extend_dockerfile_parse(cnb__extend_dockerfile **out, const char *text, size_t len, const char *name, cnb_error **err);
void cnb__extend_dockerfile_free(cnb__extend_dockerfile *df);

/* The keyword of `kind` ("RUN"). */
const char *cnb__extend_df_kind_name(cnb__extend_df_kind kind);

#endif
