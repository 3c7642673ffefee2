/* Accelerator choice. KVM is not dependable on every host: a stock Debian kernel can hang forever
 * under it (nested virtualisation without the right CPU features), and some hosts make QEMU abort
 * at start ("failed to set MSR 0x10a", exit 134). vm-run.c watches the boot and falls back to
 * TCG; this file remembers that verdict per kernel image and host kernel in the cache dir, so
 * later runs go straight to TCG without the wait or the warning. */
#include "accel.h"
#include "../api/ctx-internal.h"
#include "../common/cleanup.h"
#include "../common/fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *const names[] = { [CNB_ACCEL_KVM] = "kvm", [CNB_ACCEL_HVF] = "hvf", [CNB_ACCEL_TCG] = "tcg" };

const char *cnb__executor_accel_name(cnb__accel a)
{
	return names[a];
}

unsigned cnb__executor_accel_ready_timeout_ms(cnb__accel a)
{
	/* Accelerated, the guest is ready in well under a second; TCG on a loaded 2-core host in ~3 s. */
	return a == CNB_ACCEL_TCG ? 120000 : 8000;
}

/* "<accel> <kernel path> <kernel mtime> <host kernel release>": a host kernel update or a new
 * image retries the accelerator. */
static char *verdict_key(const char *kernel, cnb__accel a)
{
	struct stat st;
	struct utsname u;
	char *key = NULL;
	if (stat(kernel, &st) < 0 || uname(&u) < 0)
		return NULL;
	return asprintf(&key, "%s %s %lld %s\n", names[a], kernel, (long long)st.st_mtime, u.release) < 0 ? NULL : key;
}

static char *verdict_file(const cnb_ctx *ctx)
{
	const char *cache = ctx ? cnb_ctx_cache_dir(ctx) : NULL;
	return cache ? cnb__path_join(cache, "vm/accel-failed") : NULL;
}

static bool known_to_fail(const cnb_ctx *ctx, const char *kernel, cnb__accel a)
{
	_cleanup_free_ char *file = verdict_file(ctx), *key = verdict_key(kernel, a), *data = NULL;
	size_t len = 0;
	if (!file || !key || cnb__read_file(file, 1 << 16, &data, &len, NULL) < 0)
		return false;
	return strstr(data, key) != NULL;
}

void cnb__executor_accel_remember_failure(const cnb_ctx *ctx, const char *kernel, cnb__accel a)
{
	_cleanup_free_ char *file = verdict_file(ctx), *key = verdict_key(kernel, a);
	_cleanup_free_ char *dir = file ? strdup(file) : NULL;
	if (!key || !dir || known_to_fail(ctx, kernel, a))
		return;
	*strrchr(dir, '/') = '\0';
	if (cnb__mkdir_p(dir, 0755, NULL) < 0)
		return;
	_cleanup_close_ int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd >= 0)
		cnb__write_all(fd, key, strlen(key));
}

int cnb__executor_accel_choose(const cnb_ctx *ctx, const char *kernel, cnb__accel *out)
{
	const char *env = getenv("CNB_VM_ACCEL");
	if (env && *env) {
		for (size_t i = 0; i < CNB_ARRAY_SIZE(names); i++)
			if (!strcmp(env, names[i])) {
				*out = (cnb__accel)i;
				return 0;
			}
		return -1;
	}
#ifdef __APPLE__
	*out = CNB_ACCEL_HVF;
#else
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	*out = fd >= 0 ? CNB_ACCEL_KVM : CNB_ACCEL_TCG;
	if (fd >= 0)
		close(fd);
	if (*out == CNB_ACCEL_KVM && known_to_fail(ctx, kernel, CNB_ACCEL_KVM)) {
		cnb__api_log(ctx, CNB_LOG_DEBUG, "KVM failed with %s before: using TCG (CNB_VM_ACCEL=kvm retries)", kernel);
		*out = CNB_ACCEL_TCG;
	}
#endif
	return 0;
}
