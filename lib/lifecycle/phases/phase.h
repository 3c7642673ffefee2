/*
 * What the phases share: their inputs (flags/env resolved by the CLI), the exit codes of
 * platform.md "Usage" (lifecycle platform/exit.go) and logging.
 */
#ifndef CNB_LC_PHASE_H
#define CNB_LC_PHASE_H

#include <stdbool.h>
#include <cnb/error.h>
#include <cnb/log.h>
#include "lib/lifecycle/spec/api-version.h"

enum {
	CNB_LC_EXIT_OK = 0,
	CNB_LC_EXIT_FAILED = 1,
	CNB_LC_EXIT_INVALID_ARGS = 3,
	CNB_LC_EXIT_PLATFORM_API = 11,
	CNB_LC_EXIT_BUILDPACK_API = 12,
	CNB_LC_EXIT_DETECT_FAILED = 20,   /* all groups failed, no errors */
	CNB_LC_EXIT_DETECT_ERRORED = 21,  /* all groups failed, a buildpack errored */
	CNB_LC_EXIT_DETECT = 22,          /* generic detect error */
	CNB_LC_EXIT_BUILDPACK_BUILD = 51, /* bin/build exited non-zero */
	CNB_LC_EXIT_BUILD = 52,           /* generic build error */
	CNB_LC_EXIT_EXPORT = 62,          /* generic export error */
	CNB_LC_EXIT_EXTENSION_GENERATE = 91, /* an extension's bin/generate failed */
	CNB_LC_EXIT_GENERATE = 92,           /* generic generate error */
	/* ours, not the spec's: generate stopped the job so that the platform applies the build.Dockerfiles
	 * before restore and build run (CNB_GENERATE_STOP_FOR_EXTEND, docs/image-extensions.md) */
	CNB_LC_EXIT_EXTEND_BUILD_PENDING = 93,
};

typedef struct cnb__lifecycle_phase_inputs {
	const char *app_dir;
	const char *layers_dir;
	const char *platform_dir;
	const char *buildpacks_dir;
	const char *extensions_dir; /* image extensions (platform.md "Image Extensions Directory Layout") */
	const char *generated_dir;  /* generate's output: <generated>/<escaped extension id>/ */
	const char *run_path;       /* run.toml: generate warns about a run image it does not list */
	const char *build_config_dir;
	const char *order_path;
	const char *group_path;
	const char *plan_path;
	const char *analyzed_path;
	const char *system_path; /* Platform >= 0.15: system buildpacks; a missing file is fine */
	const char *cache_dir;   /* restore: the previous build's cache (docs/cache-protocol.md) */
	const char *exec_env; /* CNB_EXEC_ENV, "production" by default */
	bool skip_layers;     /* restore: store.toml only, no layer (platform.md "restorer" <skip-layers>) */
	cnb__lifecycle_api platform_api;
	char *const *environ; /* the lifecycle's own environment: the allow-list filters it */
	/* Our own messages (a library never prints): one line without newline. */
	void (*log)(void *ud, cnb_log_level level, const char *line); /* the public levels (cnb/log.h) */
	void *log_ud;
} cnb__lifecycle_phase_inputs;

void cnb__lifecycle_phase_log(const cnb__lifecycle_phase_inputs *in, cnb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Runs a phase; *exit_code gets the spec's exit code, and on failure err says why. detect writes
 * <group> and <plan>; build writes <layers>/config/metadata.toml and the SBOM dirs.
 */
int cnb__lifecycle_detect_phase(const cnb__lifecycle_phase_inputs *in, int *exit_code, cnb_error **err);
int cnb__lifecycle_build_phase(const cnb__lifecycle_phase_inputs *in, int *exit_code, cnb_error **err);
/* generate: each extension of <group>'s bin/generate; writes <generated>, updates <analyzed> and <plan>. */
int cnb__lifecycle_generate_phase(const cnb__lifecycle_phase_inputs *in, int *exit_code, cnb_error **err);

#endif
