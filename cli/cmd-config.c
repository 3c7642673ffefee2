/* cnb config: the defaults in cnb's config file (pack config default-builder / registry-mirrors). */
#include "cli.h"
#include "cli-config.h"
#include "cli-opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char config_usage[] =
	"Usage: cnb config default-builder [REF | --unset]\n"
	"       cnb config registry-mirrors add REGISTRY --mirror MIRROR\n"
	"       cnb config registry-mirrors remove REGISTRY\n"
	"       cnb config registry-mirrors list\n"
	"\n"
	"Defaults kept in $CNB_CONFIG (else $XDG_CONFIG_HOME/cnb/config.toml, else ~/.config/cnb/config.toml).\n"
	"default-builder: the builder of `cnb build` when neither --builder nor project.toml's\n"
	"[io.buildpacks] builder names one; without REF, prints it.\n"
	"registry-mirrors: pull the builder and run image of a build from MIRROR instead of REGISTRY\n"
	"(\"docker.io\" for Docker Hub).\n"
	"\n"
	"Options:\n"
	"  -m, --mirror MIRROR        the mirror (registry-mirrors add)\n"
	"      --unset                forget the default builder\n";

enum { KEY_UNSET = CNB_CLI_LONG_ONLY };

static const cnb_cli_opt config_opts[] = {
	{ "mirror", 'm', "MIRROR" },
	{ "unset", KEY_UNSET, NULL },
	{ NULL, 0, NULL },
};

typedef struct config_args {
	const char *args[4];
	int n;
	const char *mirror;
	int unset;
} config_args;

static int config_option(int key, const char *value, void *state)
{
	config_args *a = state;
	if (key == 'm')
		a->mirror = value;
	else if (key == KEY_UNSET)
		a->unset = 1;
	else if (a->n < 4)
		a->args[a->n++] = value;
	else
		return fprintf(stderr, "cnb config: unexpected argument %s\n", value), CNB_EXIT_USAGE;
	return 0;
}

/* Values go between TOML double quotes unescaped: keep them plain. */
static bool plain(const char *s)
{
	return *s && !strpbrk(s, "\"\\\n\r\t =");
}

static int default_builder(cnb_cli_config *cfg, const config_args *a)
{
	if (a->n == 1 && !a->unset) {
		if (cfg->default_builder)
			printf("%s\n", cfg->default_builder);
		else
			fprintf(stderr, "cnb config: no default builder (set one with cnb config default-builder REF)\n");
		return cfg->default_builder ? CNB_EXIT_OK : CNB_EXIT_FAILURE;
	}
	if (a->n != (a->unset ? 1 : 2) || (!a->unset && !plain(a->args[1]))) {
		fprintf(stderr, "cnb config default-builder: one image reference, or --unset\n");
		return CNB_EXIT_USAGE;
	}
	free(cfg->default_builder);
	cfg->default_builder = a->unset ? NULL : strdup(a->args[1]);
	return cnb_cli_config_save(cfg);
}

static int find_mirror(const cnb_cli_config *cfg, const char *registry)
{
	size_t len = strlen(registry);
	for (int i = 0; i < cfg->n_mirrors; i++)
		if (!strncmp(cfg->mirrors[i], registry, len) && cfg->mirrors[i][len] == '=')
			return i;
	return -1;
}

static int registry_mirrors(cnb_cli_config *cfg, const config_args *a)
{
	const char *verb = a->n > 1 ? a->args[1] : "list";
	if (!strcmp(verb, "list") && a->n <= 2) {
		for (int i = 0; i < cfg->n_mirrors; i++)
			printf("%s\n", cfg->mirrors[i]);
		return CNB_EXIT_OK;
	}
	if (a->n != 3 || !plain(a->args[2]) || (strcmp(verb, "add") && strcmp(verb, "remove")) ||
	    (!strcmp(verb, "add") && (!a->mirror || !plain(a->mirror)))) {
		fprintf(stderr, "cnb config registry-mirrors: add REGISTRY --mirror MIRROR, remove REGISTRY or list\n");
		return CNB_EXIT_USAGE;
	}
	int i = find_mirror(cfg, a->args[2]);
	if (i >= 0) {
		free(cfg->mirrors[i]);
		memmove(&cfg->mirrors[i], &cfg->mirrors[i + 1], (size_t)(cfg->n_mirrors - i) * sizeof(char *));
		cfg->n_mirrors--;
	} else if (!strcmp(verb, "remove")) {
		fprintf(stderr, "cnb config registry-mirrors: %s has no mirror\n", a->args[2]);
		return CNB_EXIT_FAILURE;
	}
	if (!strcmp(verb, "add")) {
		if (cfg->n_mirrors >= CNB_CLI_CONFIG_MAX_MIRRORS ||
		    asprintf(&cfg->mirrors[cfg->n_mirrors], "%s=%s", a->args[2], a->mirror) < 0)
			return CNB_EXIT_FAILURE;
		cfg->mirrors[++cfg->n_mirrors] = NULL;
	}
	return cnb_cli_config_save(cfg);
}

int cnb_cmd_config(int argc, char **argv)
{
	config_args a = { .n = 0 };
	const cnb_cli_parser p = { "config", config_usage, config_opts, config_option, &a, false };
	int r = cnb_cli_parse(&p, argc, argv, NULL);
	if (r != CNB_CLI_PARSED)
		return r;
	cnb_cli_config *cfg = NULL;
	if (a.n == 0) {
		fputs(config_usage, stderr);
		return CNB_EXIT_USAGE;
	}
	if ((r = cnb_cli_config_load(&cfg)))
		return r;
	if (!strcmp(a.args[0], "default-builder"))
		return default_builder(cfg, &a);
	if (!strcmp(a.args[0], "registry-mirrors"))
		return registry_mirrors(cfg, &a);
	fprintf(stderr, "cnb config: unknown setting '%s'\n\n%s", a.args[0], config_usage);
	return CNB_EXIT_USAGE;
}
