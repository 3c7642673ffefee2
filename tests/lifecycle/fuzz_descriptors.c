/*
 * libFuzzer target for the lifecycle's descriptor readers: one input is parsed as TOML and then
 * read as buildpack.toml, a build plan, launch.toml (old and new API) and project.toml — all
 * files a buildpack or an app author controls.
 */
#include "lib/lifecycle/spec/build-plan.h"
#include "lib/lifecycle/spec/buildpack-descriptor.h"
#include "lib/lifecycle/phases/build-launch-data.h"
#include "lib/lifecycle/spec/project-descriptor.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cnb_toml *doc = NULL;
	if (cnb__toml_parse(&doc, (const char *)data, size, "fuzz", NULL))
		return 0;
	cnb__lifecycle_bp_descriptor *bp = NULL;
	if (cnb__lifecycle_bp_descriptor_parse(&bp, doc, "/nonexistent", "buildpack.toml", NULL) == 0)
		cnb__lifecycle_bp_descriptor_free(bp);
	cnb__lifecycle_detect_run run = { 0 };
	cnb__lifecycle_build_plan_parse(&run, doc, "fuzz", NULL);
	cnb__lifecycle_detect_run_free(&run);
	static const char *const apis[] = { "0.7", "0.9", "0.12" };
	for (size_t i = 0; i < sizeof(apis) / sizeof(apis[0]); i++) {
		char id[] = "fuzz/bp", version[] = "1";
		cnb__lifecycle_bp_descriptor d = { .id = id, .version = version, .api_text = (char *)apis[i] };
		cnb__lifecycle_api_parse(apis[i], &d.api);
		cnb__lifecycle_launch_data l, merged = { 0 };
		if (cnb__lifecycle_launch_toml_parse(&l, doc, &d, "launch.toml", NULL, NULL, NULL) == 0)
			cnb__lifecycle_launch_toml_merge(&merged, &l, NULL, NULL, NULL);
		else
			cnb__lifecycle_launch_toml_free(&l);
		cnb__lifecycle_launch_toml_free(&merged);
	}
	cnb__lifecycle_project_descriptor *project = NULL;
	if (cnb__lifecycle_project_descriptor_parse(&project, doc, "project.toml", NULL) == 0)
		cnb__lifecycle_project_descriptor_free(project);
	cnb__toml_free(doc);
	return 0;
}
