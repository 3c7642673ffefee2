/* Extension Dockerfiles: the strict parser, word expansion, evaluation into a plan, and the
 * generated-dir reader (symlinks, args, cache key). Hostile input included. TAP. */
#include "lib/extend/dockerfile-eval.h"
#include "lib/extend/dockerfile-words.h"
#include "lib/extend/extend-plan.h"
#include "lib/rootfs/mapped-xattr.h"
#include "lib/common/cleanup.h"
#include "lib/common/fs.h"
#include "tests/lib/tap.h"

#include <cnb/error.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static cnb__extend_dockerfile *parse(const char *text, cnb_error **err)
{
	cnb__extend_dockerfile *df = NULL;
	cnb__extend_dockerfile_parse(&df, text, strlen(text), "extension x: build.Dockerfile", err);
	return df;
}

/* The error message of parsing `text`, or "" when it parsed (caller frees). */
static char *parse_error(const char *text, size_t len)
{
	cnb__extend_dockerfile *df = NULL;
	cnb_error *err = NULL;
	int r = cnb__extend_dockerfile_parse(&df, text, len, "extension x: build.Dockerfile", &err);
	char *msg = strdup(r < 0 ? cnb_error_message(err) : "");
	cnb_error_free(err);
	cnb__extend_dockerfile_free(df);
	return msg;
}

static bool contains(const char *s, const char *part)
{
	return s && strstr(s, part);
}

static void test_dockerfile__parses_continuations_comments_and_forms(void)
{
	cnb_error *err = NULL;
	cnb__extend_dockerfile *df = parse("# syntax comment\n"
				    "arg base_image\n"
				    "FROM ${base_image}\n"
				    "\n"
				    "RUN echo a && \\\n"
				    "# a comment inside the instruction\n"
				    "\n"
				    "    echo b\r\n"
				    "RUN [\"/bin/echo\", \"x y\"]\n"
				    "RUN [not json\n"
				    "ENV A=1 \\\n  B=2\n"
				    "USER 1000:1000",
				    &err);
	ok(df != NULL, "a Dockerfile with continuations, comments, CRLF and both RUN forms parses (%s)",
	   err ? cnb_error_message(err) : "");
	if (!df)
		return;
	is_int(df->n, 7, "seven instructions");
	is_int(df->instrs[0].kind, CNB_DF_ARG, "keywords in any case");
	is_int(df->instrs[2].line, 5, "an instruction keeps its first line");
	is_str(df->instrs[2].raw, "echo a &&     echo b", "continuation lines are joined, the comment inside skipped");
	ok(df->instrs[3].argv && !strcmp(df->instrs[3].argv[1], "x y") && !df->instrs[3].argv[2], "exec form: the JSON array");
	ok(!df->instrs[4].argv, "a RUN that is no JSON array is the shell form (as docker reads it)");
	is_str(df->instrs[5].raw, "A=1   B=2", "ENV continued");
	is_int(df->instrs[6].line, 13, "the last line without a newline");
	cnb__extend_dockerfile_free(df);
}

static void test_dockerfile__refuses_what_the_spec_does_not_allow(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "FROM x\nONBUILD RUN x\n", "line 2: ONBUILD is not allowed" },
		{ "FROM x\nCMD [\"sh\"]\n", "line 2: CMD is not allowed" },
		{ "FROM x\nENTRYPOINT sh\n", "line 2: ENTRYPOINT is not allowed" },
		{ "FROM x\nEXPOSE 80\n", "line 2: instruction \"EXPOSE\" is not supported" },
		{ "FROM x\nRUN --mount=type=secret,id=x cat /run/secrets/x\n", "line 2: RUN flags" },
		{ "FROM x\nRUN <<EOF\necho\nEOF\n", "line 2: RUN heredocs are not supported" },
		{ "FROM --platform=linux/arm64 x\n", "line 1: FROM flags" },
		{ "FROM x\nSHELL /bin/bash -c\n", "line 2: SHELL takes a JSON array" },
		{ "FROM x\nRUN\n", "line 2: RUN needs an argument" },
		{ "# escape=`\nFROM x\n", "line 1: the escape directive must be" },
		{ "FROM x\nRUN [\"a\\u0000b\"]\nRUN true\n", "" }, /* a NUL inside JSON: not an argv; shell form */
	};
	for (size_t i = 0; i < CNB_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *msg = parse_error(cases[i].text, strlen(cases[i].text));
		ok(*cases[i].want ? contains(msg, cases[i].want) : msg && !*msg, "refused: %s → %s", cases[i].want,
		   msg ? msg : "(null)");
	}
}

