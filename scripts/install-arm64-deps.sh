#!/usr/bin/env bash
# The arm64 half of scripts/install-deps.sh, which calls it (exporting install_missing) and goes on
# without it on failure.
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
# arm64 guests (optional: without these the arm64 VM image and its tests are skipped). The cross
# compiler and the arm64 static jansson build the guest tools; QEMU's aarch64 system emulator runs
# them. The kernel and the test stack's busybox/bash come as arm64 .debs unpacked with dpkg -x
# under $CNB_ARM64_ROOT: foreign-architecture packages are downloaded, never installed.
CNB_ARM64_ROOT=${CNB_ARM64_ROOT:-/opt/cnb/arm64}
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
	$SUDO apt-get update -qq
fi
install_missing qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross libjansson-dev:arm64
# The arm64 kernel of the same ABI as linux-image-arm64 names (e.g. linux-image-6.1.0-57-arm64).
kpkg=$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/.*Depends: \(linux-image-[0-9].*-arm64\).*/\1/p' | head -n1)
if [ -z "$kpkg" ]; then
	echo "install-deps: no arm64 kernel package found (apt-cache depends linux-image-arm64:arm64)" >&2
	exit 1
fi
unpack() { # PACKAGE DIR
	[ -e "$2/.unpacked-$1" ] && return
	tmp=$(mktemp -d)
	(cd "$tmp" && chmod 777 . && apt-get download -qq "$1:arm64")
	$SUDO rm -rf "$2"
	$SUDO mkdir -p "$2"
	$SUDO dpkg -x "$tmp"/*.deb "$2"
	$SUDO touch "$2/.unpacked-$1"
	rm -rf "$tmp"
}
unpack "$kpkg" "$CNB_ARM64_ROOT/kernel"
kver=${kpkg#linux-image-}
[ -f "$CNB_ARM64_ROOT/kernel/lib/modules/$kver/modules.dep" ] || $SUDO depmod -b "$CNB_ARM64_ROOT/kernel" "$kver"
unpack busybox-static "$CNB_ARM64_ROOT/busybox"
unpack bash-static "$CNB_ARM64_ROOT/bash"
