/* cnb inspect IMAGE: what pack inspect shows of an app image (run image, rebasable, buildpacks, processes,
 * base image), from its io.buildpacks.* labels; -o json in pack's JSON shape; -o raw the image itself. */
#include "cli.h"
#include "cli-image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char inspect_usage[] =
	"Usage: cnb inspect [OPTIONS] IMAGE\n"
	"\n"
	"Show what buildpacks made of an app image, as pack inspect does: stack, base image, run images,\n"
	"rebasable, buildpacks and processes, from its io.buildpacks.* labels. A bare IMAGE is looked up in\n"
	"the local image store first (as cnb run does), then in its registry; the output says which.\n"
	"docker://REF and oci:DIR[:TAG] are taken as they are. Layers are not downloaded.\n"
	"\n"
	"Options:\n"
	"  -o, --output human|json|raw  human (default), pack's JSON, or the image itself as JSON (name,\n"
	"                               digest, mediaType, platform, configDigest, config, layers, annotations)\n"
	"      --platform OS/ARCH[/VARIANT]  image to describe from a multi-platform index (default: this host's)\n"
	"      --insecure-registry HOST\n"
	"  -q, --quiet / -v, --verbose\n";

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "a b c" from a JSON array of strings, or the string itself (older platform APIs). */
static char *joined(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	size_t len = 1, i;
	json_t *e;
	json_array_foreach(v, i, e) len += strlen(json_string_value(e) ?: "") + 1;
	char *out = calloc(1, len);
	json_array_foreach(v, i, e) if (out) {
		if (i)
			strcat(out, " ");
		strcat(out, json_string_value(e) ?: "");
	}
	return out;
}

/* pack's image info (internal/inspectimage InfoDisplay): stack, base_image, run_images, buildpacks,
 * extensions, processes, rebasable. */
static json_t *app_info(json_t *img)
{
	json_t *md = cnb_cli_label_json(img, "io.buildpacks.lifecycle.metadata");
	json_t *bm = cnb_cli_label_json(img, "io.buildpacks.build.metadata");
	json_t *cfg = json_object_get(json_object_get(img, "config"), "config");
	const char *rebasable = cnb_cli_label(img, "io.buildpacks.rebasable");
	const char *stack = cnb_cli_label(img, "io.buildpacks.stack.id");
	json_t *run = json_object_get(md, "runImage");
	/* Platform API < 0.12 kept the run image under stack.runImage. */
	json_t *names = json_object_get(run, "image") ? run : json_object_get(json_object_get(md, "stack"), "runImage");
	json_t *run_images = json_array();
	if (str(names, "image"))
		json_array_append_new(run_images, json_pack("{s:s}", "name", str(names, "image")));
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(names, "mirrors"), i, e)
		json_array_append_new(run_images, json_pack("{s:s}", "name", json_string_value(e) ?: ""));
	json_t *bps = json_array();
	json_array_foreach(json_object_get(bm, "buildpacks"), i, e)
		json_array_append_new(bps, json_pack("{s:s, s:s, s:s}", "id", str(e, "id") ?: "", "version",
						     str(e, "version") ?: "", "homepage", str(e, "homepage") ?: ""));
	json_t *exts = json_array();
	json_array_foreach(json_object_get(bm, "extensions"), i, e)
		json_array_append_new(exts, json_pack("{s:s, s:s, s:s}", "id", str(e, "id") ?: "", "version",
						      str(e, "version") ?: "", "homepage", str(e, "homepage") ?: ""));
	/* The default process is the one the entrypoint launches: /cnb/process/<type>. */
	const char *entry = json_string_value(json_array_get(json_object_get(cfg, "Entrypoint"), 0));
	const char *default_type = entry && !strncmp(entry, "/cnb/process/", 13) ? entry + 13 : NULL;
	json_t *procs = json_array();
	json_array_foreach(json_object_get(bm, "processes"), i, e) {
		char *command = joined(json_object_get(e, "command"));
		json_t *args = json_object_get(e, "args"), *direct = json_object_get(e, "direct");
		const char *type = str(e, "type") ?: "", *wd = str(e, "working-dir") ?: str(cfg, "WorkingDir");
		/* Processes run directly unless direct = false (Buildpack API < 0.9: through bash). */
		const char *shell = direct && !json_is_true(direct) ? "bash" : "";
		json_array_append_new(procs, json_pack("{s:s, s:s, s:s, s:b, s:o, s:s}", "type", type, "shell", shell,
						       "command", command ? command : "", "default",
						       default_type && !strcmp(default_type, type), "args",
						       json_is_array(args) ? json_incref(args) : json_array(), "working-dir",
						       wd ?: ""));
		free(command);
	}
	json_t *info = json_pack("{s:s, s:{s:s, s:s}, s:o, s:o, s:o, s:o, s:b}", "stack", stack ? stack : "",
				 "base_image", "top_layer", str(run, "topLayer") ?: "", "reference",
				 str(run, "reference") ?: "", "run_images", run_images, "buildpacks", bps, "extensions",
				 exts, "processes", procs, "rebasable", !rebasable || strcmp(rebasable, "false"));
	json_decref(md);
	json_decref(bm);
	return info;
}