static void test_dockerfile__bounds_hostile_input(void)
{
	size_t big = CNB_DOCKERFILE_MAX_BYTES + 1;
	char *text = malloc(big + 1);
	memset(text, 'a', big);
	text[big] = '\0';
	_cleanup_free_ char *m1 = parse_error(text, big);
	ok(contains(m1, "over the limit"), "a file over %u bytes is refused (%s)", CNB_DOCKERFILE_MAX_BYTES, m1);
	/* one instruction of 100 KiB through continuations */
	size_t n = 0;
	n += (size_t)sprintf(text, "RUN ");
	while (n < 100000)
		n += (size_t)sprintf(text + n, "echo aaaaaaaaaaaaaaaaaaaa \\\n");
	_cleanup_free_ char *m2 = parse_error(text, n);
	ok(contains(m2, "line 1: instruction longer than"), "an endless continuation is bounded (%s)", m2);
	n = 0;
	for (int i = 0; i < CNB_DOCKERFILE_MAX_INSTRUCTIONS + 1; i++)
		n += (size_t)sprintf(text + n, "RUN x\n");
	_cleanup_free_ char *m3 = parse_error(text, n);
	ok(contains(m3, "more than 512 instructions"), "too many instructions are refused (%s)", m3);
	_cleanup_free_ char *m4 = parse_error("FROM x\nRUN a\0b\n", 15);
	ok(contains(m4, "NUL byte"), "a NUL byte is refused (%s)", m4);
	_cleanup_free_ char *m6 = parse_error("FROM x\nLABEL k=\xf6\xac\n", 17);
	ok(contains(m6, "not UTF-8 text"), "text that is not UTF-8 is refused (%s)", m6);
	_cleanup_free_ char *m5 = parse_error("\\\n\\\n\\", 5);
	ok(m5 != NULL, "lone backslashes do not crash (%s)", m5 ? m5 : "");
	free(text);
}

static char **words_of(const char *raw, const char *const *vars, bool split, cnb_error **err)
{
	char **w = NULL;
	return cnb__extend_df_words(raw, vars, split, &w, err) < 0 ? NULL : w;
}

static void test_dockerfile__expands_words_like_docker(void)
{
	const char *const vars[] = { "A=1", "B=two words", "E=", "A=3", NULL };
	cnb_error *err = NULL;
	_cleanup_strv_ char **w = words_of("x=$A \"y=${B}\" 'z=$A' \\$A ${E:-def} ${A:+alt} ${NOPE}end a\\ b \"\"", vars,
					   true, &err);
	ok(w != NULL, "words split (%s)", err ? cnb_error_message(err) : "");
	if (w) {
		is_str(w[0], "x=3", "$A: the last A wins");
		is_str(w[1], "y=two words", "double quotes group and expand");
		is_str(w[2], "z=$A", "single quotes are literal");
		is_str(w[3], "$A", "\\$ is a dollar");
		is_str(w[4], "def", "${E:-def} for an empty E");
		is_str(w[5], "alt", "${A:+alt}");
		is_str(w[6], "end", "an unset variable is empty");
		is_str(w[7], "a b", "an escaped blank does not split");
		is_str(w[8], "", "\"\" is one empty word");
		ok(w[9] == NULL, "nine words");
	}
	static const char *const bad[] = { "\"open", "'open", "${", "${A", "${A%%x}", "${9}" };
	for (size_t i = 0; i < CNB_ARRAY_SIZE(bad); i++) {
		cnb_error *e = NULL;
		char **b = words_of(bad[i], vars, true, &e);
		ok(!b && e, "refused: %s (%s)", bad[i], e ? cnb_error_message(e) : "accepted");
		cnb__strv_free(b);
		cnb_error_free(e);
	}
	/* expansion growth is bounded: 64 references to a 64 KiB value */
	char *huge = malloc(70000);
	memset(huge, 'v', 65536);
	memcpy(huge, "H=", 2);
	huge[65536] = '\0';
	const char *const hv[] = { huge, NULL };
	char raw[64 * 4 + 1] = "";
	for (int i = 0; i < 64; i++)
		strcat(raw, "${H}");
	cnb_error *e = NULL;
	char **b = words_of(raw, hv, false, &e);
	ok(!b && contains(e ? cnb_error_message(e) : NULL, "expands to more than"), "expansion is bounded (%s)",
	   e ? cnb_error_message(e) : "accepted");
	cnb__strv_free(b);
	cnb_error_free(e);
	free(huge);
	cnb_error_free(err);
}

