#!/bin/sh
# Benchmark of the executors, in one run: boot-to-ready (QEMU start -> cnb-init "ready") and the
# total wall time of a trivial job (`true`), VM (TCG unless CNB_VM_ACCEL says otherwise) booted
# cold and restored from a snapshot (lib/executor/vm-snapshot.h), vs host.
# The VM runs with the kernel from the environment (CNB_VM_KERNEL: the Debian one in the build
# tree) and, when the cache holds one, with the minimal kernel (vmshim/image/build-kernel.sh).
# Prints TAP; numbers in the diagnostics: best and mean of RUNS (other processes on the machine
# only ever add time, so the best is the figure to compare).
# Usage: bench-vm.sh CNB MAKE_ROOTFS [RUNS]
set -u
cnb=$1 make_rootfs=$2 runs=${3:-5}
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (host executor, fixture)"; exit 77; }
export CNB_VM_ACCEL=${CNB_VM_ACCEL:-tcg}
tmp=$(mktemp -d /tmp/cnb-bench-vm-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$make_rootfs" "$tmp/rootfs"
cache=${CNB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cnb}
minimal=$cache/vm/kernel/vmlinux
export CNB_CACHE_DIR=$tmp/cache # a snapshot of our own, never the user's
now_ms() { date +%s%3N; }
. "$(dirname "$0")/../lib/tap.sh"

bench() { # NAME EXECUTOR [KERNEL]
	name=$1 ex=$2 kernel=${3:-${CNB_VM_KERNEL:-}}
	total=0 ready=0 status=0 best_total= best_ready=
	for i in $(seq "$runs"); do
		t0=$(now_ms)
		CNB_VM_KERNEL=$kernel "$cnb" vm run -v --rootfs "$tmp/rootfs" --executor "$ex" --network none -- true \
			>"$tmp/log" 2>&1 || status=1
		t1=$(now_ms)
		t=$((t1 - t0))
		[ -z "${want_restored:-}" ] || grep -q 'restoring a snapshot' "$tmp/log" || status=1
		r=$(sed -n 's/.*job environment ready after \([0-9]*\) ms.*/\1/p' "$tmp/log" | head -n1)
		r=${r:-0}
		total=$((total + t)) ready=$((ready + r))
		[ -z "$best_total" ] || [ "$t" -lt "$best_total" ] && best_total=$t
		[ -z "$best_ready" ] || [ "$r" -lt "$best_ready" ] && best_ready=$r
	done
	ok $status "$name: trivial job"
	[ $status = 0 ] || show "$tmp/log" 1000
	echo "# $name ($CNB_VM_ACCEL): boot-to-ready best $best_ready ms, mean $((ready / runs)) ms;" \
		"total for 'true' best $best_total ms, mean $((total / runs)) ms ($runs runs)"
	last_best_total=$best_total last_best_ready=$best_ready
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

kname=$(basename "${CNB_VM_KERNEL:-installed kernel}")
CNB_VM_SNAPSHOT=off bench "vm cold boot, $kname" vm
cold_total=$last_best_total cold_ready=$last_best_ready
"$cnb" vm run --rootfs "$tmp/rootfs" --network none -- true >/dev/null 2>&1 # saves the snapshot
want_restored=1 bench "vm restored from a snapshot, $kname" vm
want_restored=
warm_total=$last_best_total warm_ready=$last_best_ready
if [ -r "$minimal" ]; then
	CNB_VM_SNAPSHOT=off bench "vm cold boot, minimal kernel ($(cat "$minimal.machine" 2>/dev/null || echo pc))" vm "$minimal"
else
	echo "# no minimal kernel in $cache/vm/kernel: vmshim/image/build-kernel.sh --install-to-cache"
fi
bench host host
host_total=$last_best_total
echo "# restored/cold: boot-to-ready $(ratio "$warm_ready" "$cold_ready"), trivial job $(ratio "$warm_total" "$cold_total");" \
	"vm/host trivial job: cold $(ratio "$cold_total" "$host_total"), restored $(ratio "$warm_total" "$host_total")"
tap_done
