#!/usr/bin/env bash
# Installs everything libcnb needs to build, test and run, from Debian 12 packages only.
# Idempotent; run as root (or with sudo available).
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
packages=(
	# build
	build-essential meson ninja-build pkg-config clang
	libcurl4-openssl-dev libssl-dev libjansson-dev libarchive-dev libzstd-dev zlib1g-dev
	# tests: local registry, auth, peers for comparison, fixtures
	docker-registry apache2-utils skopeo umoci python3 python3-yaml curl ca-certificates
	busybox-static bash-static attr cpio xz-utils zstd
	# the build VM: QEMU and a kernel to take the image from
	qemu-system-x86 linux-image-amd64
	# examples
	golang-go
)
install_missing() { # PACKAGE...
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "install-deps: installing ${missing[*]}"
		$SUDO apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
}
install_missing "${packages[@]}"

# arm64 guests: optional. A failure there (a mirror without arm64, no network for the kernel .deb)
# must not stop the rest: meson then skips the arm64 image and its tests, and says why.
export -f install_missing
export SUDO
"$(dirname "$0")/install-arm64-deps.sh" ||
	echo "install-deps: arm64 guest support not installed (see above): the arm64 image and tests will be skipped" >&2
