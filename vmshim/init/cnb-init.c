/*
 * cnb-init: PID 1 of the build VM. Small and fail-fast: mount what the job needs, say "ready",
 * run the job (lib/executor/job-runner.c, shared with the host executor), report, power off.
 * Whatever goes wrong ends in a power-off: the host treats "QEMU exited without a done event"
 * as a VM error and shows the last console lines, which is where the messages below go.
 *
 * Expects from the host (lib/executor/qemu-argv.c): 9p tags cnb-rootfs and cnb-job (both read-only),
 * cnb-rw<i> for each writable job mount i, virtio-serial ports named cnb.events, cnb.output,
 * cnb.errors (the steps' stderr) and cnb.control (host -> guest), optionally a virtio-net NIC on slirp. Between loading modules and
 * mounting anything it says "booted" and waits for "go" (lib/executor/guest-protocol.h): the host may
 * snapshot the VM at that point.
 * Expects in the initramfs (vmshim/image/build-initramfs.sh): /etc/cnb/modules (module paths
 * in load order), /lib/modules/<release>/..., the guest tools in /cnb/libcnb.
 */
#include "lib/common/clock.h"
#include "lib/executor/guest-net.h"
#include "lib/executor/guest-protocol.h"
#include "lib/executor/job-runner.h"
#include "lib/executor/job.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define NINEP_OPTS "trans=virtio,version=9p2000.L,msize=524288"
#define ROOTFS_MNT "/mnt/rootfs"
#define JOB_MNT "/mnt/job"

static int event_fd = -1;

static void __attribute__((noreturn)) power_off(void)
{
	sync();
	/* Without ACPI (the minimal kernel on microvm) power-off only halts the CPU and QEMU keeps
	 * running; a reboot ends QEMU too (-no-reboot), on every machine. */
	reboot(access("/sys/firmware/acpi", F_OK) == 0 ? RB_POWER_OFF : RB_AUTOBOOT);
	for (;;) /* reboot() only returns when not PID 1: nothing more to do then */
		_exit(1);
}

static void __attribute__((noreturn, format(printf, 1, 2))) fatal(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "cnb-init: %s\n", msg);
	if (event_fd >= 0)
		cnb__executor_jobrun_report(event_fd, CNB_GUEST_EVENT_ERROR, "%s", msg);
	power_off();
}

static void mount_or_die(const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, flags, data) < 0)
		fatal("mount %s on %s: %s", type, dst, strerror(errno));
}

static void console_stdio(void)
{
	int fd = open("/dev/console", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	close(fd);
}

/* Whether the running kernel already has the filesystem (built in, or loaded). */
static bool have_filesystem(const char *name)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/filesystems", "re");
	char line[128];
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		const char *fs = strrchr(line, '\t');
		if (!strcmp(fs ? fs + 1 : line, name))
			return true;
	}
	return false;
}

/* Loads the modules listed in /etc/cnb/modules, unless the kernel has 9p built in or they were
 * built for another kernel: the minimal kernel (vmshim/image/build-kernel.sh) has every driver
 * built in and no module support, and boots with the same initramfs. */
static void load_modules(void)
{
	if (have_filesystem("9p"))
		return;
	struct utsname u;
	uname(&u);
	char dir[512];
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	if (access(dir, F_OK) < 0)
		return;
	_cleanup_fclose_ FILE *list = fopen("/etc/cnb/modules", "re");
	char line[512];
	while (list && fgets(line, sizeof(line), list)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		char path[1100];
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST))
			fatal("load module %s: %s", path, strerror(errno));
	}
}

/* virtio-serial ports get /dev/vportNpM names by probe order; their names are in sysfs. */
static int open_port(const char *name, int flags)
{
	for (int attempt = 0; attempt < 200; attempt++) {
		_cleanup_closedir_ DIR *d = opendir("/sys/class/virtio-ports");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char path[300], buf[64] = "";
			snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", e->d_name);
			_cleanup_close_ int nfd = open(path, O_RDONLY | O_CLOEXEC);
			ssize_t n = nfd >= 0 ? read(nfd, buf, sizeof(buf) - 1) : -1;
			if (n <= 0)
				continue;
			buf[strcspn(buf, "\n")] = '\0';
			if (strcmp(buf, name))
				continue;
			snprintf(path, sizeof(path), "/dev/%s", e->d_name);
			int fd = open(path, flags | O_CLOEXEC);
			if (fd >= 0)
				return fd;
		}
		usleep(10000); /* the port appears asynchronously after the driver probes */
	}
	fatal("virtio-serial port %s not found (is virtio_console loaded, and the port on the QEMU command line?)",
	      name);
}

/* Blocks until the host's "go" line arrives on the control port. A VM restored from a snapshot
 * resumes right here, so everything that must differ between VMs happens after it. */
static void wait_for_go(int control_fd, cnb__executor_guest_go *go)
{
	char line[CNB_GUEST_EVENT_MAX_LINE];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(control_fd, line + len, sizeof(line) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* no host on the other end yet: it connects before it lets us run */
			usleep(1000);
			continue;
		}
		len += (size_t)n;
		char *nl = memchr(line, '\n', len);
		if (nl && cnb__executor_guest_go_parse(line, (size_t)(nl - line), go) == 0)
			return;
		if (nl || len == sizeof(line) - 1)
			fatal("malformed start message from the host");
	}
}

