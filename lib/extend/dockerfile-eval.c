/* Extension Dockerfiles → image config changes + guest operations (see dockerfile-eval.h). */
#include "dockerfile-eval.h"
#include "dockerfile-words.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int oom(cnb_error **err)
{
	return cnb__error_set(err, CNB_ENOMEM, "out of memory");
}

int cnb__extend_config_init(cnb__extend_config *c, const json_t *image_config, cnb_error **err)
{
	*c = (cnb__extend_config){ .env = CNB_STRV_LIST_INIT };
	const json_t *env = json_object_get(image_config, "Env"), *labels = json_object_get(image_config, "Labels");
	const char *user = json_string_value(json_object_get(image_config, "User"));
	const char *wd = json_string_value(json_object_get(image_config, "WorkingDir"));
	c->user = strdup(user ? user : "");
	c->workdir = strdup(wd ? wd : "");
	c->labels = json_is_object(labels) ? json_deep_copy(labels) : json_object();
	bool failed = !c->user || !c->workdir || !c->labels;
	for (size_t i = 0; !failed && i < json_array_size(env); i++)
		if (json_string_value(json_array_get(env, i)))
			failed = cnb__strv_push(&c->env, json_string_value(json_array_get(env, i))) < 0;
	const json_t *shell = json_object_get(image_config, "Shell");
	if (!failed && json_array_size(shell)) {
		failed = !(c->shell = calloc(json_array_size(shell) + 1, sizeof(char *)));
		for (size_t i = 0; !failed && i < json_array_size(shell); i++)
			failed = !(c->shell[i] = strdup(json_string_value(json_array_get(shell, i)) ?: ""));
	}
	if (failed) {
		cnb__extend_config_clear(c);
		return oom(err);
	}
	return 0;
}

void cnb__extend_config_clear(cnb__extend_config *c)
{
	cnb__strv_list_free(&c->env);
	free(c->user);
	free(c->workdir);
	cnb__strv_free(c->shell);
	json_decref(c->labels);
	*c = (cnb__extend_config){ .env = CNB_STRV_LIST_INIT };
}

/* Sets K=V in a "K=V" list, replacing an earlier K. */
static int env_set(cnb__strv_list *env, const char *k, const char *v)
{
	char *kv = NULL;
	if (asprintf(&kv, "%s=%s", k, v) < 0)
		return -1;
	size_t klen = strlen(k);
	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], k, klen) && env->v[i][klen] == '=') {
			free(env->v[i]);
			env->v[i] = kv;
			return 0;
		}
	return cnb__strv_push_take(env, kv);
}

typedef struct eval {
	const char *name;
	unsigned line;
	cnb__extend_config *c;
	const char *const *given;   /* the platform's build args */
	const char *context;        /* where COPY/ADD read from in the guest; NULL: no build context */
	cnb__strv_list args;        /* ARGs declared in this stage, with their values */
	bool from_seen;
	cnb_error **err;
} eval;

static int bad(eval *e, const char *fmt, const char *what)
{
	return cnb__error_set(e->err, CNB_EINVAL, "%s line %u: %s%s", e->name, e->line, fmt, what ? what : "");
}

static int prefix(eval *e)
{
	return cnb__error_prefix(e->err, "%s line %u", e->name, e->line);
}

/* The variables an instruction's arguments expand from: ARGs in scope, then ENV (which wins). */
static char **scope(eval *e)
{
	_cleanup_strv_list_ cnb__strv_list all = CNB_STRV_LIST_INIT;
	if (cnb__strv_extend(&all, e->args.v, e->args.n) < 0 || cnb__strv_extend(&all, e->c->env.v, e->c->env.n) < 0)
		return NULL;
	return cnb__strv_steal(&all);
}

static int words(eval *e, const char *raw, bool split, char ***out)
{
	char **vars = scope(e);
	if (!vars)
		return oom(e->err);
	int r = cnb__extend_df_words(raw, (const char *const *)vars, split, out, e->err);
	cnb__strv_free(vars);
	return r < 0 ? prefix(e) : 0;
}

