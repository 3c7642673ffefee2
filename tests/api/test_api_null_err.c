/* Every public entry point, through the shared library only: with err = NULL a failing call returns the
 * same negative code as with an error to fill, and never crashes; the options rule (NULL = defaults,
 * version 0 or newer than the library = CNB_EINVAL in one wording) holds for every options struct. */
#include <cnb/cnb.h>

#include "tests/lib/tap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/cnb-api-test-XXXXXX";

static char *in_tmp(const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", tmp, name) < 0)
		abort();
	return p;
}

/* Runs EXPR twice, the second time with E = NULL: both must fail with the same code. EXPR passes E as err. */
#define FAILS_ALIKE(what, expr)                                                                            \
	do {                                                                                               \
		cnb_error *e_ = NULL;                                                                      \
		cnb_error **E = &e_;                                                                       \
		int with_ = (expr);                                                                        \
		E = NULL;                                                                                  \
		int without_ = (expr);                                                                     \
		ok(with_ < 0 && without_ == with_, "%s with err = NULL: %s, as with err (%s)", what,        \
		   cnb_error_code_name(without_), cnb_error_message(e_));                                  \
		cnb_error_free(e_);                                                                        \
	} while (0)

/* The one wording of a bad options version, for any entry point: EXPR passes E as err and opts as its options. */
#define REFUSES_VERSION(type, VERSION, expr)                                                               \
	do {                                                                                               \
		for (unsigned int v_ = 0; v_ <= (VERSION) + 1; v_ += (VERSION) + 1) {                       \
			type o_;                                                                           \
			is_int(type##_init(&o_, VERSION), 0, #type "_init(&opts, " #VERSION ")");         \
			o_.version = v_;                                                                   \
			const type *opts = &o_;                                                            \
			cnb_error *e_ = NULL;                                                              \
			cnb_error **E = &e_;                                                               \
			int rc_ = (expr);                                                                  \
			char want_[200];                                                                   \
			snprintf(want_, sizeof(want_), #type ": version %u is not supported by this libcnb (1..%u); " \
				 "initialise it with " #type "_init() or the *_INIT macro", v_, (unsigned)(VERSION)); \
			is_int(rc_, CNB_EINVAL, #type " version %u: CNB_EINVAL", v_);                      \
			is_str(cnb_error_message(e_), want_, #type " version %u: the one wording", v_);    \
			cnb_error_free(e_);                                                                \
			E = NULL;                                                                          \
			is_int((expr), CNB_EINVAL, #type " version %u, err = NULL: CNB_EINVAL", v_);      \
		}                                                                                          \
	} while (0)

/* cnb_<x>_opts_init: refuses NULL, 0 and a newer version; fills the defaults over garbage. */
#define INIT_WORKS(type, VERSION, check)                                                                   \
	do {                                                                                               \
		type o_;                                                                                   \
		is_int(type##_init(NULL, VERSION), CNB_EINVAL, #type "_init(NULL): CNB_EINVAL");          \
		is_int(type##_init(&o_, 0), CNB_EINVAL, #type "_init(version 0): CNB_EINVAL");            \
		is_int(type##_init(&o_, (VERSION) + 1), CNB_EINVAL, #type "_init(newer): CNB_EINVAL");    \
		memset(&o_, 0xa5, sizeof(o_));                                                             \
		is_int(type##_init(&o_, VERSION), 0, #type "_init(" #VERSION ")");                        \
		ok(o_.version == (VERSION) && (check), #type "_init fills the defaults: " #check);        \
	} while (0)

static void test_api_opts__init_every_struct(void)
{
	INIT_WORKS(cnb_ctx_opts, CNB_CTX_OPTS_VERSION, !o_.cache_dir && !o_.log && o_.log_level == CNB_LOG_INFO);
	INIT_WORKS(cnb_build_opts, CNB_BUILD_OPTS_VERSION,
		   !o_.image && o_.network == 1 && o_.creation_time == CNB_BUILD_TIME_DEFAULT && !o_.buildpacks);
	INIT_WORKS(cnb_builder_create_opts, CNB_BUILDER_CREATE_OPTS_VERSION, !o_.config_path && !o_.platform);
	INIT_WORKS(cnb_buildpack_package_opts, CNB_BUILDPACK_PACKAGE_OPTS_VERSION,
		   o_.format == CNB_BUILDPACK_PACKAGE_IMAGE && !o_.platform);
	INIT_WORKS(cnb_image_copy_opts, CNB_IMAGE_COPY_OPTS_VERSION, !o_.platform);
	INIT_WORKS(cnb_image_inspect_opts, CNB_IMAGE_INSPECT_OPTS_VERSION, !o_.platform);
	INIT_WORKS(cnb_image_rebase_opts, CNB_IMAGE_REBASE_OPTS_VERSION, !o_.image && !o_.force);
	INIT_WORKS(cnb_image_unpack_opts, CNB_IMAGE_UNPACK_OPTS_VERSION, o_.metadata == CNB_ROOTFS_METADATA_AUTO);
	INIT_WORKS(cnb_image_run_opts, CNB_IMAGE_RUN_OPTS_VERSION, o_.network == 1 && o_.timeout_s == 0 && !o_.args);
	INIT_WORKS(cnb_rootfs_cache_get_opts, CNB_ROOTFS_CACHE_GET_OPTS_VERSION, o_.metadata == CNB_ROOTFS_METADATA_AUTO);
	INIT_WORKS(cnb_rootfs_cache_prune_opts, CNB_ROOTFS_CACHE_PRUNE_OPTS_VERSION, !o_.all && o_.older_than_s == 30 * 86400);
	INIT_WORKS(cnb_vm_run_opts, CNB_VM_RUN_OPTS_VERSION, o_.cancel_fd == -1 && o_.network == 1 && !o_.kernel);
}

/* A struct that grew: _init for an older version writes only what that version has (an older
 * caller's struct ends there), and the library reads nothing past it. */
#define OLDER_VERSION_FITS(type, first_new_field)                                                          \
	do {                                                                                               \
		unsigned char buf_[sizeof(type) + 8];                                                      \
		memset(buf_, 0xa5, sizeof(buf_));                                                          \
		is_int(type##_init((type *)(void *)buf_, 1), 0, #type "_init(1)");                         \
		size_t end_ = offsetof(type, first_new_field);                                              \
		bool untouched_ = true;                                                                    \
		for (size_t i_ = end_; i_ < sizeof(buf_); i_++)                                            \
			untouched_ &= buf_[i_] == 0xa5;                                                    \
		ok(untouched_, #type "_init(1) writes nothing from " #first_new_field " on");              \
	} while (0)

static void test_api_opts__older_versions_fit(cnb_ctx *ctx)
{
	OLDER_VERSION_FITS(cnb_build_opts, max_layer_bytes);
	OLDER_VERSION_FITS(cnb_vm_run_opts, stdout_fd);
	OLDER_VERSION_FITS(cnb_image_run_opts, stdout_fd);
	/* a version 1 cnb_vm_run_opts followed by garbage is still a valid version 1 struct */
	unsigned char buf[sizeof(cnb_vm_run_opts)];
	memset(buf, 0x01, sizeof(buf));
	cnb_vm_run_opts *v1 = (cnb_vm_run_opts *)(void *)buf;
	cnb_vm_run_opts_init(v1, 1);
	v1->rootfs = tmp;
	v1->executor = "nowhere";
	static const char *const argv[] = { "true", NULL };
	v1->argv = argv;
	int code = 0;
	cnb_error *err = NULL;
	is_int(cnb_vm_run(&code, ctx, v1, &err), CNB_EINVAL, "a version 1 cnb_vm_run_opts is accepted and checked on (%s)",
	       err ? cnb_error_message(err) : "no error");
	cnb_error_free(err);
}

static void test_api_opts__one_version_rule(cnb_ctx *ctx)
{
	char *s = NULL;
	int code = 0;
	cnb_ctx *c = NULL;
	cnb_build *b = NULL;
	REFUSES_VERSION(cnb_ctx_opts, CNB_CTX_OPTS_VERSION, cnb_ctx_new(&c, opts, E));
	REFUSES_VERSION(cnb_build_opts, CNB_BUILD_OPTS_VERSION, cnb_build_new(&b, ctx, opts, E));
	REFUSES_VERSION(cnb_builder_create_opts, CNB_BUILDER_CREATE_OPTS_VERSION, cnb_builder_create(&s, ctx, opts, E));
	REFUSES_VERSION(cnb_buildpack_package_opts, CNB_BUILDPACK_PACKAGE_OPTS_VERSION,
			cnb_buildpack_package(&s, ctx, opts, E));
	REFUSES_VERSION(cnb_image_copy_opts, CNB_IMAGE_COPY_OPTS_VERSION, cnb_image_copy(&s, ctx, "a", "b", opts, E));
	REFUSES_VERSION(cnb_image_inspect_opts, CNB_IMAGE_INSPECT_OPTS_VERSION, cnb_image_inspect(&s, ctx, "a", opts, E));
	REFUSES_VERSION(cnb_image_rebase_opts, CNB_IMAGE_REBASE_OPTS_VERSION, cnb_image_rebase(&s, ctx, opts, E));
	REFUSES_VERSION(cnb_image_unpack_opts, CNB_IMAGE_UNPACK_OPTS_VERSION, cnb_image_unpack(ctx, "a", tmp, opts, E));
	REFUSES_VERSION(cnb_image_run_opts, CNB_IMAGE_RUN_OPTS_VERSION, cnb_image_run(&code, ctx, opts, E));
	REFUSES_VERSION(cnb_rootfs_cache_get_opts, CNB_ROOTFS_CACHE_GET_OPTS_VERSION,
			cnb_rootfs_cache_get(&s, ctx, "a", opts, E));
	REFUSES_VERSION(cnb_rootfs_cache_prune_opts, CNB_ROOTFS_CACHE_PRUNE_OPTS_VERSION,
			cnb_rootfs_cache_prune(NULL, NULL, ctx, opts, E));
	REFUSES_VERSION(cnb_vm_run_opts, CNB_VM_RUN_OPTS_VERSION, cnb_vm_run(&code, ctx, opts, E));
	ok(!c && !b && !s, "nothing was created by a refused call");
}

/* Failing input reaching deep into each operation: a missing oci: layout, bad references, missing paths. */
static void test_api_null_err__every_entry_point(cnb_ctx *ctx)
{
	char *s = NULL;
	int code = 0;
	uint32_t n = 0;
	cnb_rootfs_cache_entry *entries = NULL;
	cnb_ctx *c = NULL;
	cnb_build *b = NULL;
	char *missing = in_tmp("no-such-layout");
	char *missing_oci = in_tmp("no-such-layout:app");
	char *dst_oci = in_tmp("dst-layout:app");
	char *unpack_dir = in_tmp("unpacked");
	char *full_dir = in_tmp("full");
	char *full_file = in_tmp("full/file");
	char loc[512], dst[512];
	snprintf(loc, sizeof(loc), "oci:%s", missing_oci);
	snprintf(dst, sizeof(dst), "oci:%s", dst_oci);
	ok(mkdir(full_dir, 0755) == 0 && fclose(fopen(full_file, "w")) == 0, "a non-empty directory");

	FAILS_ALIKE("cnb_ctx_new(out NULL)", cnb_ctx_new(NULL, NULL, E));

	FAILS_ALIKE("cnb_image_copy(missing oci: layout)", cnb_image_copy(&s, ctx, loc, dst, NULL, E));
	FAILS_ALIKE("cnb_image_copy(bad reference)", cnb_image_copy(&s, ctx, "docker://Not A/Ref!!", dst, NULL, E));
	FAILS_ALIKE("cnb_image_copy(NULL src)", cnb_image_copy(&s, ctx, NULL, dst, NULL, E));
	FAILS_ALIKE("cnb_image_inspect(missing oci: layout)", cnb_image_inspect(&s, ctx, loc, NULL, E));
	FAILS_ALIKE("cnb_image_inspect(bad reference)", cnb_image_inspect(&s, ctx, "docker://UPPER/Case::", NULL, E));

	cnb_image_rebase_opts rebase = CNB_IMAGE_REBASE_OPTS_INIT;
	FAILS_ALIKE("cnb_image_rebase(no image)", cnb_image_rebase(&s, ctx, &rebase, E));
	rebase.image = loc;
	FAILS_ALIKE("cnb_image_rebase(missing oci: layout)", cnb_image_rebase(&s, ctx, &rebase, E));

	FAILS_ALIKE("cnb_image_unpack(missing oci: layout)", cnb_image_unpack(ctx, loc, unpack_dir, NULL, E));
	FAILS_ALIKE("cnb_image_unpack(destination not empty)", cnb_image_unpack(ctx, loc, full_dir, NULL, E));
	cnb_image_unpack_opts unpack = CNB_IMAGE_UNPACK_OPTS_INIT;
	unpack.metadata = 7;
	FAILS_ALIKE("cnb_image_unpack(unknown metadata form)", cnb_image_unpack(ctx, loc, unpack_dir, &unpack, E));

	FAILS_ALIKE("cnb_image_list(out NULL)", cnb_image_list(NULL, ctx, missing, E));
	char *bad_layout = in_tmp("bad-layout");
	char *bad_index = in_tmp("bad-layout/index.json");
	FILE *f = mkdir(bad_layout, 0755) == 0 ? fopen(bad_index, "w") : NULL;
	ok(f && fputs("{not json", f) >= 0 && fclose(f) == 0, "a layout with a malformed index.json");
	FAILS_ALIKE("cnb_image_list(malformed index.json)", cnb_image_list(&s, ctx, bad_layout, E));
	free(bad_layout), free(bad_index);
	FAILS_ALIKE("cnb_image_remove(missing oci: layout)", cnb_image_remove(NULL, ctx, loc, E));
	FAILS_ALIKE("cnb_image_remove(not a layout)", cnb_image_remove(NULL, ctx, "docker://127.0.0.1:1/app", E));
	FAILS_ALIKE("cnb_image_sbom_download(missing oci: layout)", cnb_image_sbom_download(ctx, loc, unpack_dir, E));
	FAILS_ALIKE("cnb_image_sbom_download(NULL dir)", cnb_image_sbom_download(ctx, loc, NULL, E));

	cnb_image_run_opts run = CNB_IMAGE_RUN_OPTS_INIT;
	FAILS_ALIKE("cnb_image_run(no image)", cnb_image_run(&code, ctx, &run, E));
	run.image = loc;
	FAILS_ALIKE("cnb_image_run(missing oci: layout)", cnb_image_run(&code, ctx, &run, E));

	FAILS_ALIKE("cnb_rootfs_cache_get(missing oci: layout)", cnb_rootfs_cache_get(&s, ctx, loc, NULL, E));
	FAILS_ALIKE("cnb_rootfs_cache_list(out NULL)", cnb_rootfs_cache_list(NULL, &n, ctx, E));
	FAILS_ALIKE("cnb_rootfs_cache_list(ctx NULL)", cnb_rootfs_cache_list(&entries, &n, NULL, E));
	FAILS_ALIKE("cnb_rootfs_cache_prune(ctx NULL)", cnb_rootfs_cache_prune(NULL, NULL, NULL, NULL, E));

	cnb_build_opts build = CNB_BUILD_OPTS_INIT;
	FAILS_ALIKE("cnb_build_new(no image)", cnb_build_new(&b, ctx, &build, E));
	build.image = "127.0.0.1:1/app";
	FAILS_ALIKE("cnb_build_new(no builder)", cnb_build_new(&b, ctx, &build, E));
	build.builder = loc;
	build.output = dst;
	build.executor = "host";
	build.app_dir = tmp;
	for (int i = 0; i < 2; i++) { /* a build runs once: a fresh one for err and for NULL */
		cnb_build *run_once = NULL;
		cnb_error *e = NULL;
		int rc = cnb_build_new(&run_once, ctx, &build, &e);
		is_int(rc, 0, "cnb_build_new(missing builder layout) %s", cnb_error_message(e));
		int got = cnb_build_run(run_once, i == 0 ? &e : NULL);
		ok(got < 0 && !cnb_build_digest(run_once), "cnb_build_run(missing oci: builder) with err%s: %s (%s)",
		   i ? " = NULL" : "", cnb_error_code_name(got), cnb_error_message(e));
		is_int(cnb_build_run(run_once, NULL), CNB_EINVAL, "cnb_build_run a second time, err = NULL: CNB_EINVAL");
		cnb_build_free(run_once);
		cnb_error_free(e);
	}
	FAILS_ALIKE("cnb_build_run(NULL)", cnb_build_run(NULL, E));

	cnb_builder_create_opts builder = CNB_BUILDER_CREATE_OPTS_INIT;
	builder.config_path = missing;
	builder.destination = dst;
	FAILS_ALIKE("cnb_builder_create(missing builder.toml)", cnb_builder_create(&s, ctx, &builder, E));
	FAILS_ALIKE("cnb_builder_create(opts NULL = defaults: no builder.toml)", cnb_builder_create(&s, ctx, NULL, E));
	cnb_buildpack_package_opts package = CNB_BUILDPACK_PACKAGE_OPTS_INIT;
	package.config_path = missing;
	package.destination = dst;
	FAILS_ALIKE("cnb_buildpack_package(missing package.toml)", cnb_buildpack_package(&s, ctx, &package, E));
	package.format = 9;
	FAILS_ALIKE("cnb_buildpack_package(unknown format)", cnb_buildpack_package(&s, ctx, &package, E));

	static const char *const argv[] = { "/bin/true", NULL };
	cnb_vm_run_opts vm = CNB_VM_RUN_OPTS_INIT;
	FAILS_ALIKE("cnb_vm_run(no rootfs)", cnb_vm_run(&code, ctx, &vm, E));
	vm.rootfs = missing;
	vm.argv = argv;
	vm.executor = "no-such-executor";
	FAILS_ALIKE("cnb_vm_run(unknown executor)", cnb_vm_run(&code, ctx, &vm, E));

	ok(!s && !b && !c && !entries, "no output was handed out by a failed call");
	is_int(cnb_error_code_of(NULL), CNB_OK, "cnb_error_code_of(NULL) is CNB_OK");
	is_str(cnb_error_message(NULL), "", "cnb_error_message(NULL) is \"\"");
	is_str(cnb_error_code_name(CNB_EINTERNAL), "CNB_EINTERNAL", "the newest code has a name");
	cnb_error_free(NULL);
	cnb_free(NULL);
	cnb_ctx_free(NULL);
	cnb_build_free(NULL);
	cnb_build_cancel(NULL);
	cnb_rootfs_cache_list_free(NULL, 0);
	ok(!cnb_build_digest(NULL) && !cnb_build_reference(NULL) && !cnb_build_report_json(NULL) &&
		   !cnb_ctx_cache_dir(NULL),
	   "the accessors and destructors accept NULL");
	free(missing), free(missing_oci), free(dst_oci), free(unpack_dir), free(full_dir), free(full_file);
}

int main(void)
{
	if (!mkdtemp(tmp))
		tap_skip_all("no temp dir");
	char *cache = in_tmp("cache");
	cnb_ctx_opts o;
	cnb_ctx_opts_init(&o, CNB_CTX_OPTS_VERSION);
	o.cache_dir = cache;
	cnb_ctx *ctx = NULL;
	is_int(cnb_ctx_new(&ctx, &o, NULL), 0, "a context (err = NULL on success)");
	is_str(cnb_version(), CNB_VERSION_STRING, "the library is the version of its headers");
	test_api_opts__init_every_struct();
	test_api_opts__one_version_rule(ctx);
	test_api_opts__older_versions_fit(ctx);
	test_api_null_err__every_entry_point(ctx);
	cnb_ctx_free(ctx);
	free(cache);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	ok(system(cmd) == 0, "clean up");
	return tap_done();
}
