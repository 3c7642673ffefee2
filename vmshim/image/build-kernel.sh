#!/bin/sh
# Builds the minimal build-VM kernel (opt-in, ~10 min on 2 cores; never part of the default build).
#
#   build-kernel.sh [--install-to-cache] [--force]
#
# `make tinyconfig` + vmshim/image/kernel/cnb.config, from Debian's linux-source-6.1 (apt-get install
# linux-source-6.1 bc bison flex libelf-dev libssl-dev), built out of tree under
# $CNB_KERNEL_BUILD_DIR (default /var/tmp/cnb-kernel-build). The result is an ELF vmlinux that QEMU
# boots through its PVH entry; under TCG it is ready in ~1 s on `-machine microvm` against ~2.2 s for
# the decompressed Debian kernel (tests/bench/bench-vm.sh measures both).
#
# --install-to-cache copies it to <cache>/vm/kernel/vmlinux with vmlinux.machine ("microvm": the
# launcher then picks microvm + virtio-mmio, lib/executor/vm-image.c) and vmlinux.key. The key hashes the
# config fragment and the source tarball: when both are unchanged the build is skipped, when either
# changes the kernel is rebuilt (incrementally, in the same object dir). The cache is $CNB_CACHE_DIR,
# else $XDG_CACHE_HOME/cnb, else ~/.cache/cnb. Prints the path of the vmlinux on stdout.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/kernel/cnb.config
src_tar=${CNB_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
work=${CNB_KERNEL_BUILD_DIR:-/var/tmp/cnb-kernel-build}
cache=${CNB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cnb}
install=0 force=0
for arg in "$@"; do
	case "$arg" in
	--install-to-cache) install=1 ;;
	--force) force=1 ;;
	*)
		echo "usage: build-kernel.sh [--install-to-cache] [--force]" >&2
		exit 2
		;;
	esac
done

say() { echo "build-kernel: $*" >&2; }

if [ ! -r "$src_tar" ]; then
	say "$src_tar not found: apt-get install linux-source-6.1 bc bison flex libelf-dev libssl-dev"
	exit 1
fi
for tool in make gcc bc bison flex xz; do
	command -v "$tool" >/dev/null || { say "$tool missing (see the apt-get line in this script's header)"; exit 1; }
done

src_hash=$(sha256sum "$src_tar" | cut -c1-64)
key=$( (echo "$src_hash"; cat "$fragment") | sha256sum | cut -c1-64)
dest=$cache/vm/kernel
if [ $install = 1 ] && [ $force = 0 ] && [ -r "$dest/vmlinux" ] && [ "$(cat "$dest/vmlinux.key" 2>/dev/null)" = "$key" ]; then
	say "cached kernel is up to date ($dest/vmlinux)"
	echo "$dest/vmlinux"
	exit 0
fi

# Sources: extracted once per tarball (the marker names the tarball's hash).
mkdir -p "$work"
src=$work/src
if [ "$(cat "$src/.cnb-source" 2>/dev/null)" != "$src_hash" ]; then
	say "extracting $src_tar"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$src_tar" -C "$src.tmp" --strip-components=1
	echo "$src_hash" >"$src.tmp/.cnb-source"
	mv "$src.tmp" "$src"
fi

# Config: tinyconfig, the fragment merged on top, then every fragment line verified (Kconfig
# silently drops symbols whose dependencies are unmet or that no longer exist).
obj=$work/obj
mkdir -p "$obj"
make -s -C "$src" O="$obj" tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" >/dev/null
make -s -C "$src" O="$obj" olddefconfig >/dev/null
missing=$(grep -E '^CONFIG_[A-Za-z0-9_]+=' "$fragment" | while read -r line; do
	grep -qxF "$line" "$obj/.config" || echo "$line"
done)
if [ -n "$missing" ]; then
	say "Kconfig did not keep these fragment lines (unmet dependencies?):"
	echo "$missing" >&2
	exit 1
fi

jobs=$(nproc 2>/dev/null || echo 2)
say "building vmlinux in $obj with $jobs jobs (about 10 minutes on 2 cores the first time)"
nice -n 10 make -s -C "$src" O="$obj" -j"$jobs" vmlinux >&2
vmlinux=$obj/vmlinux

if [ $install = 1 ]; then
	mkdir -p "$dest"
	# The machine file goes first: a vmlinux without it would be booted on `pc` (slower, but works).
	echo microvm >"$dest/vmlinux.machine.tmp" && mv "$dest/vmlinux.machine.tmp" "$dest/vmlinux.machine"
	cp "$vmlinux" "$dest/vmlinux.tmp" && mv "$dest/vmlinux.tmp" "$dest/vmlinux"
	echo "$key" >"$dest/vmlinux.key.tmp" && mv "$dest/vmlinux.key.tmp" "$dest/vmlinux.key"
	vmlinux=$dest/vmlinux
fi
echo "$vmlinux"
