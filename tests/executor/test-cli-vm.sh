#!/bin/sh
# e2e: `cnb vm run` through the CLI, both executors: output printed, exit code propagated,
# --timeout gives 124. Prints TAP.
set -u
cnb=$1 make_rootfs=$2
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/vm-test.sh"
vm_test_rootfs cli-vm
mkdir -m 0777 "$tmp/share"
for ex in vm host; do
	CNB_VM_ACCEL=tcg "$cnb" vm run --rootfs "$tmp/rootfs" --executor $ex --network none --user 1000:1000 \
		--share "$tmp/share" --env PATH=/bin -- sh -c 'echo "hi from $(id -u)"; echo x > /share/f; exit 7' \
		>"$tmp/out" 2>&1
	rc=$?
	sed 's/^/#   | /' "$tmp/out"
	check "$ex: exit code 7 propagates (got $rc)" [ $rc = 7 ]
	check "$ex: output printed" grep -q 'hi from 1000$' "$tmp/out"
	check "$ex: share written" [ -f "$tmp/share/f" ]
	rm -f "$tmp/share/f"
	CNB_VM_ACCEL=tcg "$cnb" vm run --rootfs "$tmp/rootfs" --executor $ex --network none --timeout 1 -- sleep 30 \
		>"$tmp/out" 2>&1
	rc=$?
	check "$ex: --timeout exits 124 (got $rc)" [ $rc = 124 ]
done
# The command's stdout and stderr stay apart and byte for byte (no timestamps, no added newline),
# like docker run: `cnb vm run ... > out.txt` captures the command's output.
for ex in vm host; do
	CNB_VM_ACCEL=tcg "$cnb" vm run --rootfs "$tmp/rootfs" --executor $ex --network none --env PATH=/bin \
		-- sh -c 'echo out1; echo err1 >&2; printf "tail"' >"$tmp/stdout" 2>"$tmp/stderr"
	check "$ex: stdout holds exactly the command's stdout" [ "$(od -An -c "$tmp/stdout" | tr -s ' ')" = " o u t 1 \n t a i l" ]
	check "$ex: stderr holds exactly the command's stderr" [ "$(cat "$tmp/stderr")" = "err1" ]
done
# An ordinary directory (what umoci, debootstrap or `cnb unpack --real` make): real symlinks, no
# user.virtfs.* xattrs. The VM must run it as it is.
mkdir -p "$tmp/plain/bin" "$tmp/plain/tmp"
cp "$tmp/rootfs/bin/busybox" "$tmp/plain/bin/busybox"
for a in sh echo readlink; do ln -s busybox "$tmp/plain/bin/$a"; done
ln -s /bin "$tmp/plain/linked"
for ex in vm host; do
	CNB_VM_ACCEL=tcg "$cnb" vm run --rootfs "$tmp/plain" --executor $ex --network none --env PATH=/bin \
		-- /bin/sh -c 'echo "target=$(readlink /linked) via=$(/linked/echo yes)"' >"$tmp/out" 2>&1
	rc=$?
	sed 's/^/#   | /' "$tmp/out"
	check "$ex: an ordinary rootfs with real symlinks runs (exit $rc)" grep -q 'target=/bin via=yes$' "$tmp/out"
done
tap_done