static int do_arg(eval *e, const char *raw)
{
	_cleanup_strv_ char **w = NULL;
	int r = words(e, raw, true, &w);
	for (size_t i = 0; r == 0 && w[i]; i++) {
		char *eq = strchr(w[i], '=');
		if (eq)
			*eq = '\0';
		if (!*w[i])
			return bad(e, "ARG needs a name: ARG name[=default]", NULL);
		const char *given = cnb__extend_df_var(e->given, w[i], strlen(w[i]));
		const char *value = given ? given : eq ? eq + 1 : NULL;
		if (value && env_set(&e->args, w[i], value) < 0)
			return oom(e->err);
	}
	return r;
}

static int do_from(eval *e, const char *raw, bool build_kind)
{
	if (e->from_seen)
		return bad(e, "a second FROM: an extension's Dockerfile has one stage", NULL);
	e->from_seen = true;
	_cleanup_strv_ char **w = NULL;
	int r = words(e, raw, true, &w);
	if (r == 0 && (!w[0] || w[1]))
		r = bad(e, "FROM takes one image (stages with AS are not supported)", NULL);
	/* build.Dockerfiles MUST extend the build image (image_extension.md); a run.Dockerfile naming
	 * another image switched the run image at generate: the platform applies it to that one. */
	const char *base = cnb__extend_df_var(e->given, "base_image", 10);
	if (r == 0 && build_kind && (!base || strcmp(w[0], base)))
		r = bad(e, "a build.Dockerfile must begin with ARG base_image and FROM ${base_image}", NULL);
	cnb__strv_list_free(&e->args); /* ARGs before FROM are FROM's only */
	return r;
}

static int do_env_or_label(eval *e, const char *raw, bool label)
{
	_cleanup_strv_ char **w = NULL;
	int r = words(e, raw, true, &w);
	if (r < 0)
		return r;
	if (!label && !strchr(w[0], '=')) { /* the old form, ENV KEY value with blanks */
		const char *rest = raw + strcspn(raw, " \t");
		rest += strspn(rest, " \t");
		_cleanup_strv_ char **value = NULL;
		if (!*rest)
			return bad(e, "ENV needs a value: ENV KEY=value", NULL);
		if ((r = words(e, rest, false, &value)) < 0)
			return r;
		return env_set(&e->c->env, w[0], value[0] ? value[0] : "") < 0 ? oom(e->err) : 0;
	}
	for (size_t i = 0; w[i]; i++) {
		char *eq = strchr(w[i], '=');
		if (!eq || eq == w[i])
			return bad(e, label ? "LABEL takes key=value pairs, not " : "ENV takes KEY=value pairs, not ", w[i]);
		*eq = '\0';
		if (label ? json_object_set_new(e->c->labels, w[i], json_string(eq + 1)) < 0
			  : env_set(&e->c->env, w[i], eq + 1) < 0)
			return oom(e->err);
	}
	return 0;
}

static int one_word(eval *e, const char *raw, const char *what, char **out)
{
	_cleanup_strv_ char **w = NULL;
	int r = words(e, raw, true, &w);
	if (r == 0 && (!w[0] || w[1] || !*w[0]))
		return bad(e, what, NULL);
	if (r == 0 && !(*out = strdup(w[0])))
		return oom(e->err);
	return r;
}

static char *where(eval *e)
{
	char *s = NULL;
	return asprintf(&s, "%s line %u", e->name, e->line) < 0 ? NULL : s;
}

/* WORKDIR /a, WORKDIR b → /a/b; the guest creates it, as docker does. */
static int do_workdir(eval *e, const char *raw, json_t *ops)
{
	_cleanup_free_ char *dir = NULL, *joined = NULL, *at = where(e);
	int r = one_word(e, raw, "WORKDIR takes one directory", &dir);
	if (r < 0)
		return r;
	if (!at || (dir[0] != '/' && asprintf(&joined, "%s/%s", *e->c->workdir ? e->c->workdir : "", dir) < 0))
		return oom(e->err);
	free(e->c->workdir);
	e->c->workdir = joined ? TAKE_PTR(joined) : TAKE_PTR(dir);
	return json_array_append_new(ops, json_pack("{s:s, s:s}", "where", at, "mkdir", e->c->workdir)) < 0 ? oom(e->err) : 0;
}

