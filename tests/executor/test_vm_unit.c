/* Unit tests of lib/executor without a VM: the job's JSON form, the guest event parser (untrusted input),
 * job validation and the QEMU command line. */
#include "lib/executor/guest-protocol.h"
#include "lib/executor/host-idmap.h"
#include "lib/executor/job.h"
#include "lib/executor/qemu-argv.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "tests/lib/tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_vm_job__json_round_trip(void)
{
	char *argv[] = { "/bin/sh", "-c", "echo \"quoted\"\n", NULL }, *env[] = { "A=1", NULL };
	cnb__executor_job_mount mounts[] = { { "ws", "/workspace", false }, { NULL, "/layers", true },
				    { .source = NULL, .target = "/app", .seed = "app.tar" } };
	cnb__executor_job_step steps[] = { { "build", argv, env, "/workspace", 1000, 1001, 30 } };
	cnb__executor_job job = { .mounts = mounts, .n_mounts = 3, .steps = steps, .n_steps = 1, .network = true, .hostname = "h" };
	_cleanup_free_ char *json = NULL;
	cnb_error *err = NULL;
	is_int(cnb__executor_job_to_json(&job, &json, &err), 0, "serialise");
	cnb__executor_job *back = NULL;
	is_int(cnb__executor_job_from_json(json, strlen(json), &back, &err), 0, "parse back");
	if (back) {
		is_str(back->steps[0].argv[2], "echo \"quoted\"\n", "argv survives quoting");
		is_int(back->steps[0].gid, 1001, "gid");
		is_int(back->steps[0].timeout_s, 30, "timeout");
		ok(back->mounts[1].source == NULL && back->mounts[1].read_only && !back->mounts[1].seed,
		   "tmpfs mount, read-only");
		ok(back->mounts[2].source == NULL && back->mounts[2].seed && !strcmp(back->mounts[2].seed, "app.tar"),
		   "seeded mount keeps its tar");
		ok(back->network, "network");
	}
	cnb__executor_job_free(back);
	cnb_error_free(err);
}

static void test_vm_job__rejects_escapes(void)
{
	char *argv[] = { "true", NULL };
	cnb__executor_job_step steps[] = { { "s", argv, NULL, NULL, 0, 0, 0 } };
	cnb__executor_job_mount bad_src[] = { { "a/../../etc", "/x", false } }, bad_dst[] = { { "a", "relative", false } };
	cnb__executor_job job = { .mounts = bad_src, .n_mounts = 1, .steps = steps, .n_steps = 1 };
	cnb_error *err = NULL;
	is_int(cnb__executor_job_validate(&job, &err), CNB_EINVAL, "source with .. refused");
	cnb__error_clear(&err);
	job.mounts = bad_dst;
	is_int(cnb__executor_job_validate(&job, &err), CNB_EINVAL, "relative target refused");
	cnb__error_clear(&err);
	cnb__executor_job_mount bad_seeds[][1] = { { { .target = "/w", .seed = "../x.tar" } },
					  { { .target = "/w", .seed = "/x.tar" } },
					  { { .source = "src", .target = "/w", .seed = "x.tar" } },
					  { { .target = "/w", .seed = "" } } };
	for (size_t i = 0; i < 4; i++) {
		job.mounts = bad_seeds[i];
		is_int(cnb__executor_job_validate(&job, &err), CNB_EINVAL, "seed %zu refused: %s", i, cnb_error_message(err));
		cnb__error_clear(&err);
	}
	const char *truncated = "{\"version\":1,\"mounts\":[],\"steps\":[{\"name\":\"x\"}]}";
	cnb__executor_job *j = NULL;
	is_int(cnb__executor_job_from_json(truncated, strlen(truncated), &j, &err), CNB_EPARSE, "step without argv refused");
	cnb__error_clear(&err);
	/* Entries after a non-string used to leak (found by fuzz_job under LeakSanitizer). */
	const char *mixed = "{\"hostname\":\"h\",\"mounts\":[],\"steps\":[{\"name\":\"s\",\"argv\":[\"a\",1,\"b\"],"
			    "\"env\":[\"X=1\",null,\"Y=2\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0}]}";
	is_int(cnb__executor_job_from_json(mixed, strlen(mixed), &j, &err), CNB_EPARSE, "argv with a non-string refused");
	ok(j == NULL, "no job returned");
	cnb__error_clear(&err);
}

