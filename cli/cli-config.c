/* Reading and writing cnb's config file (format in cli-config.h). */
#include "cli-config.h"
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096

char *cnb_cli_config_path(void)
{
	const char *env = getenv("CNB_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *out = NULL;
	int n = env && *env ? asprintf(&out, "%s", env)
	      : xdg && *xdg == '/' ? asprintf(&out, "%s/cnb/config.toml", xdg)
				   : asprintf(&out, "%s/.config/cnb/config.toml", home && *home ? home : "/");
	return n < 0 ? NULL : out;
}

/* `"text"` or `text` (a bare key) at *p: copied out, *p moved past it. Escapes are refused. */
static char *take_string(char **p)
{
	char *s = *p + strspn(*p, " \t"), *end;
	if (*s == '"') {
		end = strchr(s + 1, '"');
		if (!end || memchr(s + 1, '\\', (size_t)(end - s - 1)))
			return NULL;
		*p = end + 1;
		return strndup(s + 1, (size_t)(end - s - 1));
	}
	end = s + strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
	if (end == s)
		return NULL;
	*p = end;
	return strndup(s, (size_t)(end - s));
}

static int parse_line(cnb_cli_config *cfg, char *line, bool *in_mirrors)
{
	char *s = line + strspn(line, " \t");
	if (!*s || *s == '#')
		return 0;
	if (*s == '[') {
		*in_mirrors = !strncmp(s, "[registry-mirrors]", 18);
		return *in_mirrors ? 0 : -1;
	}
	char *key = take_string(&s), *value = NULL;
	s += strspn(s, " \t");
	if (key && *s == '=') {
		s++;
		value = take_string(&s);
	}
	s += value ? strspn(s, " \t") : 0;
	int r = -1;
	if (value && (!*s || *s == '#')) {
		if (*in_mirrors && cfg->n_mirrors < CNB_CLI_CONFIG_MAX_MIRRORS &&
		    asprintf(&cfg->mirrors[cfg->n_mirrors], "%s=%s", key, value) >= 0)
			r = 0, cfg->n_mirrors++;
		else if (!*in_mirrors && !strcmp(key, "default-builder-image"))
			r = 0, free(cfg->default_builder), cfg->default_builder = value, value = NULL;
	}
	free(key);
	free(value);
	return r;
}

int cnb_cli_config_load(cnb_cli_config **out)
{
	cnb_cli_config *cfg = calloc(1, sizeof(*cfg));
	char *path = cnb_cli_config_path();
	if (!cfg || !path)
		return free(cfg), free(path), CNB_EXIT_FAILURE;
	FILE *f = fopen(path, "re");
	if (!f && errno != ENOENT) {
		fprintf(stderr, "cnb: config %s: %s\n", path, strerror(errno));
		return free(cfg), free(path), CNB_EXIT_FAILURE;
	}
	char line[LINE_MAX_BYTES];
	bool in_mirrors = false;
	int r = 0;
	for (int n = 1; f && r == 0 && fgets(line, sizeof(line), f); n++) {
		line[strcspn(line, "\r\n")] = '\0';
		if (parse_line(cfg, line, &in_mirrors) < 0) {
			fprintf(stderr, "cnb: config %s:%d: not understood (expected default-builder-image = \"REF\" or a "
					"[registry-mirrors] entry \"REGISTRY\" = \"MIRROR\"): %s\n", path, n, line);
			r = CNB_EXIT_USAGE;
		}
	}
	if (f)
		fclose(f);
	free(path);
	*out = cfg; /* a command's config lives until it exits */
	return r;
}

int cnb_cli_config_save(const cnb_cli_config *cfg)
{
	char *path = cnb_cli_config_path(), *tmp = NULL, *dir = path ? strdup(path) : NULL;
	if (!path || !dir || asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return free(path), free(dir), CNB_EXIT_FAILURE;
	char *parent = dirname(dir);
	char *grand = strdup(parent);
	if (grand)
		mkdir(dirname(grand), 0700);
	free(grand);
	mkdir(parent, 0700);
	int fd = mkstemp(tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int ok = f != NULL;
	if (ok && cfg->default_builder)
		ok = fprintf(f, "default-builder-image = \"%s\"\n", cfg->default_builder) > 0;
	if (ok && cfg->n_mirrors)
		ok = fputs("\n[registry-mirrors]\n", f) >= 0;
	for (int i = 0; ok && i < cfg->n_mirrors; i++) {
		const char *eq = strchr(cfg->mirrors[i], '=');
		ok = fprintf(f, "\"%.*s\" = \"%s\"\n", (int)(eq - cfg->mirrors[i]), cfg->mirrors[i], eq + 1) > 0;
	}
	if (f && fclose(f) != 0)
		ok = 0;
	else if (!f && fd >= 0)
		close(fd);
	if (ok && rename(tmp, path) < 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "cnb config: write %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(dir);
	free(path);
	return ok ? 0 : CNB_EXIT_FAILURE;
}
