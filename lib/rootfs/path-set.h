/* A set of relative paths: which entries the layer being applied has produced so far. */
#ifndef CNB_ROOTFS_PATH_SET_H
#define CNB_ROOTFS_PATH_SET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cnb__rootfs_path_set {
	char **slots; /* open addressing, NULL = empty */
	size_t cap;   /* power of two */
	size_t len;
} cnb__rootfs_path_set;

#define CNB_PATH_SET_INIT { NULL, 0, 0 }

/* Adds `path` and every ancestor of it (an entry "a/b/c" keeps "a" and "a/b" alive under an
 * opaque marker of the same layer). 0, or -1 on OOM. */
int cnb__rootfs_path_set_add_with_parents(cnb__rootfs_path_set *s, const char *path);
bool cnb__rootfs_path_set_has(const cnb__rootfs_path_set *s, const char *path, size_t len);
void cnb__rootfs_path_set_clear(cnb__rootfs_path_set *s);

#endif
