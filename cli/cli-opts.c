/* The one option parser of the cnb commands (grammar in cli-opts.h). */
#include "cli-opts.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KEY_INSECURE = CNB_CLI_LONG_ONLY + 0xff };

/* What handlers return to stop parsing with success (after --help): exit code 0 would mean "go on". */
#define STOP_OK (-3)

static const cnb_cli_opt common_opts[] = {
	{ "help", 'h', NULL },
	{ "quiet", 'q', NULL },
	{ "verbose", 'v', NULL },
	{ "insecure-registry", KEY_INSECURE, "HOST" },
	{ NULL, 0, NULL },
};

static int common_option(const cnb_cli_parser *p, int key, const char *value)
{
	switch (key) {
	case 'h':
		fputs(p->usage, stdout);
		return STOP_OK;
	case 'q':
		cnb_cli.verbosity = -1;
		return 0;
	case 'v':
		cnb_cli.verbosity = 1;
		return 0;
	default:
		if (cnb_cli.n_insecure >= CNB_ARRAY_LEN) {
			fprintf(stderr, "cnb: --insecure-registry needs a value (at most %d of them)\n", CNB_ARRAY_LEN);
			return CNB_EXIT_USAGE;
		}
		cnb_cli.insecure[cnb_cli.n_insecure++] = value;
		return 0;
	}
}

static const cnb_cli_opt *find_in(const cnb_cli_opt *table, const char *name, size_t len, int short_key)
{
	for (const cnb_cli_opt *o = table; o && o->name; o++)
		if (short_key ? o->key == short_key : strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

static const cnb_cli_opt *find_opt(const cnb_cli_parser *p, const char *name, size_t len, int short_key, bool *common)
{
	const cnb_cli_opt *o = find_in(common_opts, name, len, short_key);
	*common = o != NULL;
	return o ? o : find_in(p->opts, name, len, short_key);
}

/* Levenshtein distance, for "did you mean". Names are short: two rows on the stack. */
static size_t edit_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), prev[64], cur[64];
	if (la >= 63 || lb >= 63)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

static const char *closest(const cnb_cli_parser *p, const char *name, size_t len)
{
	const cnb_cli_opt *tables[] = { p->opts, common_opts };
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t t = 0; t < 2; t++)
		for (const cnb_cli_opt *o = tables[t]; o && o->name; o++) {
			size_t d = edit_distance(name, len, o->name);
			/* "--build" for "--builder": a prefix is as close as a typo */
			if (len >= 3 && !strncmp(o->name, name, len))
				d = d < 1 ? d : 1;
			/* "--sbom-dir" for "--sbom-output-dir": the same first word counts for more than its length */
			size_t word = strcspn(name, "-");
			if (word >= 3 && word < len && !strncmp(o->name, name, word + 1))
				d = d < 2 ? d : 2;
			if (d < best_d)
				best_d = d, best = o->name;
		}
	return best;
}

static int unknown(const cnb_cli_parser *p, const char *arg, const char *name, size_t len)
{
	const char *near = closest(p, name, len);
	if (near)
		fprintf(stderr, "cnb %s: unknown option %s (did you mean --%s? see cnb %s --help)\n", p->cmd, arg, near, p->cmd);
	else
		fprintf(stderr, "cnb %s: unknown option %s (see cnb %s --help)\n", p->cmd, arg, p->cmd);
	return CNB_EXIT_USAGE;
}

static int deliver(const cnb_cli_parser *p, const cnb_cli_opt *o, bool common, const char *value)
{
	return common ? common_option(p, o->key, value) : p->handle(o->key, value, p->state);
}

/* A switch given a value: pflag's boolean forms. Returns 1 on, 0 off, -1 not a boolean. */
static int switch_value(const char *v)
{
	static const char *const on[] = { "true", "1", "t", "TRUE", "True" }, *const off[] = { "false", "0", "f", "FALSE", "False" };
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (!strcmp(v, on[i]))
			return 1;
		if (!strcmp(v, off[i]))
			return 0;
	}
	return -1;
}

/* --name, --name=value, --name value */
static int parse_long(const cnb_cli_parser *p, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	bool common;
	const cnb_cli_opt *o = find_opt(p, name, len, 0, &common);
	if (!o)
		return unknown(p, arg, name, len);
	if (!o->value) {
		int on = eq ? switch_value(eq + 1) : 1;
		if (on < 0) {
			fprintf(stderr, "cnb %s: --%s is a switch: it takes true or false, not '%s'\n", p->cmd, o->name, eq + 1);
			return CNB_EXIT_USAGE;
		}
		return on ? deliver(p, o, common, NULL) : 0;
	}
	if (eq)
		return deliver(p, o, common, eq + 1);
	if (*i + 1 >= argc) {
		fprintf(stderr, "cnb %s: --%s needs a value (%s)\n", p->cmd, o->name, o->value);
		return CNB_EXIT_USAGE;
	}
	return deliver(p, o, common, argv[++*i]);
}

/* -x, -xVALUE, -x=VALUE, -x VALUE, -qv */
static int parse_short(const cnb_cli_parser *p, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];
	for (const char *c = arg + 1; *c; c++) {
		bool common;
		const cnb_cli_opt *o = find_opt(p, NULL, 0, (unsigned char)*c, &common);
		if (!o) {
			fprintf(stderr, "cnb %s: unknown option -%c in %s (see cnb %s --help)\n", p->cmd, *c, arg, p->cmd);
			return CNB_EXIT_USAGE;
		}
		if (!o->value) {
			int r = deliver(p, o, common, NULL);
			if (r)
				return r;
			continue;
		}
		if (c[1])
			return deliver(p, o, common, c + 1 + (c[1] == '='));
		if (*i + 1 >= argc) {
			fprintf(stderr, "cnb %s: --%s needs a value (%s)\n", p->cmd, o->name, o->value);
			return CNB_EXIT_USAGE;
		}
		return deliver(p, o, common, argv[++*i]);
	}
	return 0;
}

static int positional(const cnb_cli_parser *p, const char *arg)
{
	cnb_cli_args *a = p->args;
	if (!a)
		return p->handle(0, arg, p->state);
	if (a->n < a->max && a->n < (int)(sizeof(a->v) / sizeof(a->v[0]))) {
		a->v[a->n++] = arg;
		return 0;
	}
	fprintf(stderr, "cnb %s: unexpected argument %s\n\n%s", p->cmd, arg, p->usage);
	return CNB_EXIT_USAGE;
}

int cnb_cli_parse(const cnb_cli_parser *p, int argc, char **argv, int *rest)
{
	if (rest)
		*rest = argc;
	bool options = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;
		if (options && !strcmp(a, "--")) {
			if (p->stop_at_dashdash) {
				if (rest)
					*rest = i + 1;
				return CNB_CLI_PARSED;
			}
			options = false;
			continue;
		}
		if (options && a[0] == '-' && a[1] == '-')
			r = parse_long(p, argc, argv, &i);
		else if (options && a[0] == '-' && a[1])
			r = parse_short(p, argc, argv, &i);
		else if ((r = positional(p, a)) == CNB_CLI_REST_HERE) {
			if (rest)
				*rest = i;
			return CNB_CLI_PARSED;
		}
		if (r)
			return r == STOP_OK ? CNB_EXIT_OK : r;
	}
	return CNB_CLI_PARSED;
}

int cnb_cli_each_comma_item(char *list, int key, cnb_cli_handler handle, void *state)
{
	for (char *save = NULL, *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		item += strspn(item, " ");
		if (!*item)
			continue;
		int r = handle(key, item, state);
		if (r)
			return r;
	}
	return 0;
}
