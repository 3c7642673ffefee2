/* cnb's configuration file, pack's config.toml idea: defaults a user sets once.
 * $CNB_CONFIG, else $XDG_CONFIG_HOME/cnb/config.toml, else ~/.config/cnb/config.toml:
 *   default-builder-image = "REF"
 *   [registry-mirrors]
 *   "docker.io" = "mirror.example.com"
 * (a subset of TOML: comments, blank lines, `key = "string"` and that one table). */
#ifndef CNB_CLI_CONFIG_H
#define CNB_CLI_CONFIG_H

#define CNB_CLI_CONFIG_MAX_MIRRORS 64

typedef struct cnb_cli_config {
	char *default_builder;                          /* NULL when unset */
	char *mirrors[CNB_CLI_CONFIG_MAX_MIRRORS + 1];  /* "REGISTRY=MIRROR", NULL-terminated */
	int n_mirrors;
} cnb_cli_config;

/* The path of the config file (malloc'd; NULL on OOM). */
char *cnb_cli_config_path(void);

/* Reads the config (an absent file is an empty config). Returns 0 or an exit code after printing why. */
int cnb_cli_config_load(cnb_cli_config **out);

/* Writes it back atomically (temp file + rename). Returns 0 or an exit code after printing why. */
int cnb_cli_config_save(const cnb_cli_config *cfg);

#endif