static int do_run(eval *e, const cnb__extend_df_instr *in, json_t *ops)
{
	static const char *const default_shell[] = { "/bin/sh", "-c", NULL };
	json_t *argv = json_array(), *env = json_array();
	const char *const *shell = e->c->shell ? (const char *const *)e->c->shell : default_shell;
	for (const char *const *a = in->argv ? (const char *const *)in->argv : shell; a && *a; a++)
		json_array_append_new(argv, json_string(*a));
	if (!in->argv)
		json_array_append_new(argv, json_string(in->raw));
	/* ARGs reach RUN as environment variables; ENV of the same name wins (docker's rule). */
	for (size_t i = 0; i < e->args.n; i++) {
		const char *eq = strchr(e->args.v[i], '=');
		if (!cnb__extend_df_var((const char *const *)e->c->env.v, e->args.v[i], (size_t)(eq - e->args.v[i])))
			json_array_append_new(env, json_string(e->args.v[i]));
	}
	for (size_t i = 0; i < e->c->env.n; i++)
		json_array_append_new(env, json_string(e->c->env.v[i]));
	_cleanup_free_ char *at = where(e);
	if (!at) {
		json_decref(argv);
		json_decref(env);
		return oom(e->err);
	}
	json_t *op = json_pack("{s:s, s:o, s:o, s:s, s:s}", "where", at, "argv", argv, "env", env, "user",
				    *e->c->user ? e->c->user : "0", "workdir", *e->c->workdir ? e->c->workdir : "/");
	if (!op || json_array_append_new(ops, op) < 0)
		return oom(e->err);
	return 0;
}

/* A COPY/ADD source: a path inside the build context, never out of it. */
static int check_src(eval *e, const char *src, bool add)
{
	static const char *const archives[] = { ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst" };
	if (add && strstr(src, "://"))
		return bad(e, "ADD from a URL is not supported: download it in a RUN step, not ", src);
	for (size_t i = 0; add && i < CNB_ARRAY_SIZE(archives); i++) {
		size_t n = strlen(src), m = strlen(archives[i]);
		if (n > m && !strcmp(src + n - m, archives[i]))
			return bad(e, "ADD would extract this archive, which cnb's extender does not do: COPY it and "
				      "unpack it with RUN: ", src);
	}
	if (!*src || src[0] == '/')
		return bad(e, "a COPY source is a path relative to the build context, not ", *src ? src : "\"\"");
	if (strpbrk(src, "*?["))
		return bad(e, "COPY sources with wildcards are not supported by cnb's extender: name each one: ", src);
	for (const char *c = src; *c; c += strcspn(c, "/"), c += strspn(c, "/"))
		if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2]))
			return bad(e, "a COPY source may not leave the build context (\"..\"): ", src);
	return 0;
}