static void test_vm_guest_protocol__parses_bounded(void)
{
	int p[2];
	ok(pipe(p) == 0, "pipe");
	cnb__executor_guest_event ev = { .type = CNB_GUEST_EVENT_STEP_END, .step = 2, .exit_code = 137, .timed_out = true,
				.no_space = true, .ms = 5 };
	cnb__executor_guest_event_write(p[1], &ev);
	char line[CNB_GUEST_EVENT_MAX_LINE];
	ssize_t n = read(p[0], line, sizeof(line));
	ok(n > 0 && line[n - 1] == '\n', "one line written");
	cnb__executor_guest_event back;
	is_int(cnb__executor_guest_event_parse(line, (size_t)n - 1, &back), 0, "parses");
	ok(back.type == CNB_GUEST_EVENT_STEP_END && back.step == 2 && back.exit_code == 137 && back.timed_out &&
	   back.no_space,
	   "fields survive");
	static const char *const bad[] = {
		"", "nope", "{\"event\":\"step_end\",\"step\":0}", "{\"event\":\"step_end\",\"step\":-1,\"exit_code\":0,\"timed_out\":false,\"ms\":0}",
		"{\"event\":\"step_end\",\"step\":0,\"exit_code\":99999,\"timed_out\":false,\"ms\":0}",
		"{\"event\":\"reboot\"}", "{\"event\":\"ready\",\"ms\":1,\"ms\":2}", "[1,2]",
	};
	for (size_t i = 0; i < CNB_ARRAY_SIZE(bad); i++)
		is_int(cnb__executor_guest_event_parse(bad[i], strlen(bad[i]), &back), -1, "refused: %s", bad[i]);
	close(p[0]);
	close(p[1]);
}

/* A message longer than the event's buffer is cut on a character boundary, so what the host
 * parsed can be written again (found by fuzz_guest_event: it used to lose the message). */
static void test_vm_guest_protocol__cuts_long_utf8_messages(void)
{
	char line[CNB_GUEST_EVENT_MAX_LINE];
	int len = snprintf(line, sizeof(line), "{\"event\":\"log\",\"message\":\"");
	for (int i = 0; i < 1100; i++)
		len += snprintf(line + len, sizeof(line) - (size_t)len, "\xc3\xa9");
	len += snprintf(line + len, sizeof(line) - (size_t)len, "\"}");
	cnb__executor_guest_event ev;
	is_int(cnb__executor_guest_event_parse(line, (size_t)len, &ev), 0, "long UTF-8 message parses");
	is_int(strlen(ev.message), 1022, "cut before the character that does not fit");
	int p[2];
	ok(pipe(p) == 0, "pipe");
	is_int(cnb__executor_guest_event_write(p[1], &ev), 0, "written again");
	ssize_t n = read(p[0], line, sizeof(line));
	cnb__executor_guest_event back;
	is_int(n > 0 ? cnb__executor_guest_event_parse(line, (size_t)n - 1, &back) : -1, 0, "the written line parses");
	is_str(back.message, ev.message, "message survives");
	memset(ev.message, 1, sizeof(ev.message) - 1); /* each \u0001 in the line: over the limit */
	memcpy(ev.message + CNB_GUEST_EVENT_MAX_LINE / 8 - 1, "\xc3\xa9", 2);
	ev.message[sizeof(ev.message) - 1] = '\0';
	char big[CNB_GUEST_EVENT_MAX_LINE * 8];
	is_int(cnb__executor_guest_event_write(p[1], &ev), 0, "over-long escaped message written");
	n = read(p[0], big, sizeof(big));
	is_int(n > 0 ? cnb__executor_guest_event_parse(big, (size_t)n - 1, &back) : -1, 0, "cut line parses");
	is_int(strlen(back.message), CNB_GUEST_EVENT_MAX_LINE / 8 - 1, "cut before the split character");
	close(p[0]);
	close(p[1]);
}

static void test_vm_qemu_argv__escapes_and_devices(void)
{
	cnb__executor_qemu_config c = { .accel = CNB_ACCEL_TCG, .kernel = "/k", .initrd = "/i", .rootfs = "/r,oot",
			       .job_dir = "/job", .network = false, .console_fd = 3, .event_fd = 4, .output_fd = 5 };
	char **argv = NULL;
	is_int(cnb__executor_qemu_argv(&c, &argv, NULL), 0, "argv built");
	bool rootfs_escaped = false, has_net = false, ro = false, nodefaults = false;
	for (size_t i = 0; argv && argv[i]; i++) {
		rootfs_escaped |= strstr(argv[i], "path=/r,,oot,security_model=mapped-xattr") != NULL;
		ro |= strstr(argv[i], "readonly=on") != NULL;
		has_net |= strstr(argv[i], "netdev") != NULL;
		nodefaults |= !strcmp(argv[i], "-nodefaults");
	}
	ok(rootfs_escaped, "comma in a path is doubled, mapped-xattr");
	ok(ro && nodefaults, "rootfs read-only, no default devices");
	ok(!has_net, "no NIC with network off");
	cnb__executor_qemu_argv_free(argv);
}

