/* What the image commands share (inspect, sbom, builder inspect, image ls/rm, run): the local image
 * store and the io.buildpacks.* labels of an image as JSON. */
#ifndef CNB_CLI_IMAGE_H
#define CNB_CLI_IMAGE_H

#include <cnb/cnb.h>
#include <jansson.h>
#include <stdbool.h>

/* The local image store's directory, $XDG_DATA_HOME/cnb/images (see cnb_cli_local_image). Caller frees. */
char *cnb_cli_store_dir(void);

/* Resolves IMAGE as `cnb run` does: docker://REF and oci:DIR[:TAG] as given; a bare name that the local
 * store holds becomes "oci:STORE:NAME" (*local true), anything else is a registry reference.
 * An unreadable store is reported on stderr and skipped. Caller frees; NULL on OOM. */
char *cnb_cli_resolve_image(cnb_ctx *ctx, const char *image, bool *local);

/* cnb_image_inspect() parsed: {"name","digest","config",...}. NULL with *err set on failure. */
json_t *cnb_cli_inspect_json(cnb_ctx *ctx, const char *location, cnb_error **err);

/* The config label `key` of an inspected image: its string, or (parsed) its JSON value (new reference,
 * NULL when absent or not JSON). */
const char *cnb_cli_label(json_t *inspected, const char *key);
json_t *cnb_cli_label_json(json_t *inspected, const char *key);

/* "-o/--output FORMAT" at argv[*i] (also --output=FORMAT): stores FORMAT and returns 1; 0 when not
 * this flag; -1 when the value is missing or not one of `allowed` (NULL-terminated; message printed). */
int cnb_cli_output_flag(int argc, char **argv, int *i, const char *cmd, const char *const *allowed, const char **format);

/* A command of the form `cnb NAME [OPTIONS] ARG` (inspect, builder inspect, sbom download). */
typedef struct cnb_cli_image_cmd {
	const char *name;            /* "builder inspect", for messages */
	const char *usage;
	const char *arg;             /* "IMAGE", for "IMAGE is required" */
	const char *const *formats;  /* -o/--output values (first: the default); NULL: no -o */
	/* Offered each other flag: 1 when it took argv[*i] (and its value), 0 when not its flag,
	 * -1 after printing a usage error. May be NULL. */
	int (*flag)(int argc, char **argv, int *i, void *userdata);
	void *userdata;
	const bool *remote;          /* when it points at true (after parsing), skip the local store */
} cnb_cli_image_cmd;

/* Parses argv (argv[0]: the command) into *format and *arg. Returns -1 when the command goes on, else
 * the exit code to return at once (after --help, or a usage error printed with the usage text). */
int cnb_cli_image_args(const cnb_cli_image_cmd *cmd, int argc, char **argv, const char **format, const char **arg);

/* What such a command works with once it has started. */
typedef struct cnb_cli_image_run {
	const char *format; /* the -o value (NULL when the command has no -o) */
	const char *arg;    /* its IMAGE (or BUILDER) argument as given */
	cnb_ctx *ctx;
	char *location;     /* the image resolved by cnb_cli_resolve_image() */
	bool local;         /* found in the local image store */
} cnb_cli_image_run;

/* The whole start of such a command: cnb_cli_image_args(), the context, the image resolved. Returns -1
 * when the command goes on (it ends with cnb_cli_image_end()), else the exit code to return at once. */
int cnb_cli_image_start(const cnb_cli_image_cmd *cmd, int argc, char **argv, cnb_cli_image_run *run);

/* Frees what cnb_cli_image_start() made; returns `rc`, the command's exit code. */
int cnb_cli_image_end(cnb_cli_image_run *run, int rc);

/* Prints pack's JSON envelope: {name_key: name, "location", "remote_info", "local_info"}, `info` under
 * local_info for an oci: location (the local store, a layout), else under remote_info; the other null. */
void cnb_cli_print_info_json(const char *name_key, const char *name, const char *location, json_t *info);

/* Prints a JSON value on stdout, indented by two. */
void cnb_cli_print_json(json_t *value);

#endif
