/* The run image's target data (platform.md "Target Data", platform.md "Data Format"; buildpack.md "Targets"). */
#ifndef CNB_LC_TARGET_DATA_H
#define CNB_LC_TARGET_DATA_H

#include <cnb/error.h>
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "lib/lifecycle/spec/env-rules.h"

/*
 * Reads [run-image.target] of analyzed.toml (`arch-variant` or `variant`, [distro]); with no
 * analyzed.toml or no target there, falls back to this machine: linux, the arch of uname(2)
 * in Go/OCI names, and ID/VERSION_ID of /etc/os-release (what the lifecycle reads of the build
 * container when the run image has no distro labels).
 */
int cnb__lifecycle_target_data_load(cnb__lifecycle_target *out, const char *analyzed_path, cnb_error **err);

/* CNB_TARGET_OS, _ARCH (always), _ARCH_VARIANT, _DISTRO_NAME, _DISTRO_VERSION (when non-empty). */
int cnb__lifecycle_target_data_env(cnb__lifecycle_env *env, const cnb__lifecycle_target *t);

#endif
