/* A growable byte buffer, always NUL-terminated. */
#ifndef CNB_BUF_H
#define CNB_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct cnb__buf {
	char *data;   /* NULL until the first append; NUL-terminated after */
	size_t len;
	size_t cap;
} cnb__buf;

#define CNB_BUF_INIT { NULL, 0, 0 }

/* Each returns 0, or -1 on OOM (the buffer is unchanged). */
int cnb__buf_append(cnb__buf *b, const void *data, size_t len);
int cnb__buf_puts(cnb__buf *b, const char *s);
int cnb__buf_printf(cnb__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cnb__buf_vprintf(cnb__buf *b, const char *fmt, va_list ap);
/* Detaches the data (never NULL on success: "" for an empty buffer); the buffer is reset. */
char *cnb__buf_steal(cnb__buf *b);
void cnb__buf_reset(cnb__buf *b);
static inline void cnb__buf_freep(cnb__buf *b) { cnb__buf_reset(b); }

#define _cleanup_buf_ __attribute__((cleanup(cnb__buf_freep)))

#endif