static void print_human(json_t *img, json_t *info)
{
	size_t i;
	json_t *e;
	if (!cnb_cli_label(img, "io.buildpacks.lifecycle.metadata")) {
		printf("(not built by buildpacks: no io.buildpacks.lifecycle.metadata label; -o raw shows the image)\n");
		return;
	}
	printf("Stack: %s\n\nBase Image:\n", str(info, "stack"));
	json_t *base = json_object_get(info, "base_image");
	if (*str(base, "reference"))
		printf("  Reference: %s\n", str(base, "reference"));
	printf("  Top Layer: %s\n\nRun Images:\n", str(base, "top_layer"));
	if (!json_array_size(json_object_get(info, "run_images")))
		printf("  (none)\n");
	json_array_foreach(json_object_get(info, "run_images"), i, e) printf("  %s\n", str(e, "name"));
	printf("\nRebasable: %s\n\nBuildpacks:\n", json_is_true(json_object_get(info, "rebasable")) ? "true" : "false");
	if (!json_array_size(json_object_get(info, "buildpacks")))
		printf("  (buildpack metadata not present)\n");
	else
		printf("  %-30s %-14s %s\n", "ID", "VERSION", "HOMEPAGE");
	json_array_foreach(json_object_get(info, "buildpacks"), i, e)
		printf("  %-30s %-14s %s\n", str(e, "id"), str(e, "version"), *str(e, "homepage") ? str(e, "homepage") : "-");
	if (json_array_size(json_object_get(info, "extensions"))) {
		printf("\nExtensions:\n  %-30s %-14s %s\n", "ID", "VERSION", "HOMEPAGE");
		json_array_foreach(json_object_get(info, "extensions"), i, e)
			printf("  %-30s %-14s %s\n", str(e, "id"), str(e, "version"),
			       *str(e, "homepage") ? str(e, "homepage") : "-");
	}
	printf("\nProcesses:\n");
	if (!json_array_size(json_object_get(info, "processes")))
		printf("  (none)\n");
	else
		printf("  %-20s %-8s %-30s %-20s %s\n", "TYPE", "SHELL", "COMMAND", "ARGS", "WORK DIR");
	json_array_foreach(json_object_get(info, "processes"), i, e) {
		char type[256];
		bool is_default = json_is_true(json_object_get(e, "default"));
		snprintf(type, sizeof(type), "%s%s", str(e, "type"), is_default ? " (default)" : "");
		char *args = joined(json_object_get(e, "args"));
		printf("  %-20s %-8s %-30s %-20s %s\n", type, str(e, "shell"), str(e, "command"), args ? args : "",
		       str(e, "working-dir"));
		free(args);
	}
}

static int platform_flag(int argc, char **argv, int *i, void *userdata)
{
	if (strcmp(argv[*i], "--platform"))
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "cnb inspect: --platform needs a value\n");
		return -1;
	}
	((cnb_image_inspect_opts *)userdata)->platform = argv[++*i];
	return 1;
}

int cnb_cmd_inspect(int argc, char **argv)
{
	cnb_image_inspect_opts opts = CNB_IMAGE_INSPECT_OPTS_INIT;
	static const char *const formats[] = { "human", "json", "raw", NULL };
	const cnb_cli_image_cmd cmd = { "inspect", inspect_usage, "IMAGE", formats, platform_flag, &opts, NULL };
	cnb_cli_image_run run;
	int rc = cnb_cli_image_start(&cmd, argc, argv, &run);
	if (rc >= 0)
		return rc;
	rc = CNB_EXIT_OK;
	const char *image = run.arg, *format = run.format, *location = run.location;
	bool local = run.local;
	cnb_error *err = NULL;
	char *text = NULL;
	if (cnb_image_inspect(&text, run.ctx, location, &opts, &err) < 0) {
		rc = cnb_cli_fail("inspect", err);
	} else if (!strcmp(format, "raw")) {
		printf("%s\n", text);
	} else {
		json_t *img = json_loads(text, 0, NULL);
		json_t *info = app_info(img);
		bool layout = !strncmp(location, "oci:", 4);
		if (!strcmp(format, "json")) {
			cnb_cli_print_info_json("image_name", image, location, info);
		} else {
			printf("Inspecting image: '%s'\n\n", image);
			const char *remote = !layout ? "\n"
					     : local ? "(not looked up: found in the local image store)\n\n"
						     : "(not present)\n\n";
			printf("REMOTE:\n%s", remote);
			if (!layout)
				print_human(img, info);
			printf("%sLOCAL:\n", layout ? "" : "\n");
			if (layout) {
				printf("(%s)\n\n", local ? "the local image store" : location);
				print_human(img, info);
			} else {
				printf("(not present)\n");
			}
		}
		json_decref(info);
		json_decref(img);
	}
	cnb_free(text);
	return cnb_cli_image_end(&run, rc);
}
