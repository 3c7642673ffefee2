/* cnb builder inspect BUILDER: a builder's buildpacks, detection order, run images, stack/targets and
 * lifecycle APIs from its labels (io.buildpacks.builder.metadata, io.buildpacks.buildpack.order,
 * io.buildpacks.stack.id), in the shapes of pack builder inspect. */
#include "cli.h"
#include "cli-image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"Usage: cnb builder inspect BUILDER [-o human|json]\n"
	"\n"
	"Show a builder as pack builder inspect does: description, creator, stack and targets, lifecycle\n"
	"version with its Buildpack and Platform APIs, run images, buildpacks and detection order. A bare\n"
	"BUILDER is looked up in the local image store first (as cnb build --builder does), then in its registry.\n"
	"\n"
	"Options:\n"
	"  -o, --output human|json    human (default) or pack's JSON shape\n"
	"      --insecure-registry HOST\n"
	"  -q, --quiet / -v, --verbose\n";

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_t *copy_or(json_t *v, json_t *fallback)
{
	if (v) {
		json_decref(fallback);
		return json_incref(v);
	}
	return fallback;
}

/* pack's builder info (internal/builder/writer): description, created_by, stack, lifecycle, run_images,
 * buildpacks, detection_order; plus targets. */
static json_t *builder_info(json_t *img)
{
	json_t *md = cnb_cli_label_json(img, "io.buildpacks.builder.metadata");
	json_t *order = cnb_cli_label_json(img, "io.buildpacks.buildpack.order");
	const char *stack = cnb_cli_label(img, "io.buildpacks.stack.id");
	json_t *cfg = json_object_get(img, "config");
	json_t *lc = json_object_get(md, "lifecycle");
	json_t *apis = json_object_get(lc, "apis");
	json_t *run_images = json_array();
	size_t i, k;
	json_t *e, *m;
	/* images[] (platform API 0.12 builders); stack.runImage before that. */
	json_t *images = json_object_get(md, "images");
	json_t *legacy = json_object_get(json_object_get(md, "stack"), "runImage");
	if (!json_array_size(images) && legacy)
		images = json_pack("[O]", legacy);
	else
		json_incref(images);
	json_array_foreach(images, i, e) {
		json_array_append_new(run_images, json_pack("{s:s}", "name", str(e, "image") ?: ""));
		json_array_foreach(json_object_get(e, "mirrors"), k, m)
			json_array_append_new(run_images, json_pack("{s:s}", "name", json_string_value(m) ?: ""));
	}
	json_decref(images);
	json_t *bps = json_array();
	json_array_foreach(json_object_get(md, "buildpacks"), i, e)
		json_array_append_new(bps, json_pack("{s:s, s:s, s:s, s:s}", "id", str(e, "id") ?: "", "name", str(e, "name") ?: "",
						     "version", str(e, "version") ?: "", "homepage", str(e, "homepage") ?: ""));
	json_t *detection = json_array();
	json_array_foreach(order, i, e) {
		json_t *group = json_array();
		json_array_foreach(json_object_get(e, "group"), k, m) {
			json_t *g = json_pack("{s:s, s:s}", "id", str(m, "id") ?: "", "version", str(m, "version") ?: "");
			if (json_is_true(json_object_get(m, "optional")))
				json_object_set_new(g, "optional", json_true());
			json_array_append_new(group, g);
		}
		json_array_append_new(detection, json_pack("{s:o}", "buildpacks", group));
	}
	char target[128];
	snprintf(target, sizeof(target), "%s/%s%s%s", str(cfg, "os") ?: "?", str(cfg, "architecture") ?: "?",
		 str(cfg, "variant") ? "/" : "", str(cfg, "variant") ?: "");
	json_t *created = json_object_get(md, "createdBy");
	json_t *info = json_pack(
		"{s:s, s:{s:s, s:s}, s:{s:s}, s:[s], s:{s:s, s:{s:o, s:o}, s:{s:o, s:o}}, s:o, s:o, s:o}",
		"description", str(md, "description") ?: "", "created_by", "name", str(created, "name") ?: "", "version",
		str(created, "version") ?: "", "stack", "id", stack ? stack : "", "targets", target, "lifecycle", "version",
		str(lc, "version") ?: "", "buildpack_apis", "deprecated",
		copy_or(json_object_get(json_object_get(apis, "buildpack"), "deprecated"), json_array()), "supported",
		copy_or(json_object_get(json_object_get(apis, "buildpack"), "supported"), json_array()), "platform_apis",
		"deprecated", copy_or(json_object_get(json_object_get(apis, "platform"), "deprecated"), json_array()),
		"supported", copy_or(json_object_get(json_object_get(apis, "platform"), "supported"), json_array()),
		"run_images", run_images, "buildpacks", bps, "detection_order", detection);
	json_decref(md);
	json_decref(order);
	return info;
}

