/* API version parsing and the supported ranges (platform.md "Platform API Compatibility", lifecycle api/apis.go). */
#include "api-version.h"

#include "lib/common/error-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

static int parse_uint(const char **p, unsigned *out)
{
	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	char *end = NULL;
	unsigned long v = strtoul(*p, &end, 10);
	if (errno || v > 65535)
		return -1;
	*out = (unsigned)v;
	*p = end;
	return 0;
}

int cnb__lifecycle_api_parse(const char *text, cnb__lifecycle_api *out)
{
	if (!text)
		return -1;
	const char *p = text;
	cnb__lifecycle_api a = { 0, 0 };
	if (parse_uint(&p, &a.major) < 0)
		return -1;
	if (*p == '.') {
		p++;
		if (parse_uint(&p, &a.minor) < 0)
			return -1;
	}
	if (*p)
		return -1;
	*out = a;
	return 0;
}

bool cnb__lifecycle_api_at_least(cnb__lifecycle_api a, unsigned major, unsigned minor)
{
	return a.major > major || (a.major == major && a.minor >= minor);
}

bool cnb__lifecycle_api_buildpack_supported(cnb__lifecycle_api a)
{
	return a.major == 0 && a.minor >= 7 && a.minor <= 12;
}

bool cnb__lifecycle_api_platform_supported(cnb__lifecycle_api a)
{
	return a.major == 0 && a.minor >= 12 && a.minor <= 15;
}

int cnb__lifecycle_api_check_buildpack(const char *text, const char *who, cnb__lifecycle_api *out, cnb_error **err)
{
	cnb__lifecycle_api a;
	if (!text || !*text)
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "buildpack %s declares no `api`; this lifecycle supports Buildpack API %s",
				      who, CNB_BUILDPACK_API_RANGE);
	if (cnb__lifecycle_api_parse(text, &a) < 0 || !cnb__lifecycle_api_buildpack_supported(a))
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "buildpack %s uses Buildpack API %s, which is not supported (supported: %s); "
				      "use a newer version of the buildpack",
				      who, text, CNB_BUILDPACK_API_RANGE);
	*out = a;
	return 0;
}

int cnb__lifecycle_api_check_platform(const char *text, cnb__lifecycle_api *out, cnb_error **err)
{
	if (!text || !*text)
		text = CNB_PLATFORM_API_DEFAULT;
	cnb__lifecycle_api a;
	if (cnb__lifecycle_api_parse(text, &a) < 0 || !cnb__lifecycle_api_platform_supported(a))
		return cnb__error_set(err, CNB_EUNSUPPORTED,
				      "platform API %s (CNB_PLATFORM_API) is not supported; supported: %s",
				      text, CNB_PLATFORM_API_RANGE);
	*out = a;
	return 0;
}
