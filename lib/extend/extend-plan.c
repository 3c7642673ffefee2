/* Generated dir → the extend step's plan (see extend-plan.h). */
#include "extend-plan.h"
#include "dockerfile-words.h"
#include "lib/common/cleanup.h"
#include "lib/common/dir-list.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "extend-context.h"
#include "lib/toml/toml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define REBASABLE_LABEL "io.buildpacks.rebasable"

void cnb__extend_plan_clear(cnb__extend_plan *p)
{
	if (p->context_fd > 0)
		close(p->context_fd);
	json_decref(p->ops);
	cnb__extend_config_clear(&p->config);
	memset(p, 0, sizeof(*p));
	p->context_fd = -1;
}


/* launch.EscapeID of the reference lifecycle: an id's "/" is "_" in directory names. */
static char *escaped_id(const char *id)
{
	char *s = strdup(id);
	for (char *c = s; c && *c; c++)
		if (*c == '/')
			*c = '_';
	return s;
}

/* strconv.ParseBool's true values: how the reference lifecycle reads the label. */
static bool label_true(const json_t *labels)
{
	const char *v = json_string_value(json_object_get(labels, REBASABLE_LABEL));
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	for (size_t i = 0; v && i < CNB_ARRAY_SIZE(yes); i++)
		if (!strcmp(v, yes[i]))
			return true;
	return false;
}

