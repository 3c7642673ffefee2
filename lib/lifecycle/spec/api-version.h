/*
 * Buildpack and Platform API versions: parsing and the ranges this lifecycle supports
 * (platform.md "Platform API Compatibility": Buildpack API 0.7–0.12, Platform API 0.12–0.15).
 */
#ifndef CNB_LC_API_VERSION_H
#define CNB_LC_API_VERSION_H

#include <stdbool.h>
#include <cnb/error.h>

typedef struct cnb__lifecycle_api {
	unsigned major;
	unsigned minor;
} cnb__lifecycle_api;

#define CNB_BUILDPACK_API_RANGE "0.7 to 0.12"
#define CNB_PLATFORM_API_RANGE "0.12 to 0.15"
/* Used when CNB_PLATFORM_API is unset: the newest semantics we implement. */
#define CNB_PLATFORM_API_DEFAULT "0.15"

/* "<major>.<minor>" or "<major>" (= <major>.0), unsigned decimal integers. 0 or -1. */
int cnb__lifecycle_api_parse(const char *text, cnb__lifecycle_api *out);

/* a >= major.minor. Within major 0 every minor is its own API, but "at least" still orders them. */
bool cnb__lifecycle_api_at_least(cnb__lifecycle_api a, unsigned major, unsigned minor);

bool cnb__lifecycle_api_buildpack_supported(cnb__lifecycle_api a);
bool cnb__lifecycle_api_platform_supported(cnb__lifecycle_api a);

/*
 * Checks a buildpack's declared `api`; `who` names the buildpack ("heroku/go@1.0 (<path>)").
 * CNB_EUNSUPPORTED (exit 12) with a message giving the supported range.
 */
int cnb__lifecycle_api_check_buildpack(const char *text, const char *who, cnb__lifecycle_api *out, cnb_error **err);

/* Checks CNB_PLATFORM_API (NULL/empty = default); CNB_EUNSUPPORTED maps to exit 11. */
int cnb__lifecycle_api_check_platform(const char *text, cnb__lifecycle_api *out, cnb_error **err);

#endif