static bool argv_has(char **argv, const char *s)
{
	for (size_t i = 0; argv && argv[i]; i++)
		if (!strcmp(argv[i], s))
			return true;
	return false;
}

static void test_vm_qemu_argv__arm64_guest(void)
{
	cnb__executor_qemu_config c = { .accel = CNB_ACCEL_TCG, .arch = CNB_VM_ARCH_ARM64, .kernel = "/k", .initrd = "/i",
			       .rootfs = "/r", .job_dir = "/job", .console_fd = 3, .event_fd = 4, .output_fd = 5 };
	char **argv = NULL;
	unsetenv("CNB_QEMU_ARM64");
	is_int(cnb__executor_qemu_argv(&c, &argv, NULL), 0, "arm64: argv built");
	is_str(argv ? argv[0] : NULL, "qemu-system-aarch64", "arm64: the aarch64 system emulator");
	ok(argv_has(argv, "virt") && argv_has(argv, "cortex-a72") && !argv_has(argv, "max"),
	   "arm64 under TCG: -machine virt, -cpu cortex-a72 (not the slow max)");
	bool console = false;
	for (size_t i = 0; argv && argv[i]; i++)
		console |= !strncmp(argv[i], "console=ttyAMA0 ", 16);
	ok(console, "arm64: the PL011 console");
	ok(!argv_has(argv, "vmgenid,guid=auto"), "arm64: no vmgenid (an x86 ACPI device)");
	cnb__executor_qemu_argv_free(argv);
	c.accel = CNB_ACCEL_KVM;
	is_int(cnb__executor_qemu_argv(&c, &argv, NULL), 0, "arm64 under KVM: argv built");
	ok(argv_has(argv, "host") && !argv_has(argv, "cortex-a72"), "arm64 under KVM (an arm64 host): -cpu host");
	cnb__executor_qemu_argv_free(argv);
	cnb__vm_arch a;
	cnb_error *e = NULL;
	ok(cnb__executor_vm_arch_parse("arm64", &a, NULL) == 0 && a == CNB_VM_ARCH_ARM64, "arch: arm64 parses");
	ok(cnb__executor_vm_arch_parse(NULL, &a, NULL) == 0 && a == cnb__executor_vm_arch_host(), "arch: none is the host's");
	is_int(cnb__executor_vm_arch_parse("riscv64", &a, &e), CNB_EUNSUPPORTED, "arch: riscv64 is refused");
	ok(e && strstr(cnb_error_message(e), "riscv64 is not supported: use amd64 or arm64"), "arch: the error names it");
	cnb_error_free(e);
}

static void test_vm_qemu_argv__restore_replaces_the_kernel(void)
{
	cnb__executor_qemu_config c = { .accel = CNB_ACCEL_TCG, .kernel = "/k", .initrd = "/i", .rootfs = "/r", .job_dir = "/job",
			       .console_fd = 3, .event_fd = 4, .output_fd = 5, .qmp_fd = 6, .control_fd = 7,
			       .incoming_fd = 8 };
	char **cold = NULL, **warm = NULL;
	cnb__executor_qemu_argv(&c, &cold, NULL);
	c.restore = true;
	cnb__executor_qemu_argv(&c, &warm, NULL);
	ok(argv_has(cold, "-kernel") && argv_has(cold, "-append") && !argv_has(cold, "-incoming"), "cold boot: kernel");
	ok(argv_has(warm, "-incoming") && argv_has(warm, "fd:8") && !argv_has(warm, "-kernel") &&
		   !argv_has(warm, "-initrd") && !argv_has(warm, "-append"),
	   "restore: -incoming fd:8 and no kernel, initrd or command line");
	ok(argv_has(cold, "vmgenid,guid=auto") && argv_has(warm, "vmgenid,guid=auto"),
	   "pc: a vmgenid device on both (same device list)");
	ok(argv_has(warm, "socket,id=control,fd=7") && argv_has(warm, "socket,id=qmp,fd=6") &&
		   argv_has(warm, "migration.store-global-state=off"),
	   "control and QMP sockets; restored VMs run without a 'cont'");
	is_int(cnb__executor_qemu_cpus(3, CNB_ACCEL_TCG), 3, "an explicit vCPU count is kept");
	is_int(cnb__executor_qemu_cpus(0, CNB_ACCEL_TCG), 1, "default vCPUs under TCG: one (a second translating thread costs more than it gives)");
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	is_int(cnb__executor_qemu_cpus(0, CNB_ACCEL_KVM), online > 8 ? 8 : online, "default vCPUs with KVM: the host's, at most 8");
	cnb__executor_qemu_argv_free(cold);
	cnb__executor_qemu_argv_free(warm);
}

