/* NULL-terminated lists of owned strings (argv, env, tag lists). */
#ifndef CNB_COMMON_STRV_H
#define CNB_COMMON_STRV_H

/* Frees every string and the list. Accepts NULL. */
void cnb__strv_free(char **list);

/* A deep copy of `list` (NULL gives an empty list); NULL on OOM. */
char **cnb__strv_dup(const char *const *list);

#endif
