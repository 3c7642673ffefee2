/* Applying an extend plan in the build VM (see extend-apply.h). */
#include "extend-apply.h"
#include "extend-sandbox.h"
#include "overlay-diff.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_EXTEND_FAILED 102
/* Mount points every RUN needs; made in the overlay when the image has none, and left out of the layer. */
static const char *const mount_points[] = { "proc", "dev", NULL };

static char **strv_of(const json_t *a, bool *ok)
{
	size_t n = json_array_size(a);
	char **v = calloc(n + 1, sizeof(char *));
	*ok &= v != NULL;
	for (size_t i = 0; v && i < n; i++)
		if (!json_string_value(json_array_get(a, i)) || !(v[i] = strdup(json_string_value(json_array_get(a, i)))))
			*ok = false;
	return v;
}

static int run_op(const char *merged, const json_t *o, size_t i, cnb_error **err)
{
	bool ok = true;
	_cleanup_strv_ char **argv = json_object_get(o, "argv") ? strv_of(json_object_get(o, "argv"), &ok) : NULL;
	_cleanup_strv_ char **env = strv_of(json_object_get(o, "env"), &ok);
	_cleanup_strv_ char **copy = json_object_get(o, "copy") ? strv_of(json_object_get(o, "copy"), &ok) : NULL;
	cnb__extend_op op = {
		.where = json_string_value(json_object_get(o, "where")),
		.argv = argv,
		.env = env,
		.user = json_string_value(json_object_get(o, "user")),
		.workdir = json_string_value(json_object_get(o, "workdir")),
		.mkdir = json_string_value(json_object_get(o, "mkdir")),
		.copy = copy,
		.dest = json_string_value(json_object_get(o, "dest")),
		.context = json_string_value(json_object_get(o, "context")),
	};
	if (copy)
		op.user = json_string_value(json_object_get(o, "chown"));
	bool is_run = argv && argv[0] && op.user && op.workdir && op.workdir[0] == '/';
	bool is_mkdir = !argv && op.mkdir && op.mkdir[0] == '/';
	bool is_copy = !argv && !op.mkdir && copy && copy[0] && op.user && op.dest && op.dest[0] == '/' && op.context &&
		       op.context[0] == '/';
	if (!ok || !op.where || is_run + is_mkdir + is_copy != 1)
		return cnb__error_set(err, CNB_EPARSE, "extend plan: operation %zu is malformed", i);
	if (is_run) {
		size_t last = 0;
		while (argv[last + 1])
			last++;
		fprintf(stderr, "[extend] %s: RUN %s\n", op.where, argv[last]);
		fflush(stderr);
	}
	if (is_copy) {
		fprintf(stderr, "[extend] %s: COPY %s%s -> %s\n", op.where, copy[0], copy[1] ? " ..." : "", op.dest);
		fflush(stderr);
	}
	return cnb__extend_sandbox_run(merged, &op, err);
}

