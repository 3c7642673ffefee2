/* Builds QEMU's argv. Every device is explicit (-nodefaults -no-user-config): what the guest sees
 * does not depend on QEMU's defaults or the user's config files. */
#include "qemu-argv.h"
#include "job-runner.h"
#include "../common/buf.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"
#include "../common/strv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct argv_builder {
	cnb__strv_list list;
	bool oom;
} argv_builder;

static void __attribute__((format(printf, 2, 3))) add(argv_builder *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	char *arg;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&arg, fmt, ap) < 0 || cnb__strv_push_take(&b->list, arg) < 0)
		b->oom = true;
	va_end(ap);
}

/* QEMU option values escape ',' as ",,". */
static char *qemu_escape(const char *s)
{
	_cleanup_buf_ cnb__buf b = CNB_BUF_INIT;
	for (; *s; s++)
		if (cnb__buf_append(&b, s, 1) < 0 || (*s == ',' && cnb__buf_append(&b, ",", 1) < 0))
			return NULL;
	return cnb__buf_steal(&b);
}

/* A 9p share of the host directory `path` (QEMU-escaped), mounted by the guest by `tag`. */
static void add_share(argv_builder *b, const char *bus, const char *id, const char *path, bool as_is, bool read_only,
		      const char *tag)
{
	add(b, "-fsdev");
	add(b, "local,id=%s,path=%s,security_model=%s%s", id, path, as_is ? "none" : "mapped-xattr",
	    read_only ? ",readonly=on" : "");
	add(b, "-device");
	add(b, "virtio-9p-%s,fsdev=%s,mount_tag=%s", bus, id, tag);
}

unsigned cnb__executor_qemu_cpus(unsigned requested, cnb__accel accel)
{
	/* Under TCG a second vCPU is a second translating thread (MTTCG), and it costs more than it
	 * gives: on a 2-core host, one cold run of a 2.3 MB Go binary took 150-350 ms of QEMU CPU time
	 * with one vCPU and 400-1500 ms with two (also pinned to one guest CPU; not with two vCPUs
	 * round-robin on one thread), and a build of four Go buildpacks took twice as long in detect
	 * (parallel) and in build (tests/bench/bench-go-buildpacks.sh). With KVM or HVF a vCPU is
	 * the host's own: use the host's cores, up to where guest bookkeeping costs more. */
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	if (requested)
		return requested;
	if (accel == CNB_ACCEL_TCG)
		return 1;
	return online < 1 ? 1 : online > 8 ? 8 : (unsigned)online;
}

const char *cnb__executor_qemu_binary(cnb__vm_arch arch)
{
	const cnb__executor_qemu_arch *a = cnb__executor_qemu_arch_get(arch);
	const char *q = getenv(a->qemu_env);
	return q && *q ? q : a->qemu;
}

