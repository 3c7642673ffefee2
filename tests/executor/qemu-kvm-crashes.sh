#!/bin/sh
# Stands in for qemu-system-x86_64 on a host whose KVM makes QEMU abort at start, as seen on
# machines where QEMU 7.2 cannot set an MSR: under -accel kvm it prints QEMU's message and dies of
# SIGABRT (exit 134 from a shell) before the guest says anything; anything else runs the real QEMU.
for a in "$@"; do
	if [ "$prev" = "-accel" ] && [ "$a" = kvm ]; then
		echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0" >&2
		echo "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:2893: kvm_buf_set_msrs: Assertion \`ret == cpu->kvm_msr_buf->nmsrs' failed." >&2
		kill -ABRT $$
	fi
	prev=$a
done
exec qemu-system-x86_64 "$@"
