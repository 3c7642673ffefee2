/* Internal side of cnb_error: creating errors and adding context as they travel up. */
#ifndef CNB_ERROR_INTERNAL_H
#define CNB_ERROR_INTERNAL_H

#include <cnb/error.h>
#include <stdarg.h>

struct cnb_error {
	int code;
	char *message;
};

/*
 * Sets *err (when err is non-NULL and *err is NULL) to a new error and returns `code`,
 * so callers can write `return cnb__error_set(err, CNB_EIO, "open %s: %s", p, strerror(errno));`.
 * Never fails: on OOM *err becomes a static "out of memory" error (cnb_error_free ignores it).
 */
int cnb__error_set(cnb_error **err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cnb__error_setv(cnb_error **err, int code, const char *fmt, va_list ap);

/* Same with strerror(errno_value) appended as ": <text>". */
int cnb__error_errno(cnb_error **err, int code, int errno_value, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Prepends "context: " to an existing error's message and returns its code. Only for failure paths, so it
 * never returns CNB_OK: with err NULL it returns CNB_EINTERNAL; with *err still empty (a callee failed
 * without saying why) it sets a CNB_EINTERNAL error naming the context. */
int cnb__error_prefix(cnb_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Code of *err, or `fallback` when err is NULL or empty (callers that passed NULL still learn the code). */
int cnb__error_code(cnb_error **err, int fallback);

/* Hands a locally held error `e` to the caller's `err` (kept when *err is still empty, freed
 * otherwise, or when err is NULL) and returns `code`. */
int cnb__error_pass(cnb_error **err, cnb_error *e, int code);

/* Frees *err and sets it to NULL. */
void cnb__error_clear(cnb_error **err);

/* cnb_error_free(*err), for _cleanup_(). */
void cnb__error_freep(cnb_error **err);

/*
 * The first statement of every public function that takes `cnb_error **err` (docs/api.md, "Errors"):
 * when the caller passed NULL, errors go to a local one freed when the function returns, so inside the
 * library err is never NULL and every failure keeps its code and its context.
 */
#define CNB__ERROR_NEVER_NULL(err)                                                                 \
	__attribute__((cleanup(cnb__error_freep))) cnb_error *cnb__local_error = NULL;                     \
	if (!(err))                                                                                        \
	(err) = &cnb__local_error

#endif
