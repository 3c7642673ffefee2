# shellcheck shell=sh
# What the `cnb vm run` tests share; sourced after tests/lib/tap.sh, with $make_rootfs set.
#   vm_test_rootfs NAME: skips the test without root; else makes $tmp (/tmp/cnb-NAME-XXXXXX, removed
#   when the test exits) and the test rootfs in $tmp/rootfs. cnb's cache stays where the caller has
#   it, so that a kernel or VM snapshot already there is used.
vm_test_rootfs() {
	[ "$(id -u)" = 0 ] || tap_skip_all "needs root"
	tmp=$(mktemp -d "/tmp/cnb-$1-XXXXXX") || exit 1
	trap 'rm -rf "$tmp"' EXIT
	"$make_rootfs" "$tmp/rootfs"
}
