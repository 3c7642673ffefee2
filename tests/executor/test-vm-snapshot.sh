#!/bin/sh
# e2e: VM snapshot-restore through `cnb vm run` (lib/executor/vm-snapshot.h). The first run boots cold
# and saves a snapshot; later runs restore it. Clones must not share RNG output, boot_id or a stale
# clock; a truncated or stale snapshot is a cache miss (cold boot, rebuilt); concurrent runs
# share one snapshot. With a third argument `minimal`, the same on the minimal kernel and microvm
# (vmshim/image/build-kernel.sh --install-to-cache; skipped without it). Prints TAP.
set -u
cnb=$1 make_rootfs=$2
. "$(dirname "$0")/../lib/tap.sh"
if [ "${3:-}" = minimal ]; then
	kernel=${CNB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cnb}/vm/kernel/vmlinux
	[ -r "$kernel" ] || tap_skip_all "no minimal kernel in the cache (vmshim/image/build-kernel.sh --install-to-cache)"
	export CNB_VM_KERNEL=$kernel
fi
. "$(dirname "$0")/vm-test.sh"
vm_test_rootfs vm-snapshot
export CNB_CACHE_DIR="$tmp/cache" CNB_VM_ACCEL=tcg
unset CNB_VM_SNAPSHOT
probe='echo "rand=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d " \n")"; echo "boot=$(cat /proc/sys/kernel/random/boot_id)"; echo "clock=$(date +%s)"'
run() { # NAME [cnb vm run flags...]: output in $tmp/NAME, host clock before and after it in $tmp/NAME.host
	name=$1
	shift
	date +%s >"$tmp/$name.host"
	"$cnb" vm run -v --rootfs "$tmp/rootfs" --network none "$@" -- sh -c "$probe" >"$tmp/$name" 2>&1
	echo $? >"$tmp/$name.rc"
	date +%s >>"$tmp/$name.host"
}
value() { sed -n "s/.*$2=\([^ ]*\)\$/\1/p" "$tmp/$1" | tail -1; }
ran() { [ "$(cat "$tmp/$1.rc")" = 0 ] && [ -n "$(value "$1" rand)" ]; }
snapshots() { find "$tmp/cache/vm/snapshots" -name '*.vmstate' 2>/dev/null; }

run cold
check "first run: boots cold and saves a snapshot" sh -c "grep -q 'cold boot' '$tmp/cold' && grep -q 'VM snapshot saved' '$tmp/cold'"
check "first run: the job ran" ran cold
snap=$(snapshots | head -1)
check "one snapshot, mode 0600, in a 0700 dir" sh -c "[ -n '$snap' ] && [ \$(stat -c %a '$snap') = 600 ] &&
	[ \$(stat -c %a '$tmp/cache/vm/snapshots') = 700 ]"
inode=$(stat -c %i "$snap")
sleep 5 # a restored clone that kept the snapshot's clock would now be 5 s behind

run a &
run b &
wait
for c in a b; do
	sed 's/^/#   | /' "$tmp/$c" | grep -v 'debug: vm:'
	check "concurrent run $c: restored from the snapshot, and ran" sh -c "grep -q 'restoring a snapshot' '$tmp/$c' &&
		! grep -q 'restoring the VM snapshot failed' '$tmp/$c'"
	check "concurrent run $c: the job ran" ran $c
	# The guest's reading lies in the run's window on the host, give or take 2 s: a clone that kept
	# the snapshot's clock reads 5 s too early however slow the run (a loaded host only widens the window).
	before=$(head -1 "$tmp/$c.host") after=$(tail -1 "$tmp/$c.host") guest=$(value $c clock)
	check "run $c: guest clock within 2 s of the host's (host window $before..$after, guest ${guest:-?})" \
		sh -c "[ '${guest:-0}' -ge $((before - 2)) ] && [ '${guest:-0}' -le $((after + 2)) ]"
done
check "both share the one snapshot file (unchanged)" [ "$(stat -c %i "$snap")" = "$inode" ]
check "two clones read different bytes from /dev/urandom" [ "$(value a rand)" != "$(value b rand)" ]
check "two clones have different boot_ids" [ "$(value a boot)" != "$(value b boot)" ]

size=$(stat -c %s "$snap")
truncate -s $((size / 2)) "$snap"
run truncated
check "truncated snapshot: falls back to a cold boot" sh -c "grep -q 'restoring the VM snapshot failed' '$tmp/truncated' &&
	grep -q 'cold boot' '$tmp/truncated'"
check "truncated snapshot: the job ran" ran truncated
check "truncated snapshot: rebuilt at full size" [ "$(stat -c %s "$snap")" -gt $((size / 2)) ]
run rebuilt
check "the rebuilt snapshot restores" sh -c "grep -q 'restoring a snapshot' '$tmp/rebuilt' &&
	! grep -q 'restoring the VM snapshot failed' '$tmp/rebuilt'"

run other --memory 384
other=$(snapshots | grep -v "$snap" | head -1)
check "another configuration (--memory 384) has its own snapshot" [ -n "$other" ]
cp "$other" "$snap"
run stale
check "stale snapshot (another configuration's state under this key): falls back" \
	sh -c "grep -q 'restoring the VM snapshot failed' '$tmp/stale' && grep -q 'VM snapshot saved' '$tmp/stale'"
check "stale snapshot: the job ran" ran stale
run again
check "after the rebuild: restored again" sh -c "grep -q 'restoring a snapshot' '$tmp/again' &&
	! grep -q 'restoring the VM snapshot failed' '$tmp/again'"
check "after the rebuild: the job ran" ran again

CNB_VM_SNAPSHOT=off run off
check "CNB_VM_SNAPSHOT=off: cold boot, nothing restored" sh -c "grep -q 'cold boot' '$tmp/off' && ! grep -q 'restoring' '$tmp/off'"
tap_done
