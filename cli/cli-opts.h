/* The option grammar every cnb command shares (pack's, i.e. cobra/pflag's): one table per command,
 * one parser. `--name=value` and `--name value`; `-x value`, `-xvalue` and `-x=value`; short
 * switches grouped (`-qv`); `--switch=true|false`; `--` ends the options. Unknown options are a
 * usage error naming the closest known one. The idea is crun's argp tables and curl's aliases[]. */
#ifndef CNB_CLI_OPTS_H
#define CNB_CLI_OPTS_H

#include <stdbool.h>

/* Keys of long-only options start here; below it a key is the option's short letter. */
#define CNB_CLI_LONG_ONLY 0x100

typedef struct cnb_cli_opt {
	const char *name;  /* long name without "--"; NULL ends a table */
	int key;           /* its short letter ('t'), or CNB_CLI_LONG_ONLY + n */
	const char *value; /* what its value is called in messages ("REF"); NULL: a switch */
} cnb_cli_opt;

/* Called for each option in command-line order (value NULL for a switch that is on; a switch given
 * `=false` is not reported) and with key 0 for each positional argument. Returns 0, or an exit code
 * that stops parsing. */
typedef int (*cnb_cli_handler)(int key, const char *value, void *state);

/* Where the parser puts a command's positional arguments, when the command has a fixed number of them. */
typedef struct cnb_cli_args {
	int max;          /* more than this is a usage error: "cnb CMD: unexpected argument X" */
	int n;
	const char *v[4]; /* max <= 4 */
} cnb_cli_args;

typedef struct cnb_cli_parser {
	const char *cmd;          /* "build": messages read "cnb build: …" */
	const char *usage;        /* printed on stdout by -h/--help */
	const cnb_cli_opt *opts;  /* the command's table, ended by { NULL } */
	cnb_cli_handler handle;
	void *state;
	bool stop_at_dashdash;    /* "--" ends parsing and *rest gets the index after it */
	cnb_cli_args *args;       /* positional arguments go here; NULL: to handle() with key 0 */
} cnb_cli_parser;

/* What cnb_cli_parse() returns when every argument was taken and the command should go on. */
#define CNB_CLI_PARSED (-1)

/* What a handler returns for a positional argument that begins the command's own arguments (`cnb run
 * IMAGE ARGS...`): parsing stops there and *rest gets its index. */
#define CNB_CLI_REST_HERE (-4)

/* Parses argv[1..argc-1] with the command's table plus the common options (-h/--help, -q/--quiet,
 * -v/--verbose, --insecure-registry HOST), which it handles itself. Returns CNB_CLI_PARSED, or an
 * exit code to return at once (CNB_EXIT_OK after --help, CNB_EXIT_USAGE, or a handler's code).
 * `rest` (may be NULL) receives the index of the first argument after "--" (argc when none). */
int cnb_cli_parse(const cnb_cli_parser *p, int argc, char **argv, int *rest);

/* Splits a comma list ("a,b,c") in place and calls handle(key, item) for each non-empty item. */
int cnb_cli_each_comma_item(char *list, int key, cnb_cli_handler handle, void *state);

#endif