static void print_list(json_t *a)
{
	size_t i;
	json_t *e;
	if (!json_array_size(a))
		printf("(none)");
	json_array_foreach(a, i, e) printf("%s%s", i ? ", " : "", json_string_value(e) ?: "");
	printf("\n");
}

static void print_human(json_t *info)
{
	size_t i, k;
	json_t *e, *m;
	json_t *created = json_object_get(info, "created_by"), *lc = json_object_get(info, "lifecycle");
	printf("Description: %s\n\nCreated By:\n  Name: %s\n  Version: %s\n\n", str(info, "description"), str(created, "name"),
	       str(created, "version"));
	const char *stack = str(json_object_get(info, "stack"), "id");
	printf("Stack:\n  ID: %s\n\nTargets:\n  %s\n\n", *stack ? stack : "(none)",
	       json_string_value(json_array_get(json_object_get(info, "targets"), 0)));
	printf("Lifecycle:\n  Version: %s\n  Buildpack APIs:\n    Deprecated: ", str(lc, "version"));
	print_list(json_object_get(json_object_get(lc, "buildpack_apis"), "deprecated"));
	printf("    Supported: ");
	print_list(json_object_get(json_object_get(lc, "buildpack_apis"), "supported"));
	printf("  Platform APIs:\n    Deprecated: ");
	print_list(json_object_get(json_object_get(lc, "platform_apis"), "deprecated"));
	printf("    Supported: ");
	print_list(json_object_get(json_object_get(lc, "platform_apis"), "supported"));
	printf("\nRun Images:\n");
	if (!json_array_size(json_object_get(info, "run_images")))
		printf("  (none)\n");
	json_array_foreach(json_object_get(info, "run_images"), i, e) printf("  %s\n", str(e, "name"));
	printf("\nBuildpacks:\n");
	if (!json_array_size(json_object_get(info, "buildpacks")))
		printf("  (none)\n");
	else
		printf("  %-30s %-24s %-14s %s\n", "ID", "NAME", "VERSION", "HOMEPAGE");
	json_array_foreach(json_object_get(info, "buildpacks"), i, e)
		printf("  %-30s %-24s %-14s %s\n", str(e, "id"), *str(e, "name") ? str(e, "name") : "-", str(e, "version"),
		       *str(e, "homepage") ? str(e, "homepage") : "-");
	printf("\nDetection Order:\n");
	if (!json_array_size(json_object_get(info, "detection_order")))
		printf("  (none)\n");
	json_array_foreach(json_object_get(info, "detection_order"), i, e) {
		printf("  Group #%zu:\n", i + 1);
		json_array_foreach(json_object_get(e, "buildpacks"), k, m)
			printf("    %s@%s%s\n", str(m, "id"), str(m, "version"),
			       json_is_true(json_object_get(m, "optional")) ? " (optional)" : "");
	}
}

int cnb_cmd_builder_inspect(int argc, char **argv)
{
	static const char *const formats[] = { "human", "json", NULL };
	const cnb_cli_image_cmd cmd = { "builder inspect", usage_text, "BUILDER", formats, NULL, NULL, NULL };
	cnb_cli_image_run run;
	int rc = cnb_cli_image_start(&cmd, argc, argv, &run);
	if (rc >= 0)
		return rc;
	rc = CNB_EXIT_OK;
	const char *builder = run.arg, *location = run.location;
	cnb_error *err = NULL;
	json_t *img = cnb_cli_inspect_json(run.ctx, location, &err);
	if (!img) {
		rc = cnb_cli_fail("builder inspect", err);
	} else if (!cnb_cli_label(img, "io.buildpacks.builder.metadata")) {
		fprintf(stderr, "cnb builder inspect: %s is not a builder (no io.buildpacks.builder.metadata label)\n",
			location);
		rc = CNB_EXIT_FAILURE;
	} else {
		json_t *info = builder_info(img);
		bool layout = !strncmp(location, "oci:", 4);
		if (!strcmp(run.format, "json")) {
			cnb_cli_print_info_json("builder_name", builder, location, info);
		} else {
			printf("Inspecting builder: '%s'\n\n%s:\n(%s)\n\n", builder, layout ? "LOCAL" : "REMOTE",
			       run.local ? "the local image store" : location);
			print_human(info);
		}
		json_decref(info);
	}
	json_decref(img);
	return cnb_cli_image_end(&run, rc);
}
