/* Options structs: the NULL/version rule and *_opts_init(). */
#include "opts.h"
#include "lib/common/error-internal.h"

#include <string.h>

const void *cnb__api_opts_resolve(const void *opts, const void *defaults, unsigned int current, const char *type,
			      cnb_error **err)
{
	if (!opts)
		return defaults;
	unsigned int version = *(const unsigned int *)opts; /* the first member of every options struct */
	if (version >= 1 && version <= current)
		return opts;
	cnb__error_set(err, CNB_EINVAL,
		       "%s: version %u is not supported by this libcnb (1..%u); initialise it with %s_init() or the "
		       "*_INIT macro",
		       type, version, current, type);
	return NULL;
}

int cnb__api_opts_init(void *opts, size_t size, const void *defaults, unsigned int version, unsigned int current)
{
	if (!opts || version < 1 || version > current)
		return CNB_EINVAL;
	memcpy(opts, defaults, size);
	*(unsigned int *)opts = version;
	return 0;
}

const void *cnb__api_opts_resolve_sized(void *copy, size_t full, const size_t *sizes, const void *opts,
				    const void *defaults, unsigned int current, const char *type, cnb_error **err)
{
	const void *resolved = cnb__api_opts_resolve(opts, defaults, current, type, err);
	if (!resolved)
		return NULL;
	memcpy(copy, defaults, full);
	memcpy(copy, resolved, sizes[*(const unsigned int *)resolved - 1]);
	return copy;
}

int cnb__api_opts_init_sized(void *opts, const size_t *sizes, const void *defaults, unsigned int version,
			 unsigned int current)
{
	if (!opts || version < 1 || version > current)
		return CNB_EINVAL;
	return cnb__api_opts_init(opts, sizes[version - 1], defaults, version, current);
}
