#include "format.h"

#include "lib/common/cleanup.h"

#include <stdio.h>
#include <stdlib.h>

char *cnb__vformat(const char *fmt, va_list ap)
{
	char *out = NULL;
	return vasprintf(&out, fmt, ap) < 0 ? NULL : out;
}

void cnb__line_printf(cnb__line_fn fn, void *ud, const char *fmt, ...)
{
	if (!fn)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *line = cnb__vformat(fmt, ap);
	va_end(ap);
	if (line)
		fn(ud, line);
}
