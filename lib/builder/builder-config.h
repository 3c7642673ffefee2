/*
 * pack's builder.toml, the format users of `pack builder create` already write: [[buildpacks]]
 * (uri to a directory, a .cnb/.tgz buildpack package or an image), [[order]], [build] image and
 * [[build.env]], [run] [[run.images]] (and the older [stack]). Relative URIs resolve against the
 * directory of builder.toml.
 */
#ifndef CNB_BUILDER_CONFIG_H
#define CNB_BUILDER_CONFIG_H

#include <stddef.h>
#include <cnb/error.h>
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "platform-targets.h"

typedef struct cnb__builder_bp {
	char *id;      /* may be NULL: taken from the buildpack itself */
	char *version; /* may be NULL */
	char *uri;     /* absolute path, or an image reference */
	bool extension; /* from [[extensions]] */
} cnb__builder_bp;

typedef struct cnb__builder_env {
	char *name;
	char *value;
	char *suffix; /* NULL, "default", "override", "append", "prepend" */
	char *delim;  /* may be NULL */
} cnb__builder_env;

typedef struct cnb__builder_run_image {
	char *image;
	char **mirrors; /* NULL-terminated */
} cnb__builder_run_image;

typedef struct cnb__builder_config {
	char *description;
	cnb__builder_bp *buildpacks;
	size_t n_buildpacks;
	cnb__lifecycle_order order;
	cnb__lifecycle_order order_ext; /* [[order-extensions]]: every element marked extension */
	char *build_image;
	cnb__builder_env *build_env;
	size_t n_build_env;
	cnb__builder_run_image *run_images;
	size_t n_run_images;
	char *stack_id; /* [stack] id, for io.buildpacks.stack.id and stack.toml */
	cnb__lifecycle_order system; /* [system]: groups[0] = [system.pre], groups[1] = [system.post]; n = 0 when absent */
	char **targets;    /* [[targets]] as "linux/arch[/variant]", NULL-terminated; NULL without targets */
	size_t n_targets;
	bool lifecycle;    /* [lifecycle] given: libcnb builders run libcnb's lifecycle, so it is reported */
	char **unknown;    /* top-level keys pack does not define either, NULL-terminated: reported */
} cnb__builder_config;

/* A config's uri: "oci:…", "docker://…" and plain image references stay, "file://" is dropped, a path
 * becomes absolute (relative to base_dir). NULL on OOM. */
char *cnb__builder_resolve_uri(const char *uri, const char *base_dir);

/*
 * The platform `requested` (--platform) of a builder: with [[targets]] it must be one of them. NULL in
 * *out: none requested, so the builder is made for every target (one manifest each, under an index)
 * or, without targets, for the host's platform. Error when the request is not one of the targets.
 */
int cnb__builder_config_platform(const cnb__builder_config *c, const char *requested, const char **out,
				 cnb_error **err);

/* Reads and validates builder.toml (required pieces, known suffixes, [[targets]] naming supported
 * platforms). [[extensions]] are listed after the [[buildpacks]], marked extension. */
int cnb__builder_config_load(cnb__builder_config **out, const char *path, cnb_error **err);
void cnb__builder_config_free(cnb__builder_config *c);

#endif
