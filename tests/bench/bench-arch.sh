#!/usr/bin/env bash
# Architecture benchmark: the sample app built in the VM for linux/amd64 and for linux/arm64 (an
# emulated CPU on an amd64 host, or the other way round) from one two-arch builder, cold and warm,
# in the same run. Prints TAP with the numbers as comments and the arm64/amd64 ratio.
#   bench-arch.sh CNB_EXE SOURCE_ROOT [SKIP_REASON]   (through with-registry.sh; env from vm_test_env)
set -u
cnb=$1 src=$2 skip=${3:-}
. "$(dirname "$0")/../lib/tap.sh"
[ -z "$skip" ] || tap_skip_all "arm64 guest not built: $skip"
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
tap_workdir bench-arch

"$src/tests/lib/push-two-arch-base.sh" "$cnb" "$src" "$work" bench >"$work/base.out" 2>&1 ||
	{ show "$work/base.out"; echo "Bail out! two-arch base images"; exit 1; }
cp -r "$src/examples/buildpacks/shell" "$work/bp"
printf '\n[[targets]]\n  os = "linux"\n  arch = "arm64"\n' >>"$work/bp/buildpack.toml"
sed -e "s|BUILD_IMAGE|$reg/bench/base:build|; s|RUN_IMAGE|$reg/bench/base:run|; s|\.\./buildpacks/shell|$work/bp|" \
	"$src/examples/builder/builder.toml" >"$work/builder.toml"
printf '\n[[targets]]\narch = "amd64"\n\n[[targets]]\narch = "arm64"\n' >>"$work/builder.toml"
"$cnb" builder create "$reg/bench/builder" --config "$work/builder.toml" --publish >"$work/builder.out" 2>&1 ||
	{ show "$work/builder.out"; echo "Bail out! builder create"; exit 1; }

declare -A total
for arch in amd64 arm64; do
	cp -r "$src/examples/sample-app" "$work/app-$arch"
	for scenario in cold warm; do
		start=$(date +%s%N)
		"$cnb" build "$reg/bench/app-$arch" --builder "$reg/bench/builder" --path "$work/app-$arch" --publish \
			--platform linux/$arch --report-json "$work/r.json" >"$work/out" 2>&1
		rc=$?
		wall=$(( ($(date +%s%N) - start) / 1000000 ))
		if [ $rc != 0 ]; then ok $rc "$arch $scenario (exit $rc)"; show "$work/out" 10; continue; fi
		ok 0 "$arch $scenario: ${wall} ms wall"
		python3 - "$work/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["phases_ms"]
print("#   phases:", " ".join(f"{k}={v}" for k, v in p.items()), f"boot={r['executor']['boot_ms']}")
PY
		total[$arch-$scenario]=$wall
	done
done
for scenario in cold warm; do
	a=${total[amd64-$scenario]:-0} b=${total[arm64-$scenario]:-0}
	[ "$a" -gt 0 ] && echo "# $scenario: amd64 ${a} ms, arm64 ${b} ms, arm64/amd64 = $(python3 -c "print(round($b/$a, 2))")"
done
tap_done
