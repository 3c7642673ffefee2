/* Growable byte buffer. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(cnb__buf *b, size_t extra)
{
	if (extra > (size_t)-1 / 2 - b->len)
		return -1;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int cnb__buf_append(cnb__buf *b, const void *data, size_t len)
{
	if (reserve(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int cnb__buf_puts(cnb__buf *b, const char *s)
{
	return cnb__buf_append(b, s, strlen(s));
}

int cnb__buf_vprintf(cnb__buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0 || reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int cnb__buf_printf(cnb__buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = cnb__buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

char *cnb__buf_steal(cnb__buf *b)
{
	if (!b->data) {
		if (reserve(b, 0) < 0)
			return NULL;
		b->data[0] = '\0';
	}
	char *p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void cnb__buf_reset(cnb__buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
