/*
 * What the lifecycle job hands back for the extend steps (cnb__platform_build_extend_handed_back): the
 * generated dir under out/ and the group's extension ids in group.toml order; out/ is the guest's,
 * so a symlink in place of the generated dir is refused, never followed.
 */
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/strv.h"
#include "lib/platform/build-extend.h"
#include "tests/lib/tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_text(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *path = cnb__path_join(dir, name);
	FILE *f = path ? fopen(path, "w") : NULL;
	if (!f || fputs(text, f) < 0)
		printf("# cannot write %s\n", name);
	if (f)
		fclose(f);
}

static const char group[] = "[[group]]\n  id = \"bp\"\n  version = \"1\"\n  api = \"0.10\"\n"
			    "[[group-extensions]]\n  id = \"z/last-sorted\"\n  version = \"1\"\n  api = \"0.10\"\n"
			    "[[group-extensions]]\n  id = \"a/first-sorted\"\n  version = \"1\"\n  api = \"0.10\"\n";

int main(void)
{
	char base[] = "/tmp/cnb-handback-XXXXXX";
	if (!mkdtemp(base))
		return 1;
	_cleanup_free_ char *out = cnb__path_join(base, "out"), *gen = cnb__path_join(base, "out/generated");
	mkdir(out, 0755);
	char *generated = NULL, **ids = NULL;
	cnb_error *err = NULL;

	int r = cnb__platform_build_extend_handed_back(out, &generated, &ids, &err);
	ok(r == 0 && !generated && !ids, "no generated dir: nothing to extend (%s)", err ? cnb_error_message(err) : "ok");

	mkdir(gen, 0755);
	write_text(out, "group.toml", group);
	r = cnb__platform_build_extend_handed_back(out, &generated, &ids, &err);
	ok(r == 0 && generated && !strcmp(generated, gen), "the generated dir under out/ is found");
	ok(ids && ids[0] && ids[1] && !ids[2] && !strcmp(ids[0], "z/last-sorted") && !strcmp(ids[1], "a/first-sorted"),
	   "the extension ids come in group.toml order, not sorted");
	free(generated);
	cnb__strv_free(ids);
	generated = NULL, ids = NULL;

	write_text(out, "group.toml", "[[group-extensions]]\n  version = \"1\"\n");
	r = cnb__platform_build_extend_handed_back(out, &generated, &ids, &err);
	ok(r < 0 && err && strstr(cnb_error_message(err), "group.toml") && !generated && !ids,
	   "a bad group.toml fails, naming it: %s", err ? cnb_error_message(err) : "no error");
	cnb_error_free(err), err = NULL;

	rmdir(gen);
	if (symlink("/etc", gen) < 0)
		printf("# symlink failed\n");
	write_text(out, "group.toml", group);
	r = cnb__platform_build_extend_handed_back(out, &generated, &ids, &err);
	ok(r < 0 && err && strstr(cnb_error_message(err), "symlink") && !generated,
	   "a symlink in place of the generated dir is refused: %s", err ? cnb_error_message(err) : "no error");
	cnb_error_free(err), err = NULL;

	cnb__rm_rf(base, NULL);
	return tap_done();
}