static void test_dockerfile__evaluates_into_ops_and_config(void)
{
	const char *text = "ARG base_image\n"
			   "FROM ${base_image}\n"
			   "ARG user_id\n"
			   "ARG greeting=hi\n"
			   "ARG unset_arg\n"
			   "USER root\n"
			   "ENV P=/opt/bin:${PATH} GREETING=$greeting\n"
			   "ENV OLD value with blanks\n"
			   "WORKDIR /srv\n"
			   "WORKDIR app\n"
			   "LABEL io.buildpacks.rebasable=true other=\"x y\"\n"
			   "RUN echo $greeting\n"
			   "SHELL [\"/bin/bash\", \"-ec\"]\n"
			   "RUN [\"/bin/true\"]\n"
			   "RUN set -x\n"
			   "USER ${user_id}\n";
	cnb_error *err = NULL;
	cnb__extend_dockerfile *df = parse(text, &err);
	json_t *cfg = json_pack("{s:[s], s:s, s:{s:s}}", "Env", "PATH=/bin", "User", "1000:1000", "Labels", "a", "b");
	cnb__extend_config c;
	cnb__extend_config_init(&c, cfg, NULL);
	json_t *ops = json_array();
	const char *const args[] = { "base_image=reg/builder", "build_id=u", "user_id=1000", "group_id=1000",
				     "greeting=hello", NULL };
	int r = df ? cnb__extend_dockerfile_eval(df, "extension x: build.Dockerfile", true, args, "/ctx", &c, ops, &err) : -1;
	ok(r == 0, "evaluates (%s)", err ? cnb_error_message(err) : "");
	is_int(json_array_size(ops), 5, "two WORKDIR directories and three RUNs");
	const json_t *run1 = json_array_get(ops, 2);
	is_str(json_string_value(json_object_get(json_array_get(ops, 1), "mkdir")), "/srv/app", "a relative WORKDIR joins");
	is_str(json_string_value(json_array_get(json_object_get(run1, "argv"), 2)), "echo $greeting",
	       "RUN is left to the shell");
	is_str(json_string_value(json_array_get(json_object_get(run1, "argv"), 0)), "/bin/sh", "the default shell");
	is_str(json_string_value(json_object_get(run1, "user")), "root", "RUN as the USER before it");
	is_str(json_string_value(json_object_get(run1, "workdir")), "/srv/app", "in the WORKDIR");
	char *env = json_dumps(json_object_get(run1, "env"), JSON_COMPACT);
	ok(contains(env, "\"greeting=hello\"") && contains(env, "\"user_id=1000\"") && contains(env, "\"P=/opt/bin:/bin\"") &&
		   contains(env, "\"GREETING=hello\"") && !contains(env, "unset_arg") && !contains(env, "build_id"),
	   "RUN's environment: declared ARGs (the given value wins), ENV; undeclared and unset args are not there (%s)",
	   env);
	free(env);
	is_str(json_string_value(json_array_get(json_object_get(json_array_get(ops, 3), "argv"), 0)), "/bin/true",
	       "exec form as written");
	is_str(json_string_value(json_array_get(json_object_get(json_array_get(ops, 4), "argv"), 0)), "/bin/bash", "SHELL");
	is_str(c.user, "1000", "USER ${user_id} resets the user");
	is_str(c.workdir, "/srv/app", "the config's WorkingDir");
	ok(cnb__strv_contains(c.env.v, "OLD=value with blanks"), "ENV KEY value (the old form)");
	is_str(json_string_value(json_object_get(c.labels, "other")), "x y", "LABEL");
	is_str(json_string_value(json_object_get(c.labels, "a")), "b", "the base image's labels stay");
	cnb__extend_dockerfile_free(df);
	cnb__extend_config_clear(&c);
	json_decref(ops);
	json_decref(cfg);
	cnb_error_free(err);
}

