/* A tiny TAP producer for unit tests: `ok`, `is_int`, `is_str`, then `return tap_done();`. */
#ifndef CNB_TAP_H
#define CNB_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed;

static inline int tap_ok_(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	/* A description is one line in TAP: the rest of a multi-line one becomes comments. */
	printf("%sok %d - ", cond ? "" : "not ", ++tap_count);
	for (const char *p = text ? text : "(out of memory)"; *p; p++) {
		if (*p == '\n')
			fputs("\n#   ", stdout);
		else
			putchar(*p);
	}
	free(text);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                                         \
	do {                                                                                           \
		long long g_ = (long long)(got), w_ = (long long)(want);                               \
		if (!tap_ok_(g_ == w_, __FILE__, __LINE__, __VA_ARGS__))                               \
			printf("#   got %lld, want %lld\n", g_, w_);                                     \
	} while (0)

#define is_str(got, want, ...)                                                                         \
	do {                                                                                           \
		const char *g_ = (got), *w_ = (want);                                                  \
		int same_ = (g_ && w_) ? !strcmp(g_, w_) : g_ == w_;                                   \
		if (!tap_ok_(same_, __FILE__, __LINE__, __VA_ARGS__))                                  \
			printf("#   got \"%s\"\n#  want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} while (0)

/* Skips the whole test program (meson counts exit 77 as skipped). */
#define tap_skip_all(...)                                                                              \
	do {                                                                                           \
		printf("1..0 # SKIP ");                                                                \
		printf(__VA_ARGS__);                                                                   \
		printf("\n");                                                                          \
		exit(77);                                                                              \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
