#!/bin/sh
# e2e: the minimal kernel (vmshim/image/build-kernel.sh --install-to-cache) boots on microvm and
# runs a job: as a user, with the 9p rootfs through the overlay, a share and virtio-net. Skips (77)
# when the cache holds no such kernel: building it takes ~10 min and is opt-in.
# Usage: test-minimal-kernel.sh CNB MAKE_ROOTFS. Prints TAP.
set -u
cnb=$1 make_rootfs=$2
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/vm-test.sh"
# exit 77, not tap_skip_all: this test runs under meson's 'exitcode' protocol
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 77; }
cache=${CNB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cnb}
kernel=$cache/vm/kernel/vmlinux
if [ ! -r "$kernel" ]; then
	echo "1..0 # SKIP no minimal kernel in $cache/vm/kernel (run vmshim/image/build-kernel.sh --install-to-cache)"
	exit 77
fi
vm_test_rootfs minimal-kernel
mkdir -m 0777 "$tmp/share"
check "the cached kernel is marked for microvm" grep -qx microvm "$kernel.machine"
export CNB_VM_KERNEL=$kernel CNB_VM_ACCEL=${CNB_VM_ACCEL:-tcg}
# The job leaves the guest's view behind in the share: kernel, whether it has module support.
CNB_VM_ACCEL=tcg "$cnb" vm run -v --rootfs "$tmp/rootfs" --user 1000:1000 --share "$tmp/share" \
	--env PATH=/bin -- sh -c 'echo "hi from $(id -u)"; cat /mapped-owned; echo new > /tmp/f && cat /tmp/f;
		cat /proc/version > /share/version; cat /proc/net/dev > /share/net;
		[ -e /proc/modules ] && echo modules >> /share/version; exit 3' >"$tmp/out" 2>&1
rc=$?
sed 's/^/#   | /' "$tmp/out"
check "exit code 3 propagates (got $rc)" [ $rc = 3 ]
check "booted on microvm" grep -q 'started QEMU.*microvm' "$tmp/out"
check "ran as the user" grep -q 'hi from 1000$' "$tmp/out"
check "mapped-xattr ownership through 9p + overlay" grep -qx "mapped" "$tmp/out"
check "overlay accepts writes" grep -qx "new" "$tmp/out"
check "not the Debian kernel (no module support)" sh -c "! grep -q modules '$tmp/share/version'"
check "virtio-net is up (eth0)" grep -q "eth0:" "$tmp/share/net"
ready=$(sed -n 's/.*job environment ready after \([0-9]*\) ms.*/\1/p' "$tmp/out" | head -n1)
echo "# boot-to-ready ${ready:-?} ms ($CNB_VM_ACCEL): $(cat "$tmp/share/version" 2>/dev/null | head -n1)"
tap_done