static int mount_overlay(const char *scratch, char **merged, cnb_error **err)
{
	_cleanup_free_ char *upper = cnb__path_join(scratch, "upper"), *work = cnb__path_join(scratch, "work"), *opts = NULL;
	*merged = cnb__path_join(scratch, "merged");
	if (!upper || !work || !*merged)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (cnb__mkdir_p(scratch, 0700, err) < 0)
		return -1;
	if (mount("cnb-extend", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=75%") < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "mount a tmpfs on %s", scratch);
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(*merged, 0755) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "create the overlay's directories in %s", scratch);
	/* redirect_dir and metacopy off: the upper dir then holds whole files and whole directories,
	 * which is what a layer can say (a renamed directory is copied up in full). */
	if (asprintf(&opts, "lowerdir=/,upperdir=%s,workdir=%s,redirect_dir=off,metacopy=off,index=off", upper, work) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (mount("overlay", *merged, "overlay", 0, opts) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "mount an overlay over the image at %s", *merged);
	return 0;
}

/* /proc and /dev where the image has none: made (in the upper dir) and listed to leave out. */
static int make_mount_points(const char *merged, cnb__strv_list *made, cnb_error **err)
{
	for (const char *const *m = mount_points; *m; m++) {
		_cleanup_free_ char *path = cnb__path_join(merged, *m);
		struct stat st;
		if (!path)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		if (lstat(path, &st) == 0)
			continue;
		if (mkdir(path, 0755) < 0 || cnb__strv_push(made, *m) < 0)
			return cnb__error_errno(err, CNB_EVM, errno, "create %s", path);
	}
	return 0;
}

static int write_layer(const char *scratch, const char *out_tar, const cnb__strv_list *skip, cnb_error **err)
{
	_cleanup_free_ char *upper = cnb__path_join(scratch, "upper");
	_cleanup_close_ int ufd = upper ? open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	_cleanup_close_ int out = open(out_tar, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (ufd < 0 || out < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "open %s", ufd < 0 ? "the overlay's upper dir" : out_tar);
	uint64_t entries = 0;
	int r = cnb__extend_overlay_diff_tar(ufd, out, (const char *const *)cnb__strv_argv(skip), &entries, err);
	if (r == 0 && fsync(out) < 0)
		r = cnb__error_errno(err, CNB_EIO, errno, "write %s", out_tar);
	if (r == 0)
		fprintf(stderr, "[extend] layer: %llu entries\n", (unsigned long long)entries);
	return r < 0 ? cnb__error_prefix(err, "extend: the layer") : 0;
}

int cnb__extend_apply(const char *plan_path, const char *scratch, const char *out_tar, cnb_error **err)
{
	_cleanup_free_ char *text = NULL, *merged = NULL;
	size_t len = 0;
	if (cnb__read_file(plan_path, CNB_EXTEND_PLAN_MAX_BYTES, &text, &len, err) < 0)
		return cnb__error_prefix(err, "extend plan");
	json_error_t jerr;
	json_t *plan = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *ops = json_object_get(plan, "ops");
	int r = 0;
	if (!json_is_array(ops) || json_integer_value(json_object_get(plan, "version")) != 1)
		r = cnb__error_set(err, CNB_EPARSE, "extend plan %s: not a version 1 plan (%s)", plan_path,
				   plan ? "fields" : jerr.text);
	_cleanup_strv_list_ cnb__strv_list made = CNB_STRV_LIST_INIT;
	if (r == 0)
		r = mount_overlay(scratch, &merged, err);
	if (r == 0)
		r = make_mount_points(merged, &made, err);
	for (size_t i = 0; r == 0 && i < json_array_size(ops); i++)
		r = run_op(merged, json_array_get(ops, i), i, err);
	json_decref(plan);
	if (merged && umount2(merged, 0) < 0 && r == 0)
		r = cnb__error_errno(err, CNB_EVM, errno, "unmount the overlay %s", merged);
	if (r == 0)
		r = write_layer(scratch, out_tar, &made, err);
	return r;
}

int cnb__extend_main(int argc, char **argv)
{
	const char *plan = NULL, *scratch = NULL, *out = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char **slot = !strcmp(argv[i], "-plan") ? &plan : !strcmp(argv[i], "-scratch") ? &scratch
								: !strcmp(argv[i], "-out")   ? &out
											     : NULL;
		if (!slot) {
			fprintf(stderr, "cnb-lifecycle extend: unknown flag %s\n", argv[i]);
			return EXIT_EXTEND_FAILED;
		}
		*slot = argv[i + 1];
	}
	if (!plan || !scratch || !out || argc % 2 == 0) {
		fprintf(stderr, "usage: cnb-lifecycle extend -plan FILE -scratch DIR -out FILE\n");
		return EXIT_EXTEND_FAILED;
	}
	cnb_error *err = NULL;
	if (cnb__extend_apply(plan, scratch, out, &err) == 0)
		return 0;
	fprintf(stderr, "ERROR: %s\n", cnb_error_message(err));
	cnb_error_free(err);
	return EXIT_EXTEND_FAILED;
}
