/*
 * String lists: NULL-terminated arrays of owned strings (argv, env, tag lists, directory
 * listings), and the growable list that builds them.
 */
#ifndef CNB_COMMON_STRV_H
#define CNB_COMMON_STRV_H

#include <stdbool.h>
#include <stddef.h>

/* Frees every string and the list. Accepts NULL. */
void cnb__strv_free(char **list);
static inline void cnb__strv_freep(char ***list) { cnb__strv_free(*list); }
#define _cleanup_strv_ __attribute__((cleanup(cnb__strv_freep)))

/* A deep copy of `list` (NULL gives an empty list); NULL on OOM. */
char **cnb__strv_dup(const char *const *list);

/* Whether `list` (may be NULL) contains `s`. */
bool cnb__strv_contains(char *const *list, const char *s);

/* A growable list of owned strings; `v` is NULL-terminated once non-empty, so usable as argv. */
typedef struct cnb__strv_list {
	char **v;
	size_t n;
} cnb__strv_list;

#define CNB_STRV_LIST_INIT { NULL, 0 }

void cnb__strv_list_free(cnb__strv_list *s);
static inline void cnb__strv_list_freep(cnb__strv_list *s) { cnb__strv_list_free(s); }
#define _cleanup_strv_list_ __attribute__((cleanup(cnb__strv_list_freep)))

/* Each returns 0 or CNB_ENOMEM (the list is then unchanged). */
int cnb__strv_push(cnb__strv_list *s, const char *str);
int cnb__strv_push_take(cnb__strv_list *s, char *str); /* takes str, freeing it on failure */
/* Appends copies of n strings (all or none). */
int cnb__strv_extend(cnb__strv_list *s, char *const *strs, size_t n);

/* argv view: never NULL (an empty list gives a pointer to a NULL entry). Valid until the next change. */
char *const *cnb__strv_argv(const cnb__strv_list *s);

/* Hands over the NULL-terminated array (cnb__strv_free; an empty list gives an empty array) and
 * empties the list. NULL on OOM, the list then unchanged. */
char **cnb__strv_steal(cnb__strv_list *s);

/* Joins the entries with `sep`; NULL on OOM. */
char *cnb__strv_join(const cnb__strv_list *s, const char *sep);

#endif