int cnb__executor_qemu_argv(const cnb__executor_qemu_config *c, char ***out, cnb_error **err)
{
	argv_builder b = { 0 };
	char *rootfs = qemu_escape(c->rootfs), *job = qemu_escape(c->job_dir);
	char *kernel = qemu_escape(c->kernel), *initrd = qemu_escape(c->initrd);
	/* virtio-mmio on microvm, virtio-pci on pc: same devices, different transport names */
	const char *bus = c->microvm ? "device" : "pci";
	const cnb__executor_qemu_arch *arch = cnb__executor_qemu_arch_get(c->arch);
	add(&b, "%s", cnb__executor_qemu_binary(c->arch));
	add(&b, "-nodefaults");
	add(&b, "-no-user-config");
	add(&b, "-nographic");
	add(&b, "-no-reboot"); /* guest reboot/panic (panic=-1) ends QEMU */
	add(&b, "-machine");
	/* microvm: acpi=off makes QEMU list the virtio-mmio devices on the kernel command line (the
	 * minimal kernel has no ACPI) and the IOAPIC in an MP table; the kernel needs the PIT and the
	 * PIC to route the legacy timer IRQ and calibrate the TSC, or it hangs; without the RTC it waits
	 * 1 s for the clock to answer. */
	add(&b, "%s", c->microvm ? "microvm,acpi=off,pit=on,pic=on,rtc=on,isa-serial=on" : arch->machine);
	add(&b, "-accel");
	add(&b, "%s", cnb__executor_accel_name(c->accel));
	if (c->accel != CNB_ACCEL_TCG || arch->tcg_cpu) {
		add(&b, "-cpu");
		add(&b, "%s", c->accel != CNB_ACCEL_TCG ? "host" : arch->tcg_cpu);
	}
	add(&b, "-m");
	add(&b, "%u", c->memory_mb ? c->memory_mb : 512);
	add(&b, "-smp");
	add(&b, "%u", cnb__executor_qemu_cpus(c->cpus, c->accel));
	if (c->restore) { /* the kernel is in the saved RAM; loading it again only costs time */
		add(&b, "-incoming");
		add(&b, "fd:%d", c->incoming_fd);
	} else {
		add(&b, "-kernel");
		add(&b, "%s", kernel ? kernel : "");
		add(&b, "-initrd");
		add(&b, "%s", initrd ? initrd : "");
		add(&b, "-append");
		/* no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer test can miss its
		 * window and panic ("IO-APIC + timer doesn't work!"); the check buys nothing in a VM */
		add(&b, "console=%s quiet loglevel=3 panic=-1 oops=panic no_timer_check rdinit=/init%s", arch->console,
		    c->microvm ? " reboot=t" : "");
	}
	/* A snapshot is saved from a stopped VM; without this its "paused" state would travel with it
	 * and every restored VM would wait for a QMP "cont" instead of running at once. */
	add(&b, "-global");
	add(&b, "migration.store-global-state=off");
	add(&b, "-chardev");
	add(&b, "socket,id=qmp,fd=%d", c->qmp_fd);
	add(&b, "-mon");
	add(&b, "chardev=qmp,mode=control");
	add(&b, "-chardev");
	add(&b, "file,id=con,path=/proc/self/fd/%d", c->console_fd);
	add(&b, "-serial");
	add(&b, "chardev:con");
	add(&b, "-device");
	add(&b, "virtio-serial-%s,id=vser", bus);
	/* The guest's channels, virtio-serial ports it finds by name; only control is two-way (a socket). */
	const struct {
		const char *name;
		int nr, fd;
		bool socket;
	} ports[] = {
		{ "events", 1, c->event_fd, false },
		{ "output", 2, c->output_fd, false },
		{ "errors", 4, c->error_fd, false },
		{ "control", 3, c->control_fd, true },
	};
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		add(&b, "-chardev");
		if (ports[i].socket)
			add(&b, "socket,id=%s,fd=%d", ports[i].name, ports[i].fd);
		else
			add(&b, "file,id=%s,path=/proc/self/fd/%d", ports[i].name, ports[i].fd);
		add(&b, "-device");
		add(&b, "virtserialport,bus=vser.0,nr=%d,chardev=%s,name=cnb.%s", ports[i].nr, ports[i].name, ports[i].name);
	}
	/* security_model=none: QEMU serves the tree as it is, real symlinks and host owners included
	 * (mapped-xattr would refuse real symlinks with ELOOP); read-only, so it never writes them. */
	add_share(&b, bus, "rootfs", rootfs ? rootfs : "", c->rootfs_real, true, "cnb-rootfs");
	add_share(&b, bus, "job", job ? job : "", false, true, "cnb-job");
	for (size_t i = 0; i < c->n_mounts; i++) {
		const cnb__executor_job_mount *m = &c->mounts[i];
		if (!cnb__job_mount_needs_share(m))
			continue;
		_cleanup_free_ char *dir = NULL, *esc = NULL;
		if ((m->host_dir ? !(dir = strdup(m->host_dir)) : asprintf(&dir, "%s/%s", c->job_dir, m->source) < 0) ||
		    !(esc = qemu_escape(dir))) {
			b.oom = true;
			break;
		}
		/* A host directory (--volume) is served as it is: its owners, modes and symlinks (QEMU
		 * resolves every path component beneath the share without following host links; a link
		 * is shown to the guest as a link). The job's own shares keep the mapped form. */
		char id[32], tag[32];
		snprintf(id, sizeof(id), "rw%zu", i);
		snprintf(tag, sizeof(tag), CNB_GUEST_RW_TAG_FMT, i);
		add_share(&b, bus, id, esc, m->host_dir != NULL, m->read_only, tag);
	}
	if (c->microvm) { /* seeds the minimal kernel's CRNG: getrandom() would block ~2 s under TCG */
		add(&b, "-device");
		add(&b, "virtio-rng-device");
	} else if (arch->vmgenid) { /* a new generation ID on every restore: the kernel reseeds its RNG (needs ACPI) */
		add(&b, "-device");
		add(&b, "vmgenid,guid=auto");
	}
	if (c->network) {
		add(&b, "-netdev");
		add(&b, "user,id=net0");
		add(&b, "-device");
		add(&b, "virtio-net-%s,netdev=net0", bus);
	}
	bool oom = b.oom || !rootfs || !job || !kernel || !initrd;
	free(rootfs);
	free(job);
	free(kernel);
	free(initrd);
	if (oom) {
		cnb__strv_list_free(&b.list);
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	}
	*out = b.list.v;
	return 0;
}

void cnb__executor_qemu_argv_free(char **argv)
{
	cnb__strv_free(argv);
}
