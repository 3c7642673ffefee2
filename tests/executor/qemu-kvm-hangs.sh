#!/bin/sh
# Stands in for qemu-system-x86_64 on hosts without /dev/kvm, to exercise the boot watchdog:
# under -accel kvm it hangs the way a stock kernel does under a broken KVM (no output, no exit);
# anything else runs the real QEMU.
for a in "$@"; do
	[ "$prev" = "-accel" ] && [ "$a" = kvm ] && exec sleep 600
	prev=$a
done
exec qemu-system-x86_64 "$@"
