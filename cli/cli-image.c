/* The local image store and image labels for the image commands (see cli-image.h). */
#include "cli.h"
#include "cli-image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cnb_cli_store_dir(void)
{
	char *local = cnb_cli_local_image("x");
	if (!local)
		return NULL;
	/* "oci:<dir>:x" */
	char *dir = strndup(local + 4, strlen(local) - 6);
	free(local);
	return dir;
}

static bool store_has(cnb_ctx *ctx, const char *dir, const char *name, cnb_error **err)
{
	char *text = NULL;
	if (cnb_image_list(&text, ctx, dir, err) < 0)
		return false;
	json_t *list = json_loads(text, 0, NULL);
	cnb_free(text);
	bool found = false;
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) found = found || !strcmp(json_string_value(json_object_get(e, "name")) ?: "", name);
	json_decref(list);
	return found;
}

char *cnb_cli_resolve_image(cnb_ctx *ctx, const char *image, bool *local)
{
	if (local)
		*local = false;
	if (!strncmp(image, "docker://", 9) || !strncmp(image, "oci:", 4))
		return strdup(image);
	char *dir = cnb_cli_store_dir();
	cnb_error *e = NULL;
	bool found = dir && store_has(ctx, dir, image, &e);
	free(dir);
	if (e) {
		/* An unreadable store is worth saying, not fatal: the registry may still have the image. */
		fprintf(stderr, "cnb: local image store: %s\n", cnb_error_message(e));
		cnb_error_free(e);
	}
	if (local)
		*local = found;
	return found ? cnb_cli_local_image(image) : strdup(image);
}

json_t *cnb_cli_inspect_json(cnb_ctx *ctx, const char *location, cnb_error **err)
{
	char *text = NULL;
	if (cnb_image_inspect(&text, ctx, location, NULL, err) < 0)
		return NULL;
	json_t *j = json_loads(text, 0, NULL);
	cnb_free(text);
	return j;
}

const char *cnb_cli_label(json_t *inspected, const char *key)
{
	json_t *labels = json_object_get(json_object_get(json_object_get(inspected, "config"), "config"), "Labels");
	return json_string_value(json_object_get(labels, key));
}

json_t *cnb_cli_label_json(json_t *inspected, const char *key)
{
	const char *text = cnb_cli_label(inspected, key);
	return text ? json_loads(text, 0, NULL) : NULL;
}

int cnb_cli_output_flag(int argc, char **argv, int *i, const char *cmd, const char *const *allowed, const char **format)
{
	const char *a = argv[*i], *v;
	if (!strncmp(a, "--output=", 9))
		v = a + 9;
	else if (!strcmp(a, "-o") || !strcmp(a, "--output"))
		v = *i + 1 < argc ? argv[++*i] : NULL;
	else
		return 0;
	for (const char *const *p = allowed; v && *p; p++)
		if (!strcmp(*p, v)) {
			*format = v;
			return 1;
		}
	fprintf(stderr, "cnb %s: --output takes", cmd);
	for (const char *const *p = allowed; *p; p++)
		fprintf(stderr, "%s %s", p == allowed ? "" : (p[1] ? "," : " or"), *p);
	fprintf(stderr, "%s%s%s\n", v ? ", not '" : "", v ? v : "", v ? "'" : "");
	return -1;
}

int cnb_cli_image_args(const cnb_cli_image_cmd *cmd, int argc, char **argv, const char **format, const char **arg)
{
	*arg = NULL;
	*format = cmd->formats ? cmd->formats[0] : NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int std = cnb_cli_standard_flag(argc, argv, &i, cmd->usage);
		if (std == CNB_CLI_TAKEN)
			continue;
		if (std != CNB_CLI_NEXT)
			return std;
		int took = cmd->formats ? cnb_cli_output_flag(argc, argv, &i, cmd->name, cmd->formats, format) : 0;
		if (took == 0 && cmd->flag)
			took = cmd->flag(argc, argv, &i, cmd->userdata);
		if (took < 0)
			return CNB_EXIT_USAGE;
		if (took)
			continue;
		if (a[0] == '-' || *arg) {
			fprintf(stderr, "cnb %s: unexpected argument %s\n\n%s", cmd->name, a, cmd->usage);
			return CNB_EXIT_USAGE;
		}
		*arg = a;
	}
	if (!*arg) {
		fprintf(stderr, "cnb %s: %s is required\n\n%s", cmd->name, cmd->arg, cmd->usage);
		return CNB_EXIT_USAGE;
	}
	return -1;
}

int cnb_cli_image_start(const cnb_cli_image_cmd *cmd, int argc, char **argv, cnb_cli_image_run *run)
{
	*run = (cnb_cli_image_run){ 0 };
	int rc = cnb_cli_image_args(cmd, argc, argv, &run->format, &run->arg);
	if (rc >= 0 || (rc = cnb_cli_ctx(&run->ctx)) != 0)
		return rc;
	run->location = cmd->remote && *cmd->remote ? strdup(run->arg) : cnb_cli_resolve_image(run->ctx, run->arg, &run->local);
	return run->location ? -1 : cnb_cli_image_end(run, CNB_EXIT_FAILURE);
}

int cnb_cli_image_end(cnb_cli_image_run *run, int rc)
{
	free(run->location);
	cnb_ctx_free(run->ctx);
	*run = (cnb_cli_image_run){ 0 };
	return rc;
}

void cnb_cli_print_json(json_t *value)
{
	char *text = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text)
		printf("%s\n", text);
	free(text);
}

void cnb_cli_print_info_json(const char *name_key, const char *name, const char *location, json_t *info)
{
	bool layout = !strncmp(location, "oci:", 4);
	json_t *o = json_pack("{s:s, s:s, s:O, s:O}", name_key, name, "location", location, "remote_info",
			      layout ? json_null() : info, "local_info", layout ? info : json_null());
	cnb_cli_print_json(o);
	json_decref(o);
}
