/*
 * A growable, NULL-terminated list of owned strings: the argv and string arrays the launcher
 * builds (process commands and args, exec-env lists, sorted directory listings).
 */
#ifndef CNB_LC_LAUNCH_STRV_H
#define CNB_LC_LAUNCH_STRV_H

#include <stddef.h>

typedef struct cnb__launch_strv {
	char **v; /* NULL-terminated once non-empty: usable as argv */
	size_t n;
} cnb__launch_strv;

#define CNB_LAUNCH_STRV_INIT { NULL, 0 }

void cnb__launch_strv_free(cnb__launch_strv *s);
static inline void cnb__launch_strv_freep(cnb__launch_strv *s) { cnb__launch_strv_free(s); }
#define _cleanup_strv_ __attribute__((cleanup(cnb__launch_strv_freep)))

/* Each returns 0 or CNB_ENOMEM (the list is then unchanged). */
int cnb__launch_strv_push(cnb__launch_strv *s, const char *str);
int cnb__launch_strv_push_take(cnb__launch_strv *s, char *str); /* takes str, freeing it on failure */
/* Appends copies of n strings (all or none). */
int cnb__launch_strv_extend(cnb__launch_strv *s, char *const *strs, size_t n);

/* argv view: never NULL (an empty list gives a pointer to a NULL entry). Valid until the next change. */
char *const *cnb__launch_strv_argv(const cnb__launch_strv *s);

/* Joins the entries with `sep`; NULL on OOM. */
char *cnb__launch_strv_join(const cnb__launch_strv *s, const char *sep);

#endif
