/*
 * Command line and environment of cnb-lifecycle phases, as the reference lifecycle takes them
 * (platform.md "Usage"): Go-style flags (`-layers /layers`, `-layers=/layers`), a flag wins over its
 * CNB_* variable, then the platform defaults.
 */
#ifndef CNB_LIFECYCLE_FLAGS_H
#define CNB_LIFECYCLE_FLAGS_H

#include "lib/lifecycle/phases/phase.h"

/* Flags a phase accepts (bit mask). */
enum {
	LC_FLAG_APP = 1 << 0,
	LC_FLAG_LAYERS = 1 << 1,
	LC_FLAG_PLATFORM = 1 << 2,
	LC_FLAG_BUILDPACKS = 1 << 3,
	LC_FLAG_ORDER = 1 << 4,
	LC_FLAG_GROUP = 1 << 5,
	LC_FLAG_PLAN = 1 << 6,
	LC_FLAG_ANALYZED = 1 << 7,
	LC_FLAG_BUILD_CONFIG = 1 << 8,
	LC_FLAG_LOG_LEVEL = 1 << 9,
	LC_FLAG_SYSTEM = 1 << 10,
	/* -run: run.toml (generate warns about a run image it does not list); -no-color is accepted and
	 * ignored (our lines have no color). */
	LC_FLAG_RUN = 1 << 11,
	LC_FLAG_NO_COLOR = 1 << 12,
	LC_FLAG_CACHE_DIR = 1 << 13,
	LC_FLAG_SKIP_LAYERS = 1 << 14, /* restore: platform.md "restorer" <skip-layers> */
	LC_FLAG_EXTENSIONS = 1 << 15,
	LC_FLAG_GENERATED = 1 << 16,
};

typedef struct lc_options {
	char *paths[17]; /* indexed by flag bit; absolute, owned */
	cnb_log_level log_level; /* the highest level printed, as the library's own log callback */
	cnb__lifecycle_phase_inputs in;
} lc_options;

/*
 * Parses argv (after the phase name) for the flags in `allowed`, fills the inputs with defaults
 * and makes every path absolute. Returns 0; -1 after printing the usage for -help (exit 0); or
 * an exit code (3 for bad usage, 11 for an unsupported CNB_PLATFORM_API) after printing why.
 */
int lc_options_parse(lc_options *o, const char *phase, unsigned allowed, int argc, char **argv, char **environ);

void lc_options_free(lc_options *o);

/* Prints a line on stderr when `level` passes the -log-level filter. */
void lc_log(void *ud, cnb_log_level level, const char *line);

#endif