/* [[build.args]] or [[run.args]] of extend-config.toml as "name=value". */
static int config_args(int dirfd, const char *name, cnb__extend_kind kind, cnb__strv_list *args, cnb__oci_hash *key,
		       cnb_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = cnb__read_file_at(dirfd, "extend-config.toml", CNB_EXTEND_CONFIG_MAX_BYTES, &text, &len, err);
	if (r < 0 && cnb__error_code(err, r) == CNB_ENOTFOUND) {
		cnb_error_free(*err), *err = NULL;
		return 0;
	}
	if (r < 0)
		return cnb__error_prefix(err, "%s: extend-config.toml", name);
	cnb__oci_hash_update(key, text, len + 1);
	cnb_toml *doc = NULL;
	if (cnb__toml_parse(&doc, text, len, "extend-config.toml", err) < 0)
		return cnb__error_prefix(err, "%s", name);
	const cnb_toml *list = cnb__toml_get(cnb__toml_get(doc, kind == CNB_EXTEND_BUILD ? "build" : "run"), "args");
	for (size_t i = 0; r == 0 && list && i < cnb__toml_len(list); i++) {
		const char *k = cnb__toml_get_string(cnb__toml_at(list, i), "name");
		const char *v = cnb__toml_get_string(cnb__toml_at(list, i), "value");
		char *kv = NULL;
		if (!k || !v || !*k || strchr(k, '='))
			r = cnb__error_set(err, CNB_EINVAL, "%s: extend-config.toml: args entry %zu needs a name (no '=') and "
							    "a string value", name, i + 1);
		else if (asprintf(&kv, "%s=%s", k, v) < 0 || cnb__strv_push_take(args, kv) < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	cnb__toml_free(doc);
	return r;
}

static int push_arg(cnb__strv_list *args, const char *name, const char *value, size_t len)
{
	char *kv = NULL;
	return asprintf(&kv, "%s=%.*s", name, (int)len, value) < 0 ? -1 : cnb__strv_push_take(args, kv);
}

/* The platform's args (platform.md extender; image_extension.md "Phase: Extension"): user_id and
 * group_id from the intermediate image's User, as the reference lifecycle splits it. */
static int platform_args(const cnb__extend_config *c, const cnb__extend_base *base, const char *build_id,
			 cnb__strv_list *args)
{
	const char *colon = strchr(c->user, ':');
	size_t ulen = colon ? (size_t)(colon - c->user) : strlen(c->user);
	const char *group = colon ? colon + 1 : "";
	return push_arg(args, "base_image", base->name, strlen(base->name)) < 0 ||
			       push_arg(args, "build_id", build_id, strlen(build_id)) < 0 ||
			       push_arg(args, "user_id", c->user, ulen) < 0 || push_arg(args, "group_id", group, strlen(group)) < 0
		       ? -1
		       : 0;
}

/* A UUID (version 4): build_id, new for every build (image_extension.md). */
static void new_uuid(char out[37])
{
	unsigned char b[16] = { 0 };
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		memset(b, 0, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
		 b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* A run.Dockerfile of ARGs and FROM only switches the run image (the generate phase's business,
 * platform.md generator): there is nothing to extend. */
static bool only_from(const cnb__extend_dockerfile *df)
{
	for (size_t i = 0; i < df->n; i++)
		if (df->instrs[i].kind != CNB_DF_ARG && df->instrs[i].kind != CNB_DF_FROM)
			return false;
	return true;
}

/* Whether the Dockerfile declares ARG build_id: then it asked to be rebuilt every build, and the
 * cache key takes the (new) build_id too. */
static bool uses_build_id(const cnb__extend_dockerfile *df)
{
	for (size_t i = 0; i < df->n; i++)
		if (df->instrs[i].kind == CNB_DF_ARG && strstr(df->instrs[i].raw, "build_id"))
			return true;
	return false;
}

static bool copies(const cnb__extend_dockerfile *df)
{
	for (size_t i = 0; i < df->n; i++)
		if (df->instrs[i].kind == CNB_DF_COPY || df->instrs[i].kind == CNB_DF_ADD)
			return true;
	return false;
}

static int over_limit(const char *path, void *userdata, cnb_error **err)
{
	(void)path;
	return cnb__tar_written(userdata) > CNB_EXTEND_CONTEXT_MAX_BYTES
		       ? cnb__error_set(err, CNB_EINVAL, "the build contexts are larger than %llu MiB",
					(unsigned long long)(CNB_EXTEND_CONTEXT_MAX_BYTES >> 20))
		       : 0;
}

/* The extension's build context for `kind` (context.build/ or context.run/, else context/; spec
 * image_extension.md "Phase: Generation" outputs) added to the plan's context tar as "<n>/".
 * *guest: where the guest then finds it; NULL when the extension has none. */
static int add_context(cnb__extend_plan *p, cnb__tar **tar, int dirfd, const char *id, cnb__extend_kind kind, char **guest,
		       cnb_error **err)
{
	const char *names[] = { kind == CNB_EXTEND_BUILD ? "context.build" : "context.run", "context" };
	*guest = NULL;
	for (size_t i = 0; i < CNB_ARRAY_SIZE(names); i++) {
		struct stat st;
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			continue;
		if (!S_ISDIR(st.st_mode))
			return cnb__error_set(err, CNB_EINVAL, "extension %s: %s in its output is not a directory (no symlinks)",
					      id, names[i]);
		char dest[32];
		snprintf(dest, sizeof(dest), "%zu", p->n_contexts);
		if (p->context_fd < 0) {
			p->context_fd = open(cnb__tmp_base(), O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
			if (p->context_fd < 0)
				return cnb__error_errno(err, CNB_EIO, errno, "a temporary file in %s for the build contexts",
							cnb__tmp_base());
			if (cnb__tar_open(tar, p->context_fd, err) < 0)
				return -1;
			cnb__tar_set_check(*tar, over_limit, *tar);
		}
		if (cnb__extend_context_tar(*tar, dirfd, names[i], dest, err) < 0)
			return cnb__error_prefix(err, "extension %s: its build context %s", id, names[i]);
		if (asprintf(guest, "%s/%zu", CNB_EXTEND_GUEST_CONTEXT, p->n_contexts++) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		return 0;
	}
	return 0;
}

/* Finishes the context tar and puts its digest in the key. */
static int finish_contexts(cnb__extend_plan *p, cnb__tar *tar, cnb__oci_hash *key, cnb_error **err)
{
	if (!tar)
		return 0;
	if (cnb__tar_finish(tar, err) < 0)
		return cnb__error_prefix(err, "the build contexts");
	char buf[1 << 16];
	ssize_t n;
	if (lseek(p->context_fd, 0, SEEK_SET) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "the build contexts");
	while ((n = cnb__read_some(p->context_fd, buf, sizeof(buf))) > 0)
		cnb__oci_hash_update(key, buf, (size_t)n);
	if (n < 0 || lseek(p->context_fd, 0, SEEK_SET) < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "the build contexts");
	return 0;
}

static int one_dockerfile(cnb__extend_plan *p, int gen_fd, const char *id, cnb__extend_kind kind,
			  const cnb__extend_base *base, const char *build_id, cnb__oci_hash *key, cnb__tar **tar,
			  cnb_error **err)
{
	const char *file = kind == CNB_EXTEND_BUILD ? "build.Dockerfile" : "run.Dockerfile";
	_cleanup_free_ char *esc = escaped_id(id), *name = NULL, *text = NULL;
	if (!esc || asprintf(&name, "extension %s: %s", id, file) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	_cleanup_close_ int dirfd = openat(gen_fd, esc, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0 && errno == ENOENT)
		return 0;
	if (dirfd < 0)
		return cnb__error_errno(err, CNB_EUNSAFE, errno, "extension %s: its generated directory (no symlinks)", id);
	size_t len = 0;
	int r = cnb__read_file_at(dirfd, file, CNB_DOCKERFILE_MAX_BYTES, &text, &len, err);
	if (r < 0 && cnb__error_code(err, r) == CNB_ENOTFOUND) {
		cnb_error_free(*err), *err = NULL;
		return 0;
	}
	if (r < 0)
		return cnb__error_prefix(err, "%s", name);
	_cleanup_strv_list_ cnb__strv_list args = CNB_STRV_LIST_INIT;
	cnb__extend_dockerfile *df = NULL;
	r = cnb__extend_dockerfile_parse(&df, text, len, name, err);
	if (r == 0 && kind == CNB_EXTEND_RUN && only_from(df)) {
		cnb__extend_dockerfile_free(df);
		return 0;
	}
	if (r == 0 && platform_args(&p->config, base, build_id, &args) < 0)
		r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__oci_hash_update(key, id, strlen(id) + 1);
	cnb__oci_hash_update(key, text, len + 1);
	if (r == 0)
		r = config_args(dirfd, name, kind, &args, key, err);
	_cleanup_free_ char *context = NULL;
	if (r == 0 && copies(df))
		r = add_context(p, tar, dirfd, id, kind, &context, err);
	for (size_t i = 0; r == 0 && i < args.n; i++)
		if (strncmp(args.v[i], "build_id=", 9) || uses_build_id(df))
			cnb__oci_hash_update(key, args.v[i], strlen(args.v[i]) + 1);
	if (r == 0)
		r = cnb__extend_dockerfile_eval(df, name, kind == CNB_EXTEND_BUILD, (const char *const *)args.v, context, &p->config,
						p->ops, err);
	cnb__extend_dockerfile_free(df);
	if (r == 0 && kind == CNB_EXTEND_RUN)
		p->rebasable = p->rebasable && label_true(p->config.labels);
	p->n_dockerfiles += r == 0;
	return r;
}

int cnb__extend_plan_read(cnb__extend_plan *p, const char *generated_dir, const char *const *ids, cnb__extend_kind kind,
			  const cnb__extend_base *base, cnb_error **err)
{
	memset(p, 0, sizeof(*p));
	p->context_fd = -1;
	p->rebasable = true; /* the base need not say so (lifecycle phase/extender.go) */
	int r = cnb__extend_config_init(&p->config, base->config, err);
	if (r < 0)
		return r;
	cnb__oci_hash key;
	if (!(p->ops = json_array()) || cnb__oci_hash_init(&key) < 0) {
		cnb__extend_plan_clear(p);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	static const char version[] = "cnb-extend-1";
	cnb__oci_hash_update(&key, version, sizeof(version));
	cnb__oci_hash_update(&key, kind == CNB_EXTEND_BUILD ? "build" : "run", 4);
	cnb__oci_hash_update(&key, base->digest, strlen(base->digest) + 1);
	_cleanup_close_ int gen_fd = open(generated_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (gen_fd < 0)
		r = cnb__error_errno(err, CNB_EINVAL, errno, "generated directory %s", generated_dir);
	char build_id[37];
	new_uuid(build_id);
	cnb__tar *tar = NULL;
	for (size_t i = 0; r == 0 && ids && ids[i]; i++)
		r = one_dockerfile(p, gen_fd, ids[i], kind, base, build_id, &key, &tar, err);
	if (r == 0)
		r = finish_contexts(p, TAKE_PTR(tar), &key, err);
	cnb__tar_free(tar);
	cnb__oci_hash_final(&key, p->key);
	if (r == 0 && kind == CNB_EXTEND_RUN && p->n_dockerfiles) {
		/* platform.md extender: a run image left running as root is refused; the label says whether
		 * the extended layers may be rebased. */
		const char *u = p->config.user;
		size_t ulen = strcspn(u, ":");
		if ((ulen == 1 && u[0] == '0') || (ulen == 4 && !strncmp(u, "root", 4)))
			r = cnb__error_set(err, CNB_EINVAL, "the run.Dockerfiles leave the run image's user as root (\"%s\"): "
							    "the last one must reset it (USER ${user_id}:${group_id})", u);
		else if (json_object_set_new(p->config.labels, REBASABLE_LABEL, json_string(p->rebasable ? "true" : "false")) < 0)
			r = cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	if (r < 0)
		cnb__extend_plan_clear(p);
	return r;
}

char *cnb__extend_plan_json(const cnb__extend_plan *p)
{
	json_t *doc = json_pack("{s:i, s:O}", "version", CNB_EXTEND_PLAN_VERSION, "ops", p->ops);
	char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return s;
}
