/*
 * libFuzzer target for image extensions' Dockerfiles (lib/extend): any text parses or fails cleanly
 * with a message naming the file; what parses evaluates (as a build.Dockerfile and as a
 * run.Dockerfile) or fails cleanly, without leaks, and every RUN operation has an argv.
 */
#include "fuzz-util.h"
#include "lib/extend/dockerfile-eval.h"

static void eval_as(const cnb__extend_dockerfile *df, bool build)
{
	const char *const args[] = { "base_image=reg/base", "build_id=0", "user_id=1000", "group_id=1000", NULL };
	cnb__extend_config c;
	json_t *cfg = json_pack("{s:[s], s:s}", "Env", "PATH=/bin", "User", "1000:1000");
	FUZZ_CHECK(cnb__extend_config_init(&c, cfg, NULL) == 0);
	json_t *ops = json_array();
	cnb_error *err = NULL;
	if (cnb__extend_dockerfile_eval(df, "fuzz.Dockerfile", build, args, "/ctx", &c, ops, &err) < 0)
		FUZZ_CHECK(err && strstr(cnb_error_message(err), "fuzz.Dockerfile"));
	for (size_t i = 0; i < json_array_size(ops); i++) {
		const json_t *op = json_array_get(ops, i);
		FUZZ_CHECK(json_array_size(json_object_get(op, "argv")) > 0 || json_string_value(json_object_get(op, "mkdir")));
	}
	cnb_error_free(err);
	json_decref(ops);
	json_decref(cfg);
	cnb__extend_config_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cnb__extend_dockerfile *df = NULL;
	cnb_error *err = NULL;
	if (cnb__extend_dockerfile_parse(&df, (const char *)data, size, "fuzz.Dockerfile", &err) < 0) {
		FUZZ_CHECK(err && !df && strstr(cnb_error_message(err), "fuzz.Dockerfile"));
		cnb_error_free(err);
		return 0;
	}
	eval_as(df, true);
	eval_as(df, false);
	cnb__extend_dockerfile_free(df);
	return 0;
}
