/* The build object behind include/cnb/build.h, shared by the files of lib/platform. */
#ifndef CNB_PLATFORM_BUILD_INTERNAL_H
#define CNB_PLATFORM_BUILD_INTERNAL_H

#include <cnb/build.h>
#include <stdbool.h>
#include "build-volumes.h"
#include "lib/lifecycle/spec/project-descriptor.h"
#include "lib/export/export-assemble.h"

#define CNB_BUILD_MAX_PHASES 64

typedef struct cnb__platform_phase_time {
	const char *name;
	uint64_t ms;
} cnb__platform_phase_time;

/* One platform's part of a build: its image and where its phases sit in cnb_build.phases. */
typedef struct cnb__platform_result {
	char *platform; /* "linux/arm64", the image's own */
	char *digest;   /* its manifest's digest */
	cnb__export_stats export_stats;
	uint64_t vm_boot_ms;
	size_t first_phase, n_phases;
} cnb__platform_result;

struct cnb_build {
	cnb_ctx *ctx;        /* the caller's context, with this build's cancel fd (cnb__api_ctx_with_cancel) */
	cnb_build_opts opts; /* strings and arrays below are our own copies */
	char **env, **tags, **buildpacks, **lifecycle_env, **registry_mirrors, **pre_buildpacks, **post_buildpacks, **volumes;
	cnb__platform_volume *volumes_parsed; /* opts.volumes, checked by cnb_build_new() */
	size_t n_volumes;
	char **platforms; /* opts.platform split: one entry (NULL for the host's) or a comma list's, normalized */
	size_t n_platforms;
	int cancel_pipe[2];
	bool ran;
	/* results */
	char *digest;
	char *reference;
	cnb__platform_phase_time phases[CNB_BUILD_MAX_PHASES];
	size_t n_phases;
	cnb__export_stats export_stats; /* all platforms' */
	cnb__platform_result *results;  /* n_platforms of them, filled as each finishes */
	uint64_t vm_boot_ms; /* all platforms' */
	char accel[8];
	bool accel_fell_back;
};

/* The pipeline itself (build-run.c); build-run.c calls nothing back in build-api.c. */
int cnb__platform_build_execute(cnb_build *b, cnb_error **err);

#endif
