/* Strings built from a printf format, and receivers of log lines. */
#ifndef CNB_COMMON_FORMAT_H
#define CNB_COMMON_FORMAT_H

#include <stdarg.h>

/* vasprintf that returns the string (NULL on OOM), for log lines built from a format. */
char *cnb__vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A receiver of log lines (no trailing newline), and printf into one; a NULL fn drops the line. */
typedef void (*cnb__line_fn)(void *ud, const char *line);
void cnb__line_printf(cnb__line_fn fn, void *ud, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
