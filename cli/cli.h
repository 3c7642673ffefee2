/* Shared pieces of the cnb command line: the command table, context setup, errors and exit codes. */
#ifndef CNB_CLI_H
#define CNB_CLI_H

#define CNB_ARRAY_LEN 16

#include <cnb/cnb.h>
#include <stdbool.h>

/* Documented exit codes (docs/cli.md). */
enum {
	CNB_EXIT_OK = 0,
	CNB_EXIT_FAILURE = 1,   /* anything not listed below */
	CNB_EXIT_USAGE = 2,     /* bad flags or arguments */
	CNB_EXIT_REGISTRY = 3,  /* registry unreachable, auth refused, image not found, bad content */
	CNB_EXIT_VM = 4,        /* the build VM (or host executor) failed */
	CNB_EXIT_DETECT = 5,    /* no buildpack group passed detection */
	CNB_EXIT_BUILD = 6,     /* a buildpack failed during build */
	CNB_EXIT_CANCELED = 130,
};

typedef struct cnb_cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
} cnb_cli_command;

/* Common flags every command understands, parsed out of argv by cnb_cli_common_flag(). */
typedef struct cnb_cli_globals {
	int verbosity;        /* -q: -1, default 0, -v: 1 */
	const char *insecure[CNB_ARRAY_LEN];
	int n_insecure;
} cnb_cli_globals;

extern cnb_cli_globals cnb_cli;

/* Creates the context for a command: logs to stderr (plain or TTY), progress bars on a TTY.
 * The cache lives in $CNB_CACHE_DIR, else $XDG_CACHE_HOME/cnb, else ~/.cache/cnb. */
int cnb_cli_ctx(cnb_ctx **out);

/* Prints "cnb <cmd>: <message>" to stderr and returns the exit code that fits the error. */
int cnb_cli_fail(const char *cmd, cnb_error *err);

/* Maps a library error code to an exit code. */
int cnb_cli_exit_code(int error_code);

/* True for a TTY on stderr with CI unset: progress bars and colours allowed. */
bool cnb_cli_interactive(void);

/* Handles -q/-v/--insecure-registry at argv[*i]; returns 1 if consumed, 0 if not, -1 on error. */
int cnb_cli_common_flag(int argc, char **argv, int *i);

/* The local image store (an OCI layout, like a daemon's image store, for builds without --publish):
 * "oci:$XDG_DATA_HOME/cnb/images:IMAGE" (default ~/.local/share). Caller frees; NULL on OOM. */
char *cnb_cli_local_image(const char *image);

/* What cnb_cli_standard_flag() found at argv[*i] when the command must not return yet. */
enum { CNB_CLI_TAKEN = -1, CNB_CLI_NEXT = -2 };

/* The flags every command takes: -h/--help (prints `usage` on stdout), -q, -v, --insecure-registry HOST.
 * Returns CNB_CLI_TAKEN (consumed: go on), CNB_CLI_NEXT (not one of them: the command parses it),
 * or an exit code to return at once (CNB_EXIT_OK after --help, CNB_EXIT_USAGE). */
int cnb_cli_standard_flag(int argc, char **argv, int *i, const char *usage);

/* A library call that makes an image (cnb_image_copy, cnb_builder_create, ...) with the command's `args`. */
typedef int (*cnb_cli_image_maker)(char **digest, cnb_ctx *ctx, void *args, cnb_error **err);

/* Runs `make` with a new context and prints the digest it made ("DEST@DIGEST" when `dest` is set);
 * returns the exit code. */
int cnb_cli_make_image(const char *cmd, cnb_cli_image_maker make, void *args, const char *dest);

/* A subcommand of a command that has them (`cnb builder create`); a table of them ends with { NULL }. */
typedef struct cnb_cli_subcommand {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
} cnb_cli_subcommand;

/* Runs the entry of `subs` that argv[1] names. Without one, prints `usage` (on stdout after -h/--help,
 * exit 0; else on stderr, exit 2); an unknown name is a usage error listing the known ones. */
int cnb_cli_run_subcommand(const char *cmd, const char *usage, const cnb_cli_subcommand *subs, int argc, char **argv);

/* Installs SIGINT/SIGTERM handlers that call `cancel(userdata)` once, then restore defaults. */
void cnb_cli_on_interrupt(void (*cancel)(void *), void *userdata);

/* The commands (cmd-<name>.c), one per entry of main.c's commands[]; each returns the exit code. */
int cnb_cmd_build(int argc, char **argv);
int cnb_cmd_builder(int argc, char **argv);
int cnb_cmd_buildpack(int argc, char **argv);
int cnb_cmd_cache(int argc, char **argv);
int cnb_cmd_sbom(int argc, char **argv);
int cnb_cmd_image(int argc, char **argv);
int cnb_cmd_builder_inspect(int argc, char **argv);
int cnb_cmd_config(int argc, char **argv);
int cnb_cmd_copy(int argc, char **argv);
int cnb_cmd_inspect(int argc, char **argv);
int cnb_cmd_rebase(int argc, char **argv);
int cnb_cmd_run(int argc, char **argv);
int cnb_cmd_unpack(int argc, char **argv);
int cnb_cmd_version(int argc, char **argv);
int cnb_cmd_vm(int argc, char **argv);

#endif
