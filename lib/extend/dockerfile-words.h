/*
 * Docker's word rules for the arguments of ARG, ENV, LABEL, USER, WORKDIR and FROM (moby
 * frontend/dockerfile/shell lex): double quotes group and expand, single quotes group literally,
 * a backslash escapes the next character (in double quotes only \ " $), and $NAME, ${NAME},
 * ${NAME:-word}, ${NAME:+word} expand from the variables in scope. RUN is never expanded here: its
 * shell does that, with the ARGs in its environment.
 */
#ifndef CNB_EXTEND_DOCKERFILE_WORDS_H
#define CNB_EXTEND_DOCKERFILE_WORDS_H

#include <cnb/error.h>
#include <stdbool.h>

/* Expanded text may grow through variables; no word list gets longer than this. */
#define CNB_DF_WORDS_MAX_BYTES (256u << 10)

/*
 * Splits `raw` at unquoted blanks (or, with split false, keeps it one word, blanks included) into
 * *out (NULL-terminated, cnb__strv_free), expanding from `vars` ("K=V" list, the last one of a name
 * wins; NULL: none). Errors (CNB_EINVAL) say what is wrong; the caller adds file and line.
 */
int cnb__extend_df_words(const char *raw, const char *const *vars, bool split, char ***out, cnb_error **err);

/* The value of `name` in a "K=V" list (the last one wins), NULL when unset. */
const char *cnb__extend_df_var(const char *const *vars, const char *name, size_t name_len);

#endif
