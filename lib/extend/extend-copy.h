/*
 * A Dockerfile COPY (or local ADD) in the build VM, run by the sandbox (extend-sandbox.h) once it
 * is root of the overlay: each source, relative to the build context `ctx_fd` (an O_PATH directory
 * opened before entering the overlay), is looked up without following any symlink and without
 * leaving the context; a directory is copied recursively (its contents into `dest`, as docker
 * does), a file into `dest` (or into it when `dest` ends in "/" or is a directory), symlinks as
 * symlinks. Every entry copied gets `uid`:`gid` (--chown, else root); missing parent directories
 * of `dest` are made 0755. Errors are written to stderr naming `where`.
 */
#ifndef CNB_EXTEND_COPY_H
#define CNB_EXTEND_COPY_H

#include <sys/types.h>

int cnb__extend_copy(const char *where, int ctx_fd, char *const *srcs, const char *dest, uid_t uid, gid_t gid);

#endif