static void test_vm_guest_go__round_trip_and_rejects(void)
{
	int p[2];
	ok(pipe(p) == 0, "pipe");
	cnb__executor_guest_go go = { .time_ns = 1764750000123456789LL }, back;
	for (size_t i = 0; i < sizeof(go.seed); i++)
		go.seed[i] = (uint8_t)(i * 37 + 1);
	is_int(cnb__executor_guest_go_write(p[1], &go), 0, "go written");
	char line[256];
	ssize_t n = read(p[0], line, sizeof(line));
	ok(n > 1 && line[n - 1] == '\n', "one line");
	is_int(cnb__executor_guest_go_parse(line, (size_t)n - 1, &back), 0, "go parses");
	ok(back.time_ns == go.time_ns && !memcmp(back.seed, go.seed, sizeof(go.seed)), "time and seed survive");
	static const char *const bad[] = {
		"{\"go\":2,\"time_ns\":1,\"seed\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"go\":1,\"time_ns\":-1,\"seed\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"go\":1,\"time_ns\":1,\"seed\":\"00\"}",
		"{\"go\":1,\"time_ns\":1,\"seed\":\"zz00000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"go\":1,\"go\":1,\"time_ns\":1,\"seed\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"not json",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(cnb__executor_guest_go_parse(bad[i], strlen(bad[i]), &back), -1, "go rejected: %.40s", bad[i]);
	close(p[0]);
	close(p[1]);
}

/* What the guest may only read is read-only in QEMU itself: root in the guest cannot write it. */
static void test_vm_qemu_argv__job_share_read_only(void)
{
	cnb__executor_job_mount mounts[] = { { "workspace", "/workspace", false }, { "cache", "/cache", true },
				    { NULL, "/tmpfs", false }, { "out", "/out", false },
				    { .source = NULL, .target = "/layers", .seed = "layers.tar" } };
	cnb__executor_qemu_config c = { .accel = CNB_ACCEL_TCG, .kernel = "/k", .initrd = "/i", .rootfs = "/r", .job_dir = "/j",
			       .mounts = mounts, .n_mounts = 5, .console_fd = 3, .event_fd = 4, .output_fd = 5 };
	char **argv = NULL;
	is_int(cnb__executor_qemu_argv(&c, &argv, NULL), 0, "argv built");
	size_t shares = 0;
	bool job_ro = false, ws_rw = false, out_rw = false, cache_own = false, seeded_own = false;
	for (size_t i = 0; argv && argv[i]; i++) {
		shares += !strcmp(argv[i], "-fsdev");
		job_ro |= strstr(argv[i], "id=job,path=/j,security_model=mapped-xattr,readonly=on") != NULL;
		ws_rw |= !strcmp(argv[i], "local,id=rw0,path=/j/workspace,security_model=mapped-xattr");
		out_rw |= !strcmp(argv[i], "local,id=rw3,path=/j/out,security_model=mapped-xattr");
		cache_own |= strstr(argv[i], "/j/cache") != NULL;
		seeded_own |= strstr(argv[i], "id=rw4") != NULL;
	}
	ok(job_ro, "the job dir is shared read-only");
	ok(ws_rw && out_rw, "each writable mount has a share of its own");
	ok(!cache_own && !seeded_own && shares == 4,
	   "read-only, tmpfs and seeded (guest-local) mounts get no share (rootfs, job, 2 writable: %zu)", shares);
	cnb__executor_qemu_argv_free(argv);
}

/* The host executor's id range: a "cnb" line of /etc/subuid and /etc/subgid wins; without one the
 * default, unless someone else holds part of it; step ids past the range are refused. */
static void test_host_idmap__range_from_subid_files(void)
{
	char dir[] = "/tmp/cnb-idmap-XXXXXX";
	if (!ok(mkdtemp(dir) != NULL, "idmap: temp dir"))
		return;
	char uid_file[64], gid_file[64], missing[64];
	snprintf(uid_file, sizeof(uid_file), "%s/subuid", dir);
	snprintf(gid_file, sizeof(gid_file), "%s/subgid", dir);
	snprintf(missing, sizeof(missing), "%s/none", dir);
	cnb__executor_idmap m = { 0, 0 };
	cnb_error *err = NULL;
	int rc = cnb__executor_idmap_get(&m, missing, missing, &err);
	ok(rc == 0 && m.uid_base == CNB_HOST_ID_BASE &&
		   m.gid_base == CNB_HOST_ID_BASE,
	   "idmap: no subordinate id files: the default range");
	FILE *f = fopen(uid_file, "w");
	fputs("# comment\nalice:100000:65536\ncnb:5000:100\ncnb:300000:65536\n", f ? f : stderr);
	if (f)
		fclose(f);
	f = fopen(gid_file, "w");
	fputs("cnb:400000:70000\n", f ? f : stderr);
	if (f)
		fclose(f);
	rc = cnb__executor_idmap_get(&m, uid_file, gid_file, &err);
	ok(rc == 0 && m.uid_base == 300000 && m.gid_base == 400000,
	   "idmap: the first range of 65536 ids given to cnb (uid base %u, gid base %u)", m.uid_base, m.gid_base);
	f = fopen(uid_file, "w");
	fputs("alice:2113900000:100000\n", f ? f : stderr);
	if (f)
		fclose(f);
	rc = cnb__executor_idmap_get(&m, uid_file, gid_file, &err);
	ok(rc == CNB_EINVAL && err && strstr(cnb_error_message(err), "gives alice ids within") &&
		   strstr(cnb_error_message(err), "cnb:START:65536"),
	   "idmap: the default range held by another account is refused, saying what to add (%s)",
	   err ? cnb_error_message(err) : "no error");
	cnb_error_free(err);
	err = NULL;
	uint32_t hu = 0, hg = 0;
	m = (cnb__executor_idmap){ 300000, 400000 };
	rc = cnb__executor_idmap_to_host(&m, 1000, 1001, &hu, &hg, NULL);
	ok(rc == 0 && hu == 301000 && hg == 401001,
	   "idmap: step 1000:1001 is host %u:%u", hu, hg);
	rc = cnb__executor_idmap_to_host(&m, 65536, 0, &hu, &hg, &err);
	ok(rc == CNB_EINVAL && err &&
		   strstr(cnb_error_message(err), "maps ids 0..65535"),
	   "idmap: a step uid past the range is refused (%s)", err ? cnb_error_message(err) : "no error");
	cnb_error_free(err);
	err = NULL;
	f = fopen(uid_file, "w");
	fputs("0\n", f ? f : stderr);
	if (f)
		fclose(f);
	rc = cnb__executor_idmap_check_kernel(uid_file, &err);
	ok(rc == CNB_EUNSUPPORTED && err && strstr(cnb_error_message(err), "sysctl -w user.max_user_namespaces"),
	   "idmap: user namespaces disabled: says what to enable (%s)", err ? cnb_error_message(err) : "no error");
	cnb_error_free(err);
	err = NULL;
	rc = cnb__executor_idmap_check_kernel(missing, &err);
	ok(rc == CNB_EUNSUPPORTED && err && strstr(cnb_error_message(err), "CONFIG_USER_NS"),
	   "idmap: no user namespaces in the kernel: says so (%s)", err ? cnb_error_message(err) : "no error");
	cnb_error_free(err);
	ok(cnb__executor_idmap_check_kernel(NULL, NULL) == 0, "idmap: this kernel has user namespaces");
	unlink(uid_file);
	unlink(gid_file);
	rmdir(dir);
}

int main(void)
{
	test_host_idmap__range_from_subid_files();
	test_vm_job__json_round_trip();
	test_vm_qemu_argv__restore_replaces_the_kernel();
	test_vm_qemu_argv__arm64_guest();
	test_vm_guest_go__round_trip_and_rejects();
	test_vm_job__rejects_escapes();
	test_vm_guest_protocol__parses_bounded();
	test_vm_guest_protocol__cuts_long_utf8_messages();
	test_vm_qemu_argv__escapes_and_devices();
	test_vm_qemu_argv__job_share_read_only();
	return tap_done();
}
