/* Hash set of paths (FNV-1a, linear probing); sized for layers of a few hundred thousand entries. */
#include "path-set.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static char **find(const cnb__rootfs_path_set *s, const char *path, size_t len)
{
	size_t i = hash(path, len) & (s->cap - 1);
	while (s->slots[i] && (strncmp(s->slots[i], path, len) || s->slots[i][len]))
		i = (i + 1) & (s->cap - 1);
	return &s->slots[i];
}

bool cnb__rootfs_path_set_has(const cnb__rootfs_path_set *s, const char *path, size_t len)
{
	return s->cap && *find(s, path, len);
}

static int grow(cnb__rootfs_path_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	cnb__rootfs_path_set bigger = { calloc(cap, sizeof(char *)), cap, s->len };
	if (!bigger.slots)
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			*find(&bigger, s->slots[i], strlen(s->slots[i])) = s->slots[i];
	free(s->slots);
	*s = bigger;
	return 0;
}

static int add(cnb__rootfs_path_set *s, const char *path, size_t len)
{
	if ((s->len + 1) * 2 > s->cap && grow(s) < 0)
		return -1;
	char **slot = find(s, path, len);
	if (*slot)
		return 1;
	if (!(*slot = strndup(path, len)))
		return -1;
	s->len++;
	return 0;
}

int cnb__rootfs_path_set_add_with_parents(cnb__rootfs_path_set *s, const char *path)
{
	/* Longest first: once a prefix is already present, so are all shorter ones. */
	for (size_t len = strlen(path); len > 0;) {
		int r = add(s, path, len);
		if (r != 0)
			return r < 0 ? -1 : 0;
		while (len > 0 && path[len - 1] != '/')
			len--;
		if (len > 0)
			len--;
	}
	return 0;
}

void cnb__rootfs_path_set_clear(cnb__rootfs_path_set *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
	*s = (cnb__rootfs_path_set)CNB_PATH_SET_INIT;
}
