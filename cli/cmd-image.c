/* cnb image ls | rm: the local image store, where cnb-build and cnb builder create put images built
 * without --publish (an OCI layout; docker images / docker rmi for it). `cnb images` is `cnb image ls`. */
#include "cli.h"
#include "cli-image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"Usage: cnb image ls [-o table|json]      (also: cnb images)\n"
	"       cnb image rm NAME...\n"
	"\n"
	"List or remove the images of the local image store ($XDG_DATA_HOME/cnb/images, default\n"
	"~/.local/share/cnb/images), where cnb-build and cnb builder create put images built without\n"
	"--publish. ls prints NAME, DIGEST, PLATFORM, CREATED and SIZE; rm removes each name and the blobs\n"
	"no other stored image uses (blobs written in the last two minutes are kept for a build in flight).\n"
	"\n"
	"Options:\n"
	"  -o, --output table|json    ls: a table (default) or the JSON of cnb_image_list()\n"
	"  -q, --quiet / -v, --verbose\n";

static void print_size(uint64_t bytes)
{
	if (bytes >= 1000000)
		printf("%.1f MB\n", bytes / 1e6);
	else
		printf("%.1f kB\n", bytes / 1e3);
}

static int list(cnb_ctx *ctx, const char *dir, const char *format)
{
	char *text = NULL;
	cnb_error *err = NULL;
	if (cnb_image_list(&text, ctx, dir, &err) < 0)
		return cnb_cli_fail("image ls", err);
	if (!strcmp(format, "json")) {
		printf("%s\n", text);
		cnb_free(text);
		return CNB_EXIT_OK;
	}
	json_t *images = json_loads(text, 0, NULL);
	cnb_free(text);
	printf("%-40s %-19s %-14s %-20s %s\n", "NAME", "DIGEST", "PLATFORM", "CREATED", "SIZE");
	size_t i;
	json_t *e;
	json_array_foreach(images, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *error = json_string_value(json_object_get(e, "error"));
		if (error) {
			printf("%-40s (unreadable: %s)\n", name, error);
			continue;
		}
		/* an index: its digest (what `cnb build` printed) and all its platforms */
		const char *digest = json_string_value(json_object_get(e, "indexDigest")) ?:
				     json_string_value(json_object_get(e, "digest")) ?: "";
		const char *created = json_string_value(json_object_get(e, "created")) ?: "";
		char platforms[256] = "";
		const json_t *list = json_object_get(e, "platforms"), *p;
		size_t k;
		json_array_foreach(list, k, p)
			snprintf(platforms + strlen(platforms), sizeof(platforms) - strlen(platforms), "%s%s", k ? "," : "",
				 json_string_value(p) ?: "?");
		printf("%-40s %-19.19s %-14s %-20.19s ", name, digest,
		       *platforms ? platforms : json_string_value(json_object_get(e, "platform")) ?: "", *created ? created : "-");
		print_size((uint64_t)json_integer_value(json_object_get(e, "size")));
	}
	json_decref(images);
	return CNB_EXIT_OK;
}

static int rm(cnb_ctx *ctx, int n, char **names)
{
	int rc = CNB_EXIT_OK;
	for (int i = 0; i < n; i++) {
		char *location = cnb_cli_local_image(names[i]);
		uint64_t freed = 0;
		cnb_error *err = NULL;
		if (!location)
			return CNB_EXIT_FAILURE;
		if (cnb_image_remove(&freed, ctx, location, &err) < 0) {
			rc = cnb_cli_fail("image rm", err);
		} else {
			printf("Removed: %s (freed ", names[i]);
			print_size(freed);
		}
		free(location);
	}
	return rc;
}

int cnb_cmd_image(int argc, char **argv)
{
	static const char *const formats[] = { "table", "json", NULL };
	const char *format = "table";
	/* `cnb images` is `cnb image ls`. */
	bool ls = !strcmp(argv[0], "images");
	int first = ls ? 1 : 2;
	if (!ls && (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CNB_EXIT_USAGE : CNB_EXIT_OK;
	}
	if (!ls && !(ls = !strcmp(argv[1], "ls") || !strcmp(argv[1], "list")) && strcmp(argv[1], "rm") &&
	    strcmp(argv[1], "remove")) {
		fprintf(stderr, "cnb image: unknown subcommand '%s' (try: cnb image --help)\n", argv[1]);
		return CNB_EXIT_USAGE;
	}
	char *names[256];
	int n = 0;
	for (int i = first; i < argc; i++) {
		int std = cnb_cli_standard_flag(argc, argv, &i, usage_text);
		if (std == CNB_CLI_TAKEN)
			continue;
		if (std != CNB_CLI_NEXT)
			return std;
		int out = ls ? cnb_cli_output_flag(argc, argv, &i, "image ls", formats, &format) : 0;
		if (out < 0)
			return CNB_EXIT_USAGE;
		if (out)
			continue;
		if (argv[i][0] == '-' || ls || n == (int)(sizeof(names) / sizeof(names[0]))) {
			fprintf(stderr, "cnb image: unexpected argument %s\n\n%s", argv[i], usage_text);
			return CNB_EXIT_USAGE;
		}
		names[n++] = argv[i];
	}
	if (!ls && n == 0) {
		fprintf(stderr, "cnb image rm: NAME is required\n\n%s", usage_text);
		return CNB_EXIT_USAGE;
	}
	cnb_ctx *ctx = NULL;
	int rc = cnb_cli_ctx(&ctx);
	if (rc != 0)
		return rc;
	char *dir = cnb_cli_store_dir();
	rc = !dir ? CNB_EXIT_FAILURE : ls ? list(ctx, dir, format) : rm(ctx, n, names);
	free(dir);
	cnb_ctx_free(ctx);
	return rc;
}
