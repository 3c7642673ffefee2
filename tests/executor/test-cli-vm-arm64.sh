#!/bin/sh
# e2e: `cnb vm run --platform linux/arm64` on any host: an arm64 busybox (Debian's busybox-static
# arm64 package, unpacked by scripts/install-deps.sh) runs in the emulated arm64 VM; the host
# executor refuses a foreign architecture, and an unknown one is named. Prints TAP.
# Skips when meson left the arm64 guest out (the third argument says why).
set -u
cnb=$1 arm64_root=$2 skip=${3:-}
. "$(dirname "$0")/../lib/tap.sh"
[ -z "$skip" ] || tap_skip_all "arm64 guest not built: $skip"
[ "$(id -u)" = 0 ] || tap_skip_all "needs root"
tmp=$(mktemp -d /tmp/cnb-cli-vm-arm64-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# hardlinks: a host symlink cannot be read through 9p mapped-xattr (lib/executor/executor.h)
mkdir -p "$tmp/rootfs/bin" "$tmp/rootfs/tmp"
cp "$arm64_root/busybox/bin/busybox" "$tmp/rootfs/bin/busybox"
for a in sh uname cat echo; do ln "$tmp/rootfs/bin/busybox" "$tmp/rootfs/bin/$a"; done

start=$(date +%s%N)
CNB_VM_ACCEL=tcg "$cnb" vm run --platform linux/arm64 --rootfs "$tmp/rootfs" --network none --env PATH=/bin \
	-- sh -c 'uname -m; exit 3' >"$tmp/out" 2>"$tmp/err"
rc=$?
echo "# arm64 VM run: $(( ($(date +%s%N) - start) / 1000000 )) ms"
sed 's/^/#   | /' "$tmp/out" "$tmp/err"
check "arm64: uname -m prints aarch64" [ "$(cat "$tmp/out")" = aarch64 ]
check "arm64: the exit code travels back (got $rc)" [ $rc = 3 ]

"$cnb" vm run --platform linux/arm64 --executor host --rootfs "$tmp/rootfs" -- uname -m >"$tmp/out" 2>&1
rc=$?
sed 's/^/#   | /' "$tmp/out"
check "host executor refuses arm64 on this host (exit $rc)" [ $rc != 0 ]
if [ "$(uname -m)" = x86_64 ]; then
	check "the refusal names the architectures and the way out" \
		grep -q 'runs only amd64.*not arm64.*--executor vm' "$tmp/out"
fi

"$cnb" vm run --platform linux/s390x --rootfs "$tmp/rootfs" -- uname -m >"$tmp/out" 2>&1
rc=$?
sed 's/^/#   | /' "$tmp/out"
check "an unsupported architecture is an error (exit $rc)" [ $rc != 0 ]
check "the error names it and what is supported" grep -q 's390x is not supported: use amd64 or arm64' "$tmp/out"
tap_done
