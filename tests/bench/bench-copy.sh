#!/usr/bin/env bash
# Benchmark: `cnb copy` against `skopeo copy`, registry -> OCI layout and OCI layout -> registry,
# on a 6-layer image (~240 MB raw, ~120 MB gzip). Prints wall times, the ratio ours/skopeo and our
# peak RSS. Targets: ratio <= 1.0, RSS < 64 MB. Runs under tests/lib/with-registry.sh; each push goes
# to a fresh registry of its own (skopeo's blob-info cache would otherwise mount instead of upload).
#   bench-copy.sh CNB_EXE WITH_REGISTRY
#   bench-copy.sh --time OUT_FILE CMD...   (internal: time one command, run inside with-registry)
set -euo pipefail
if [ "$1" = --time ]; then
	out=$2; shift 2
	s=$(date +%s.%N)
	/usr/bin/time -f '%M' -o "$out.rss" "${@//@REG@/$CNB_TEST_REGISTRY}" >/dev/null 2>"$out.err" || { cat "$out.err" >&2; exit 1; }
	e=$(date +%s.%N)
	python3 -c "print(f'{$e - $s:.2f}', $(tail -1 "$out.rss"))" > "$out"
	exit 0
fi
. "$(dirname "$0")/../lib/tap.sh"
cnb=$1
with_registry=$2
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
reg=$CNB_TEST_REGISTRY
for tool in umoci skopeo /usr/bin/time; do
	command -v $tool >/dev/null || { echo "1..0 # SKIP $tool not installed"; exit 77; }
done
work=$(mktemp -d /var/tmp/cnb-bench-copy-XXXXXX)
trap 'rm -rf "$work"' EXIT
export CNB_CACHE_DIR=$work/cache

# Each layer: 20 MB random (incompressible) + 20 MB of a repeated binary (compressible).
umoci init --layout "$work/src" >/dev/null
umoci new --image "$work/src:v1" >/dev/null
for i in 1 2 3 4 5 6; do
	head -c 20000000 /dev/urandom > "$work/layer$i"
	while [ "$(stat -c %s "$work/layer$i")" -lt 40000000 ]; do cat /bin/busybox >> "$work/layer$i"; done
	umoci insert --image "$work/src:v1" "$work/layer$i" "/data/layer$i" >/dev/null
	rm "$work/layer$i"
done
skopeo copy -q --dest-tls-verify=false oci:"$work/src:v1" docker://$reg/bench/app:v1
raw=$(skopeo inspect --tls-verify=false docker://$reg/bench/app:v1 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Layers"]))')

now() { date +%s.%N; }
# run LABEL CMD...: wall seconds into $secs, peak RSS (KB) into $rss
run() {
	local s e
	s=$(now)
	/usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
	e=$(now)
	secs=$(python3 -c "print(f'{$e - $s:.2f}')")
	rss=$(tail -1 "$work/rss")
}
sync
run skopeo copy -q --src-tls-verify=false docker://$reg/bench/app:v1 oci:"$work/sk:v1"; sk_pull=$secs
run "$cnb" copy -q docker://$reg/bench/app:v1 oci:"$work/ours:v1"; our_pull=$secs; rss_pull=$rss
# fresh REGISTRY ... : runs one push against a new empty registry; sets secs and rss
fresh() {
	"$with_registry" -- "$self" --time "$work/t" "$@"
	read -r secs rss < "$work/t"
}
fresh skopeo copy -q --dest-tls-verify=false oci:"$work/sk:v1" docker://@REG@/push/app:v1; sk_push=$secs
fresh "$cnb" copy -q oci:"$work/ours:v1" docker://@REG@/push/app:v1; our_push=$secs; rss_push=$rss
size=$(du -sm "$work/ours/blobs" | cut -f1)
python3 - "$sk_pull" "$our_pull" "$sk_push" "$our_push" "$rss_pull" "$rss_push" "$raw" "$size" <<'PY'
import sys
sk_pull, our_pull, sk_push, our_push = map(float, sys.argv[1:5])
rss_pull, rss_push, layers, size = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8]
print(f"# image: {layers} layers, {size} MB of blobs")
print(f"# registry -> OCI layout: skopeo {sk_pull:.2f}s  cnb {our_pull:.2f}s  ratio {our_pull / sk_pull:.2f}  cnb peak RSS {rss_pull / 1024:.1f} MB")
print(f"# OCI layout -> registry: skopeo {sk_push:.2f}s  cnb {our_push:.2f}s  ratio {our_push / sk_push:.2f}  cnb peak RSS {rss_push / 1024:.1f} MB")
PY
# within A B: A <= B; ratio A B: A/B with two decimals (wall times are fractional seconds)
within() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
r=0; within "$our_pull" "$sk_pull" || r=1
ok $r "registry -> layout within 1.0x skopeo ($(ratio "$our_pull" "$sk_pull")x)"
r=0; within "$our_push" "$sk_push" || r=1
ok $r "layout -> registry within 1.0x skopeo ($(ratio "$our_push" "$sk_push")x)"
peak=$((rss_pull > rss_push ? rss_pull : rss_push))
r=0; [ "$peak" -lt $((64 * 1024)) ] || r=1
ok $r "peak RSS under 64 MB ($(ratio "$peak" 1024) MB)"
tap_done