/* Clones of one snapshot share their RNG state and a clock from the save: take the host's. */
static void apply_go(const cnb__executor_guest_go *go)
{
	struct timespec ts = { .tv_sec = go->time_ns / 1000000000, .tv_nsec = go->time_ns % 1000000000 };
	if (clock_settime(CLOCK_REALTIME, &ts) < 0)
		fatal("set the clock: %s", strerror(errno));
	union { /* the ioctl's struct ends in a flexible array: room for the seed after it */
		struct rand_pool_info info;
		uint8_t raw[sizeof(struct rand_pool_info) + CNB_GUEST_GO_SEED_BYTES];
	} seed = { .info = { .entropy_count = 8 * CNB_GUEST_GO_SEED_BYTES, .buf_size = CNB_GUEST_GO_SEED_BYTES } };
	memcpy(seed.info.buf, go->seed, CNB_GUEST_GO_SEED_BYTES);
	_cleanup_close_ int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, RNDADDENTROPY, &seed) < 0 || ioctl(fd, RNDRESEEDCRNG) < 0)
		fatal("seed the RNG: %s", strerror(errno));
}

/* QEMU's slirp network as seen from inside, plus a resolv.conf pointing at slirp's DNS. */
static void setup_network(bool nic, const char *root)
{
	cnb_error *err = NULL;
	if (cnb__executor_net_loopback_up(&err) < 0 || (nic && cnb__executor_net_slirp_up(&err) < 0))
		fatal("network: %s", cnb_error_message(err));
	if (!nic)
		return;
	/* The rootfs' resolv.conf may be a dangling symlink: replace it in the overlay. */
	char path[4200];
	snprintf(path, sizeof(path), "%s/etc", root);
	mkdir(path, 0755);
	_cleanup_close_ int etc = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	unlinkat(etc, "resolv.conf", 0);
	_cleanup_close_ int fd = openat(etc, "resolv.conf", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || cnb__write_all(fd, "nameserver 10.0.2.3\n", 20) < 0)
		fatal("write /etc/resolv.conf: %s", strerror(errno));
}

/* Mounts the shares of their own (writable job mounts, host directories); returns where, per mount. */
static const char **mount_writable_shares(const cnb__executor_job *job)
{
	const char **dirs = calloc(job->n_mounts + 1, sizeof(char *));
	static char paths[CNB_JOB_MAX_MOUNTS][32];
	if (!dirs)
		fatal("out of memory");
	mkdir("/mnt/rw", 0755);
	for (size_t i = 0; i < job->n_mounts && i < CNB_JOB_MAX_MOUNTS; i++) {
		if (!job->mounts[i].own_share)
			continue;
		char tag[32];
		snprintf(tag, sizeof(tag), CNB_GUEST_RW_TAG_FMT, i);
		snprintf(paths[i], sizeof(paths[i]), "/mnt/rw/%zu", i);
		mount_or_die(tag, paths[i], "9p", MS_NODEV | MS_NOSUID, NINEP_OPTS);
		dirs[i] = paths[i];
	}
	return dirs;
}

int main(void)
{
	uint64_t t0 = cnb__monotonic_ms();
	mount_or_die("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	console_stdio();
	mount_or_die("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_or_die("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_or_die("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	load_modules();
	event_fd = open_port("cnb.events", O_WRONLY);
	int output_fd = open_port("cnb.output", O_WRONLY);
	int error_fd = open_port("cnb.errors", O_WRONLY);
	int control_fd = open_port("cnb.control", O_RDONLY);
	cnb__executor_guest_event booted = { .type = CNB_GUEST_EVENT_BOOTED };
	cnb__executor_guest_event_write(event_fd, &booted);
	cnb__executor_guest_go go;
	wait_for_go(control_fd, &go);
	apply_go(&go);
	t0 = cnb__monotonic_ms(); /* "ready" counts from here: the boot before it may be a snapshot's */
	mkdir("/mnt", 0755);
	mount_or_die("cnb-rootfs", ROOTFS_MNT, "9p", MS_RDONLY | MS_NODEV, NINEP_OPTS);
	mount_or_die("cnb-job", JOB_MNT, "9p", MS_RDONLY | MS_NODEV | MS_NOSUID, NINEP_OPTS);
	cnb__executor_guest_event ready = { .type = CNB_GUEST_EVENT_READY, .ms = cnb__monotonic_ms() - t0 };
	cnb__executor_guest_event_write(event_fd, &ready);

	cnb_error *err = NULL;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	cnb__executor_job *job = NULL;
	if (cnb__read_file(JOB_MNT "/" CNB_JOB_FILE, CNB_JOB_MAX_BYTES, &data, &len, &err) < 0 ||
	    cnb__executor_job_from_json(data, len, &job, &err) < 0)
		fatal("read the job: %s", cnb_error_message(err));
	mkdir("/run/cnb", 0755);
	_cleanup_free_ const char **rw_dirs = mount_writable_shares(job);
	cnb__executor_jobrun_env env = { .lower = ROOTFS_MNT, .job_dir = JOB_MNT, .tools_dir = "/cnb/libcnb",
				.scratch = "/run/cnb", .mount_dirs = rw_dirs, .output_fd = output_fd,
				.error_fd = error_fd,
				.event_fd = event_fd };
	_cleanup_free_ char *root = NULL;
	if (cnb__executor_jobrun_setup(job, &env, &root, &err) < 0)
		fatal("set up the job: %s", cnb_error_message(err));
	setup_network(job->network, root);
	cnb__executor_jobrun_steps(job, root, &env);
	cnb__executor_guest_event done = { .type = CNB_GUEST_EVENT_DONE };
	cnb__executor_guest_event_write(event_fd, &done);
	power_off();
}
