/*
 * cnb-lifecycle: the CNB lifecycle phases in one static binary, run inside the build VM's chroot
 * as CNB_USER_ID:CNB_GROUP_ID. `cnb-lifecycle <phase> [flags]`, or called through a link named
 * after the reference binaries (detector, builder). A phase is one entry of `phases[]`; export and
 * extend (lib/extend/extend-apply.h, as root) parse their own flags.
 */
#include "lifecycle-flags.h"
#include "export-flags.h"
#include "lib/lifecycle/phases/restore.h"
#include "lib/extend/extend-apply.h"

#include "lib/common/cleanup.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

typedef struct phase {
	const char *name;  /* subcommand */
	const char *alias; /* argv[0] basename of the reference lifecycle */
	unsigned flags;
	bool refuse_root; /* detector and builder run buildpack code: never as root (platform.md "Usage") */
	int (*run)(const cnb__lifecycle_phase_inputs *in, int *exit_code, cnb_error **err);
} phase;

#define COMMON_FLAGS (LC_FLAG_APP | LC_FLAG_LAYERS | LC_FLAG_PLATFORM | LC_FLAG_BUILDPACKS | LC_FLAG_GROUP | \
		      LC_FLAG_PLAN | LC_FLAG_ANALYZED | LC_FLAG_BUILD_CONFIG | LC_FLAG_LOG_LEVEL | LC_FLAG_NO_COLOR)

static const phase phases[] = {
	{ "detect", "detector", COMMON_FLAGS | LC_FLAG_ORDER | LC_FLAG_SYSTEM | LC_FLAG_RUN | LC_FLAG_EXTENSIONS |
					LC_FLAG_GENERATED, true, cnb__lifecycle_detect_phase },
	/* Our own step (the reference's detector runs it in-process): image extensions' bin/generate. */
	{ "generate", "generator", COMMON_FLAGS | LC_FLAG_RUN | LC_FLAG_EXTENSIONS | LC_FLAG_GENERATED, true,
	  cnb__lifecycle_generate_phase },
	{ "restore", "restorer", LC_FLAG_LAYERS | LC_FLAG_GROUP | LC_FLAG_ANALYZED | LC_FLAG_CACHE_DIR | LC_FLAG_LOG_LEVEL | LC_FLAG_NO_COLOR |
			       LC_FLAG_SKIP_LAYERS,
	  true, cnb__lifecycle_restore_phase },
	{ "build", "builder", COMMON_FLAGS, true, cnb__lifecycle_build_phase },
};

static int usage(void)
{
	fprintf(stderr, "usage: cnb-lifecycle <phase> [flags]\nphases:");
	for (size_t i = 0; i < CNB_ARRAY_SIZE(phases); i++)
		fprintf(stderr, " %s", phases[i].name);
	fprintf(stderr, "\n");
	return CNB_LC_EXIT_INVALID_ARGS;
}

static const phase *find_phase(const char *name)
{
	for (size_t i = 0; i < CNB_ARRAY_SIZE(phases); i++)
		if (!strcmp(name, phases[i].name) || !strcmp(name, phases[i].alias))
			return &phases[i];
	return NULL;
}

static int run_phase(const phase *p, int argc, char **argv)
{
	if (p->refuse_root && geteuid() == 0) {
		fprintf(stderr, "cnb-lifecycle %s: refusing to run as root: run it as CNB_USER_ID:CNB_GROUP_ID\n",
			p->name);
		return CNB_LC_EXIT_FAILED;
	}
	lc_options o;
	int rc = lc_options_parse(&o, p->name, p->flags, argc, argv, environ);
	if (rc) {
		lc_options_free(&o);
		return rc < 0 ? 0 : rc;
	}
	cnb_error *err = NULL;
	int exit_code = CNB_LC_EXIT_FAILED;
	if (p->run(&o.in, &exit_code, &err) && exit_code == CNB_LC_EXIT_OK)
		exit_code = CNB_LC_EXIT_FAILED;
	if (err)
		fprintf(stderr, "ERROR: %s\n", cnb_error_message(err));
	cnb_error_free(err);
	lc_options_free(&o);
	return exit_code;
}

/* export parses its own flags (-out, -launcher, -cache...; export-flags.c). */
static bool is_export(const char *name)
{
	return !strcmp(name, "export") || !strcmp(name, "exporter");
}

int main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (is_export(self))
		return lc_export_main(argc, argv);
	if (argc >= 2 && is_export(argv[1]))
		return lc_export_main(argc - 1, argv + 1);
	/* extend parses its own flags and runs as root: it sandboxes the Dockerfiles' RUN steps itself */
	if (argc >= 2 && !strcmp(argv[1], "extend"))
		return cnb__extend_main(argc - 1, argv + 1);
	const phase *p = find_phase(self);
	if (p)
		return run_phase(p, argc - 1, argv + 1);
	if (argc < 2)
		return usage();
	if (!(p = find_phase(argv[1]))) {
		fprintf(stderr, "cnb-lifecycle: unknown phase \"%s\"\n", argv[1]);
		return usage();
	}
	return run_phase(p, argc - 2, argv + 2);
}