/* COPY [--chown=user[:group]] src... dest (ADD: the same for local files); see dockerfile-eval.h. */
static int do_copy(eval *e, const cnb__extend_df_instr *in, json_t *ops)
{
	const char *what = in->kind == CNB_DF_ADD ? "ADD" : "COPY";
	_cleanup_strv_ char **w = NULL, **paths = NULL;
	int r = words(e, in->raw, true, &w);
	size_t nflags = 0;
	_cleanup_free_ char *chown = NULL;
	for (; r == 0 && w[nflags] && !strncmp(w[nflags], "--", 2); nflags++) {
		if (strncmp(w[nflags], "--chown=", 8) || !w[nflags][8])
			return bad(e, "the only COPY/ADD flag cnb's extender supports is --chown=user[:group], not ", w[nflags]);
		free(chown);
		if (!(chown = strdup(w[nflags] + 8)))
			return oom(e->err);
	}
	if (r < 0)
		return r;
	if (!in->argv && !(paths = cnb__strv_dup((const char *const *)w + nflags)))
		return oom(e->err);
	char **p = in->argv ? in->argv : paths;
	size_t n = 0;
	while (p[n])
		n++;
	if (n < 2)
		return bad(e, what, " needs at least one source and a destination: COPY <src>... <dest>");
	if (!e->context)
		return bad(e, what, " needs a build context: the extension's generate must write the files into "
				    "context/ (or context.build/, context.run/) of its output directory; the app "
				    "directory as a build context is not supported by cnb's extender");
	json_t *src = json_array();
	for (size_t i = 0; r == 0 && i + 1 < n; i++)
		if ((r = check_src(e, p[i], in->kind == CNB_DF_ADD)) == 0 && json_array_append_new(src, json_string(p[i])) < 0)
			r = oom(e->err);
	_cleanup_free_ char *dest = NULL, *at = where(e);
	const char *wd = *e->c->workdir ? e->c->workdir : "";
	if (r == 0 && (!at || asprintf(&dest, "%s%s%s", p[n - 1][0] == '/' ? "" : wd, p[n - 1][0] == '/' ? "" : "/",
				      p[n - 1]) < 0))
		r = oom(e->err);
	/* several sources go into a directory: docker requires the destination to say so */
	if (r == 0 && n > 2 && dest[strlen(dest) - 1] != '/')
		r = bad(e, "with several sources the destination must be a directory ending in /: ", p[n - 1]);
	json_t *op = r == 0 ? json_pack("{s:s, s:O, s:s, s:s, s:s}", "where", at, "copy", src, "dest", dest, "chown",
					 chown ? chown : "0:0", "context", e->context)
			    : NULL;
	json_decref(src);
	if (r == 0 && (!op || json_array_append_new(ops, op) < 0))
		r = oom(e->err);
	return r;
}

static int step(eval *e, const cnb__extend_df_instr *in, bool build_kind, json_t *ops)
{
	e->line = in->line;
	if (in->kind == CNB_DF_ARG)
		return do_arg(e, in->raw);
	if (in->kind == CNB_DF_FROM)
		return do_from(e, in->raw, build_kind);
	if (!e->from_seen)
		return bad(e, cnb__extend_df_kind_name(in->kind), " before FROM: only ARG may come before FROM");
	switch (in->kind) {
	case CNB_DF_ENV:
		return do_env_or_label(e, in->raw, false);
	case CNB_DF_LABEL:
		return do_env_or_label(e, in->raw, true);
	case CNB_DF_USER: {
		char *user = NULL;
		int r = one_word(e, in->raw, "USER takes one user[:group]", &user);
		if (r == 0) {
			free(e->c->user);
			e->c->user = user;
		}
		return r;
	}
	case CNB_DF_WORKDIR:
		return do_workdir(e, in->raw, ops);
	case CNB_DF_SHELL:
		cnb__strv_free(e->c->shell);
		return (e->c->shell = cnb__strv_dup((const char *const *)in->argv)) ? 0 : oom(e->err);
	case CNB_DF_RUN:
		return do_run(e, in, ops);
	case CNB_DF_COPY:
	case CNB_DF_ADD:
		return do_copy(e, in, ops);
	default:
		return bad(e, "unexpected instruction", NULL);
	}
}

int cnb__extend_dockerfile_eval(const cnb__extend_dockerfile *df, const char *name, bool build_kind, const char *const *args,
				const char *context, cnb__extend_config *c, json_t *ops, cnb_error **err)
{
	eval e = { .name = name, .c = c, .given = args, .context = context, .args = CNB_STRV_LIST_INIT, .err = err };
	int r = 0;
	if (build_kind && (df->n < 2 || df->instrs[0].kind != CNB_DF_ARG || df->instrs[1].kind != CNB_DF_FROM))
		r = cnb__error_set(err, CNB_EINVAL, "%s: must begin with ARG base_image and FROM ${base_image} "
						    "(image_extension.md, Dockerfile Requirements)", name);
	for (size_t i = 0; r == 0 && i < df->n; i++)
		r = step(&e, &df->instrs[i], build_kind, ops);
	if (r == 0 && !e.from_seen)
		r = cnb__error_set(err, CNB_EINVAL, "%s: has no FROM instruction", name);
	cnb__strv_list_free(&e.args);
	return r;
}
