/* Scope-bound cleanup helpers (the systemd/crun idiom). */
#ifndef CNB_CLEANUP_H
#define CNB_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void cnb__freep(void *p) { free(*(void **)p); }
static inline void cnb__closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void cnb__fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void cnb__closedirp(DIR **d) { if (*d) closedir(*d); }

#define _cleanup_free_ _cleanup_(cnb__freep)
#define _cleanup_close_ _cleanup_(cnb__closep)
#define _cleanup_fclose_ _cleanup_(cnb__fclosep)
#define _cleanup_closedir_ _cleanup_(cnb__closedirp)

/* Hands ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })
#define TAKE_FD(fd) ({ int _tf = (fd); (fd) = -1; _tf; })

#define CNB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
