/* The one rule for public options structs (docs/api.md, "Options"). */
#ifndef CNB_API_OPTS_H
#define CNB_API_OPTS_H

#include <cnb/error.h>
#include <stddef.h>

/*
 * Every public options struct starts with `unsigned int version`. A public function resolves its
 * `opts` argument with this, before reading any field:
 *   - NULL means "all defaults": `defaults` (the struct's *_INIT) is returned;
 *   - a version of 0 (never initialised) or above `current` (built against a newer libcnb) fails
 *     with CNB_EINVAL: "<type>: version N is not supported by this libcnb (1..C); initialise it
 *     with <type>_init() or <TYPE>_INIT";
 *   - otherwise `opts` itself is returned. A field added in version V is read only when
 *     opts->version >= V (an older caller's struct ends before it).
 * Returns NULL (and sets *err) on the failure above.
 */
const void *cnb__api_opts_resolve(const void *opts, const void *defaults, unsigned int current, const char *type,
			      cnb_error **err);

/*
 * The body of every cnb_<x>_opts_init(): fills `opts` with `defaults` and sets its version to the
 * caller's. CNB_EINVAL when opts is NULL or `version` is not 1..current. Every struct is at its
 * version 1 today, so the whole struct is written; once one grows, its _init must write only the
 * part an older `version` knows (offsetof its first newer field).
 */
int cnb__api_opts_init(void *opts, size_t size, const void *defaults, unsigned int version, unsigned int current);

/*
 * For a struct that grew after version 1: sizes[v - 1] is the size of its version v (offsetof the
 * first field added after v; sizeof for the current version). _resolve_sized resolves as above,
 * then fills *copy (`full` bytes) with the defaults and the caller's own first sizes[v - 1] bytes,
 * so every field of *copy may be read whatever the caller's version; returns copy (or NULL).
 * _init_sized writes only what the caller's version has.
 */
const void *cnb__api_opts_resolve_sized(void *copy, size_t full, const size_t *sizes, const void *opts,
				    const void *defaults, unsigned int current, const char *type, cnb_error **err);
int cnb__api_opts_init_sized(void *opts, const size_t *sizes, const void *defaults, unsigned int version,
			 unsigned int current);

/* Defines `int TYPE_init(TYPE *opts, unsigned int version)` from TYPE's VERSION and INIT macros. */
#define CNB__DEFINE_OPTS_INIT(type, VERSION, INIT)                                                         \
	int type##_init(type *opts, unsigned int version)                                                  \
	{                                                                                                  \
		const type defaults = INIT;                                                                \
		return cnb__api_opts_init(opts, sizeof(*opts), &defaults, version, VERSION);                   \
	}

/* The same for a struct with a TYPE_sizes[] table (see cnb__api_opts_resolve_sized). */
#define CNB__DEFINE_OPTS_INIT_SIZED(type, VERSION, INIT)                                                   \
	int type##_init(type *opts, unsigned int version)                                                  \
	{                                                                                                  \
		const type defaults = INIT;                                                                \
		return cnb__api_opts_init_sized(opts, type##_sizes, &defaults, version, VERSION);              \
	}

#endif
