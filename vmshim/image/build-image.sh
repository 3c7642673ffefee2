#!/bin/sh
# Builds the build VM's image from the host's Debian kernel package (called by meson).
#
#   build-image.sh vmlinux OUT
#       The kernel, decompressed once to an ELF vmlinux: QEMU boots it through its PVH entry,
#       which skips the in-guest XZ decompression (5.1 s -> 2.2 s under TCG; tests/bench/bench-vm.sh).
#   build-image.sh initramfs OUT TOOL...
#       An uncompressed newc cpio: /init (cnb-init), /cnb/libcnb/<tools>, the modules cnb-init
#       loads (/etc/cnb/modules lists them in dependency order). Uncompressed because TCG is slow
#       at inflating and QEMU loads the file in one read anyway.
#   build-image.sh libexec STAMP LIBEXEC_DIR TOOL...
#       Fills LIBEXEC_DIR with the tools (the host executor mounts it at /cnb/libcnb), then STAMP.
#       Needs no kernel: the host executor works without a VM image.
#   build-image.sh kernel-version
#       Prints the kernel version the image would use, or fails saying what to install.
#
# The kernel version is the newest one with both /boot/vmlinuz-V and /lib/modules/V (the installed
# linux-image package, which is not necessarily `uname -r`); CNB_VM_KERNEL_VERSION overrides.
# CNB_VM_KERNEL_ROOT (default /) is where boot/ and lib/modules/ are: another architecture's kernel
# package unpacked with dpkg -x (scripts/install-deps.sh puts the arm64 one in /opt/cnb/arm64/kernel).
set -eu
R=${CNB_VM_KERNEL_ROOT:-}
R=${R%/}

kernel_version() {
	if [ -n "${CNB_VM_KERNEL_VERSION:-}" ]; then
		echo "$CNB_VM_KERNEL_VERSION"
		return
	fi
	for k in $(ls -1 "$R"/boot/vmlinuz-* 2>/dev/null | sed "s,^$R/boot/vmlinuz-,," | sort -rV); do
		if [ -f "$R/lib/modules/$k/modules.dep" ]; then
			echo "$k"
			return
		fi
	done
	fix="apt-get install linux-image-amd64"
	[ -z "$R" ] || fix="unpack one there with scripts/install-deps.sh"
	echo "build-image: no kernel found (need $R/boot/vmlinuz-V and $R/lib/modules/V/modules.dep): $fix" >&2
	exit 1
}

# Modules the guest needs on the Debian kernel: virtio-pci transport, 9p over virtio, overlayfs,
# virtio-serial (the event/output channels) and virtio-net. Dependencies come first.
WANTED="virtio_pci 9pnet_virtio 9p overlay virtio_console virtio_net"

module_order() { # VERSION
	awk -v wanted="$WANTED" '
	function base(p,   b) { b = p; sub(/.*\//, "", b); sub(/\.ko(\..*)?$/, "", b); gsub(/-/, "_", b); return b }
	function emit(m,   n, parts, i) {
		if (m in seen) return
		seen[m] = 1
		n = split(deps[m], parts, " ")
		for (i = 1; i <= n; i++) emit(base(parts[i]))
		print path[m]
	}
	{ sub(/:$/, "", $1); m = base($1); path[m] = $1; d = ""; for (i = 2; i <= NF; i++) d = d " " $i; deps[m] = d }
	END {
		n = split(wanted, w, " ")
		for (i = 1; i <= n; i++) {
			if (!(w[i] in path)) { print "build-image: module " w[i] " not in modules.dep" > "/dev/stderr"; exit 1 }
			emit(w[i])
		}
	}' FS='[: ]+' "$R/lib/modules/$1/modules.dep"
}

cmd=$1
shift
case "$cmd" in
vmlinux)
	out=$1
	v=$(kernel_version)
	bz=$R/boot/vmlinuz-$v
	# An arm64 Image ("ARM\x64" at offset 56) boots as it is: QEMU loads it directly.
	if [ "$(tail -c +57 "$bz" | head -c 4 | od -An -tx1 | tr -d ' ')" = 41524d64 ]; then
		cp "$bz" "$out.tmp" && mv "$out.tmp" "$out"
		exit 0
	fi
	# Offset of the XZ stream magic (FD 37 7A 58 5A 00) inside the bzImage.
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | head -n1 | cut -d: -f1)
	if [ -z "$off" ]; then
		echo "build-image: $bz has no XZ payload; only XZ-compressed Debian kernels are supported" >&2
		exit 1
	fi
	tail -c +$((off + 1)) "$bz" | xz -dc --single-stream >"$out.tmp"
	if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" != 7f454c46 ]; then
		echo "build-image: decompressed $bz is not an ELF vmlinux" >&2
		exit 1
	fi
	mv "$out.tmp" "$out"
	;;
initramfs)
	out=$1
	shift
	v=$(kernel_version)
	stage=$(mktemp -d "${out}.stage.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage/cnb/libcnb" "$stage/etc/cnb" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/run" \
		"$stage/mnt" "$stage/tmp"
	cp "$@" "$stage/cnb/libcnb/"
	ln -s cnb/libcnb/cnb-init "$stage/init"
	module_order "$v" >"$stage/etc/cnb/modules"
	while read -r m; do
		mkdir -p "$stage/lib/modules/$v/$(dirname "$m")"
		cp "$R/lib/modules/$v/$m" "$stage/lib/modules/$v/$m"
	done <"$stage/etc/cnb/modules"
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
	;;
libexec)
	stamp=$1 libexec=$2
	shift 2
	mkdir -p "$libexec"
	for tool in "$@"; do
		cp "$tool" "$libexec/.tmp.$$" && mv "$libexec/.tmp.$$" "$libexec/$(basename "$tool")"
	done
	touch "$stamp"
	;;
kernel-version)
	kernel_version
	;;
*)
	echo "usage: build-image.sh vmlinux OUT | initramfs OUT TOOL... | libexec STAMP LIBEXEC_DIR TOOL... | kernel-version" >&2
	exit 2
	;;
esac
