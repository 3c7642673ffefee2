#!/bin/sh
# Benchmark of the executors, in one run: boot-to-ready (QEMU start -> cnb-init "ready") and the
# total wall time of a trivial job (`true`), VM (TCG unless CNB_VM_ACCEL says otherwise) vs host.
# Prints TAP; numbers in the diagnostics. Usage: bench-vm.sh CNB MAKE_ROOTFS [RUNS]
set -u
cnb=$1 make_rootfs=$2 runs=${3:-3}
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (host executor, fixture)"; exit 77; }
export CNB_VM_ACCEL=${CNB_VM_ACCEL:-tcg}
tmp=$(mktemp -d /tmp/cnb-bench-vm-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$make_rootfs" "$tmp/rootfs"
now_ms() { date +%s%3N; }
n=0
for ex in vm host; do
	total=0 ready=0 ok=1
	for i in $(seq "$runs"); do
		t0=$(now_ms)
		"$cnb" vm run -v --rootfs "$tmp/rootfs" --executor $ex --network none -- true >"$tmp/log" 2>&1 || ok=0
		t1=$(now_ms)
		total=$((total + t1 - t0))
		r=$(sed -n 's/.*job environment ready after \([0-9]*\) ms.*/\1/p' "$tmp/log" | head -n1)
		ready=$((ready + ${r:-0}))
	done
	n=$((n + 1))
	if [ $ok = 1 ]; then echo "ok $n - $ex: trivial job"; else echo "not ok $n - $ex: trivial job"; cat "$tmp/log"; fi
	echo "# $ex ($CNB_VM_ACCEL): boot-to-ready $((ready / runs)) ms, total for 'true' $((total / runs)) ms (mean of $runs)"
done
echo "1..$n"