static void test_dockerfile__eval_refuses_bad_structure(void)
{
	static const struct {
		const char *text, *want;
		bool build;
	} cases[] = {
		{ "FROM ${base_image}\nRUN x\n", "must begin with ARG base_image", true },
		{ "ARG base_image\nFROM other\n", "line 2: a build.Dockerfile must begin with ARG base_image and FROM ${base_image}", true },
		{ "ARG base_image\nFROM ${base_image}\nFROM ${base_image}\n", "line 3: a second FROM", true },
		{ "ARG base_image\nRUN x\nFROM ${base_image}\n", "must begin with ARG base_image", true },
		{ "RUN x\nFROM y\n", "line 1: RUN before FROM", false },
		{ "ARG base_image\nFROM ${base_image}\nENV =x\n", "line 3: ENV takes KEY=value pairs", true },
		{ "ARG base_image\nFROM ${base_image}\nUSER a b\n", "line 3: USER takes one user", true },
		{ "ARG base_image\nFROM ${base_image}\nENV A=\"open\n", "line 3: unterminated double quote", true },
		{ "ARG base_image\nFROM ${base_image}\nARG =x\n", "line 3: ARG needs a name", true },
		{ "ARG x\n", "has no FROM", false },
		{ "ARG base_image\nFROM ${base_image}\nCOPY ../etc/passwd /x\n", "line 3: a COPY source may not leave the build context", true },
		{ "ARG base_image\nFROM ${base_image}\nCOPY a/../../x /x\n", "may not leave the build context", true },
		{ "ARG base_image\nFROM ${base_image}\nCOPY /etc/passwd /x\n", "relative to the build context", true },
		{ "ARG base_image\nFROM ${base_image}\nCOPY *.txt /x/\n", "wildcards are not supported", true },
		{ "ARG base_image\nFROM ${base_image}\nCOPY --from=img /a /b\n", "only COPY/ADD flag cnb's extender supports is --chown", true },
		{ "ARG base_image\nFROM ${base_image}\nCOPY --chmod=755 a /b\n", "not --chmod=755", true },
		{ "ARG base_image\nFROM ${base_image}\nCOPY a\n", "line 3: COPY needs at least one source and a destination", true },
		{ "ARG base_image\nFROM ${base_image}\nCOPY a b /c\n", "the destination must be a directory ending in /", true },
		{ "ARG base_image\nFROM ${base_image}\nADD https://example.com/x.tgz /x\n", "line 3: ADD from a URL is not supported", true },
		{ "ARG base_image\nFROM ${base_image}\nADD app.tar.gz /x/\n", "ADD would extract this archive", true },
	};
	for (size_t i = 0; i < CNB_ARRAY_SIZE(cases); i++) {
		cnb_error *err = NULL;
		cnb__extend_dockerfile *df = parse(cases[i].text, &err);
		cnb__extend_config c;
		cnb__extend_config_init(&c, NULL, NULL);
		json_t *ops = json_array();
		const char *const args[] = { "base_image=b", NULL };
		int r = df ? cnb__extend_dockerfile_eval(df, "extension x: build.Dockerfile", cases[i].build, args, "/ctx", &c, ops, &err) : -1;
		ok(r < 0 && contains(err ? cnb_error_message(err) : NULL, cases[i].want), "refused: %s (%s)", cases[i].want,
		   err ? cnb_error_message(err) : "accepted");
		cnb__extend_dockerfile_free(df);
		cnb__extend_config_clear(&c);
		json_decref(ops);
		cnb_error_free(err);
	}
}

