/*
 * libFuzzer target for registry credentials: docker's config.json and $CNB_REGISTRY_AUTH.
 * Input: one selector byte (which registry is looked up, and whether the rest is the
 * CNB_REGISTRY_AUTH value or the config.json file), then the document.
 * PATH points at an empty directory: no credential helper the document names can run (a name
 * with a '/' would need a "docker-credential-*" directory in the working directory), so a helper
 * lookup fails at spawn time, cleanly. (No chdir: libFuzzer reads the corpus by relative path.)
 */
#include "fuzz-util.h"
#include "lib/common/error-internal.h"
#include "oci/docker-config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const registries[] = { "docker.io", "127.0.0.1:5000", "ghcr.io", "index.docker.io",
					  "registry-1.docker.io", "localhost", "example.com:443", "a" };
static char config_file[256];

static void setup(void)
{
	char tmpl[] = "/tmp/cnb-fuzz-docker-config-XXXXXX";
	if (!mkdtemp(tmpl))
		abort();
	char empty[300];
	snprintf(empty, sizeof(empty), "%s/empty", tmpl);
	snprintf(config_file, sizeof(config_file), "%s/config.json", tmpl);
	if (mkdir(empty, 0700) < 0)
		abort();
	setenv("PATH", empty, 1);
	setenv("DOCKER_CONFIG", tmpl, 1);
	unsetenv("HOME");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 1)
		return 0;
	const char *registry = registries[data[0] & 7];
	bool via_env = data[0] & 0x80;
	unlink(config_file);
	unsetenv("CNB_REGISTRY_AUTH");
	if (via_env) {
		char *s = fuzz_cstr(data + 1, size - 1);
		setenv("CNB_REGISTRY_AUTH", s, 1);
		free(s);
	} else {
		int fd = open(config_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		FUZZ_CHECK(fd >= 0 && write(fd, data + 1, size - 1) == (ssize_t)(size - 1));
		close(fd);
	}
	cnb__oci_creds c;
	cnb_error *err = NULL;
	if (cnb__oci_creds_lookup(&c, registry, &err) == 0) {
		FUZZ_CHECK(!err);
		FUZZ_CHECK(!c.username == !c.password);
		FUZZ_CHECK(!(c.authorization && c.username));
		cnb__oci_creds_clear(&c);
	} else {
		FUZZ_CHECK(err && !c.username && !c.password && !c.authorization);
		cnb_error_free(err);
	}
	return 0;
}