static void test_dockerfile__copy_forms(void)
{
	const char *text = "ARG base_image\nFROM ${base_image}\nWORKDIR /srv\nARG who=1000:1001\n"
			   "COPY hello.txt /opt/hello.txt\n"
			   "COPY --chown=${who} [\"dir/\", \"b c\", \"sub/\"]\n"
			   "add ./x .\n";
	cnb_error *err = NULL;
	cnb__extend_dockerfile *df = parse(text, &err);
	cnb__extend_config c;
	cnb__extend_config_init(&c, NULL, NULL);
	json_t *ops = json_array();
	const char *const args[] = { "base_image=b", NULL };
	int r = df ? cnb__extend_dockerfile_eval(df, "extension x: build.Dockerfile", true, args, "/ctx/0", &c, ops, &err) : -1;
	ok(r == 0 && json_array_size(ops) == 4, "WORKDIR and three copies (%s)", err ? cnb_error_message(err) : "");
	char *all = json_dumps(ops, JSON_COMPACT);
	ok(contains(all, "{\"where\":\"extension x: build.Dockerfile line 5\",\"copy\":[\"hello.txt\"],\"dest\":\"/opt/hello.txt\","
			 "\"chown\":\"0:0\",\"context\":\"/ctx/0\"}"),
	   "COPY src dest: from the context, owned by root (%s)", all);
	ok(contains(all, "\"copy\":[\"dir/\",\"b c\"],\"dest\":\"/srv/sub/\",\"chown\":\"1000:1001\""),
	   "the JSON form after --chown (expanded), a relative destination under WORKDIR");
	ok(contains(all, "\"copy\":[\"./x\"],\"dest\":\"/srv/.\""), "ADD of a local path is COPY");
	free(all);
	cnb__extend_config_clear(&c);
	json_decref(ops);
	ops = json_array();
	cnb__extend_config_init(&c, NULL, NULL);
	r = df ? cnb__extend_dockerfile_eval(df, "extension x: build.Dockerfile", true, args, NULL, &c, ops, &err) : -1;
	ok(r < 0 && contains(cnb_error_message(err), "line 5: COPY needs a build context"),
	   "no context dir: COPY says what to write (%s)", err ? cnb_error_message(err) : "accepted");
	cnb__extend_dockerfile_free(df);
	cnb__extend_config_clear(&c);
	json_decref(ops);
	cnb_error_free(err);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *p = cnb__path_join(dir, name);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

static void test_extend_plan__reads_the_generated_dir(void)
{
	char tmp[] = "/tmp/cnb-test-extend-XXXXXX";
	if (!mkdtemp(tmp))
		return;
	_cleanup_free_ char *a = cnb__path_join(tmp, "ex_a"), *b = cnb__path_join(tmp, "ex_b"), *c = cnb__path_join(tmp, "ex_c");
	mkdir(a, 0755), mkdir(b, 0755), mkdir(c, 0755);
	write_file(a, "build.Dockerfile", "ARG base_image\nFROM ${base_image}\nARG tool\nRUN echo $tool\n");
	write_file(a, "extend-config.toml", "[[build.args]]\nname = \"tool\"\nvalue = \"gcc\"\n");
	write_file(b, "run.Dockerfile", "FROM other-run-image\n"); /* a switch: nothing to extend */
	write_file(c, "run.Dockerfile.ignore", "ARG base_image\nFROM ${base_image}\nRUN x\n");
	json_t *cfg = json_pack("{s:s}", "User", "1000:1001");
	cnb__extend_base base = { "reg/builder", "sha256:base", cfg };
	const char *const ids[] = { "ex/a", "ex/b", "ex/c", "ex/missing", NULL };
	cnb__extend_plan p, p2;
	cnb_error *err = NULL;
	int r = cnb__extend_plan_read(&p, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
	ok(r == 0 && p.n_dockerfiles == 1, "one build.Dockerfile, found under the escaped id (%s)",
	   err ? cnb_error_message(err) : "");
	char *ops = r == 0 ? json_dumps(p.ops, JSON_COMPACT) : NULL;
	ok(contains(ops, "\"tool=gcc\""), "extend-config.toml's [[build.args]] reach RUN (%s)", ops);
	free(ops);
	r = cnb__extend_plan_read(&p2, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
	ok(r == 0 && !strcmp(p.key, p2.key), "the cache key is stable across builds (build_id is not declared)");
	cnb__extend_plan_clear(&p2);
	write_file(a, "extend-config.toml", "[[build.args]]\nname = \"tool\"\nvalue = \"clang\"\n");
	r = cnb__extend_plan_read(&p2, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
	ok(r == 0 && strcmp(p.key, p2.key), "another build arg is another cache key");
	cnb__extend_plan_clear(&p2);
	cnb__extend_base other = { "reg/builder", "sha256:other", cfg };
	r = cnb__extend_plan_read(&p2, tmp, ids, CNB_EXTEND_BUILD, &other, &err);
	ok(r == 0 && strcmp(p.key, p2.key), "another base image is another cache key");
	cnb__extend_plan_clear(&p2);
	write_file(a, "build.Dockerfile", "ARG base_image\nFROM ${base_image}\nARG build_id\nRUN echo $build_id\n");
	cnb__extend_plan_clear(&p);
	cnb__extend_plan_read(&p, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
	r = cnb__extend_plan_read(&p2, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
	ok(r == 0 && strcmp(p.key, p2.key), "a Dockerfile declaring ARG build_id is never taken from the cache");
	cnb__extend_plan_clear(&p);
	cnb__extend_plan_clear(&p2);
	r = cnb__extend_plan_read(&p, tmp, ids, CNB_EXTEND_RUN, &base, &err);
	ok(r == 0 && p.n_dockerfiles == 0, "a FROM-only run.Dockerfile and an .ignore file leave nothing to extend");
	cnb__extend_plan_clear(&p);
	write_file(b, "run.Dockerfile", "ARG base_image\nFROM ${base_image}\nUSER root\nRUN x\n");
	r = cnb__extend_plan_read(&p, tmp, ids, CNB_EXTEND_RUN, &base, &err);
	ok(r < 0 && contains(cnb_error_message(err), "leave the run image's user as root"),
	   "a run.Dockerfile leaving the user root is refused (platform.md extender)");
	cnb_error_free(err), err = NULL;
	write_file(b, "run.Dockerfile", "ARG base_image\nFROM ${base_image}\nRUN x\nLABEL io.buildpacks.rebasable=true\n");
	r = cnb__extend_plan_read(&p, tmp, ids, CNB_EXTEND_RUN, &base, &err);
	ok(r == 0 && !strcmp(json_string_value(json_object_get(p.config.labels, "io.buildpacks.rebasable")), "true"),
	   "every run.Dockerfile saying rebasable=true keeps the image rebasable");
	cnb__extend_plan_clear(&p);
	write_file(b, "run.Dockerfile", "ARG base_image\nFROM ${base_image}\nRUN x\n");
	r = cnb__extend_plan_read(&p, tmp, ids, CNB_EXTEND_RUN, &base, &err);
	ok(r == 0 && !strcmp(json_string_value(json_object_get(p.config.labels, "io.buildpacks.rebasable")), "false"),
	   "a run.Dockerfile without the label makes the image rebasable=false");
	cnb__extend_plan_clear(&p);
	_cleanup_free_ char *df = cnb__path_join(a, "build.Dockerfile");
	unlink(df);
	if (symlink("/etc/passwd", df) == 0) {
		r = cnb__extend_plan_read(&p, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
		ok(r < 0 && contains(cnb_error_message(err), "extension ex/a: build.Dockerfile"),
		   "a symlinked Dockerfile is refused, not followed (%s)", err ? cnb_error_message(err) : "accepted");
		cnb_error_free(err), err = NULL;
	}
	unlink(df);
	_cleanup_free_ char *conf = cnb__path_join(a, "extend-config.toml");
	unlink(conf);
	rmdir(a);
	ok(symlink("/etc", a) == 0, "an extension directory replaced by a symlink");
	{
		r = cnb__extend_plan_read(&p, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
		ok(r < 0 && contains(cnb_error_message(err), "no symlinks"), "a symlinked extension directory is refused (%s)",
		   err ? cnb_error_message(err) : "accepted");
		cnb_error_free(err), err = NULL;
	}
	json_decref(cfg);
	cnb__rm_rf(tmp, NULL);
}

/* context.build/ wins over context/; the context's content is in the cache key; symlinks stay links. */
static void test_extend_plan__build_contexts(void)
{
	char tmp[] = "/tmp/cnb-test-extend-ctx-XXXXXX";
	if (!mkdtemp(tmp))
		return;
	_cleanup_free_ char *a = cnb__path_join(tmp, "ex_a"), *shared = cnb__path_join(a, "context"),
			    *kind = cnb__path_join(a, "context.build");
	mkdir(a, 0755), mkdir(shared, 0755);
	write_file(a, "build.Dockerfile", "ARG base_image\nFROM ${base_image}\nCOPY hello.txt /opt/hello.txt\n");
	write_file(shared, "hello.txt", "shared\n");
	cnb__extend_base base = { "reg/builder", "sha256:base", NULL };
	const char *const ids[] = { "ex/a", NULL };
	cnb__extend_plan p, p2;
	cnb_error *err = NULL;
	int r = cnb__extend_plan_read(&p, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
	ok(r == 0 && p.context_fd >= 0 && p.n_contexts == 1, "a COPY takes context/ (%s)", err ? cnb_error_message(err) : "");
	char *ops = r == 0 ? json_dumps(p.ops, JSON_COMPACT) : NULL;
	ok(contains(ops, "\"context\":\"" CNB_EXTEND_GUEST_CONTEXT "/0\""), "the op reads the guest's context 0 (%s)", ops);
	free(ops);
	char tar[4096] = { 0 };
	ssize_t n = p.context_fd >= 0 ? pread(p.context_fd, tar, sizeof(tar) - 1, 0) : -1;
	ok(n > 1024 && !strcmp(tar, "0") && !memcmp(tar + 512, "0/hello.txt", 11), "the context tar holds 0/ and 0/hello.txt");
	mkdir(kind, 0755);
	write_file(kind, "hello.txt", "build\n");
	r = cnb__extend_plan_read(&p2, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
	ok(r == 0 && strcmp(p.key, p2.key), "context.build/ is preferred, and its content changes the key");
	cnb__extend_plan_clear(&p2);
	write_file(kind, "hello.txt", "build, changed\n");
	r = cnb__extend_plan_read(&p2, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
	char key[sizeof(p.key)];
	memcpy(key, p2.key, sizeof(key));
	cnb__extend_plan_clear(&p2);
	r = cnb__extend_plan_read(&p2, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
	ok(r == 0 && !strcmp(key, p2.key), "the same context content is the same key");
	cnb__extend_plan_clear(&p2);
	_cleanup_free_ char *link = cnb__path_join(kind, "passwd");
	ok(symlink("/etc/passwd", link) == 0, "a symlink out of the context");
	r = cnb__extend_plan_read(&p2, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
	n = r == 0 ? pread(p2.context_fd, tar, sizeof(tar) - 1, 0) : -1;
	bool is_link = false;
	for (ssize_t off = 0; off + 512 <= n; off += 512)
		if (!strcmp(tar + off, "0/passwd"))
			is_link = tar[off + 156] == '2' && !strcmp(tar + off + 157, "/etc/passwd");
	ok(is_link, "is carried as a symlink, never followed");
	cnb__extend_plan_clear(&p2);
	/* what the VM hands back over 9p (mapped-xattr): a symlink as a file holding its target, modes in xattrs */
	write_file(kind, "mapped", "/etc/shadow");
	_cleanup_free_ char *mapped = cnb__path_join(kind, "mapped"), *hello = cnb__path_join(kind, "hello.txt");
	int mfd = open(mapped, O_RDONLY), hfd = open(hello, O_RDONLY);
	cnb__rootfs_mapped_attr lnk = { .uid = 1000, .gid = 1000, .mode = S_IFLNK | 0777 },
				reg = { .uid = 1000, .gid = 1000, .mode = S_IFREG | 04755 };
	if (cnb__rootfs_mapped_xattr_write(mfd, &lnk) == 0 && cnb__rootfs_mapped_xattr_write(hfd, &reg) == 0) {
		r = cnb__extend_plan_read(&p2, tmp, ids, CNB_EXTEND_BUILD, &base, &err);
		n = r == 0 ? pread(p2.context_fd, tar, sizeof(tar) - 1, 0) : -1;
		bool mapped_link = false, mode_ok = false;
		for (ssize_t off = 0; off + 512 <= n; off += 512) {
			if (!strcmp(tar + off, "0/mapped"))
				mapped_link = tar[off + 156] == '2' && !strcmp(tar + off + 157, "/etc/shadow");
			if (!strcmp(tar + off, "0/hello.txt"))
				mode_ok = !strncmp(tar + off + 100, "0000755", 7) && !strncmp(tar + off + 108, "0000000", 7);
		}
		ok(mapped_link && mode_ok, "mapped-xattr form: the file holding a target is a symlink, the xattr's mode "
					  "is the mode (setuid dropped), owners root");
		cnb__extend_plan_clear(&p2);
	} else {
		ok(1, "mapped-xattr form # SKIP no user xattrs on %s", tmp);
	}
	close(mfd), close(hfd);
	cnb__extend_plan_clear(&p);
	cnb__rm_rf(tmp, NULL);
	cnb_error_free(err);
}

int main(void)
{
	test_dockerfile__parses_continuations_comments_and_forms();
	test_dockerfile__refuses_what_the_spec_does_not_allow();
	test_dockerfile__bounds_hostile_input();
	test_dockerfile__expands_words_like_docker();
	test_dockerfile__evaluates_into_ops_and_config();
	test_dockerfile__eval_refuses_bad_structure();
	test_dockerfile__copy_forms();
	test_extend_plan__reads_the_generated_dir();
	test_extend_plan__build_contexts();
	return tap_done();
}
