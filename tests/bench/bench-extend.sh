#!/usr/bin/env bash
# Image extension benchmark: the sample app built in the VM without extensions, then with a
# build.Dockerfile and a run.Dockerfile (one RUN each) first applied (extended layers made in the
# VM), then taken from the extend cache; the same run, warm builder rootfs and build cache for all.
# Each scenario twice, the faster counts. Prints TAP with the phases as comments and the with/without
# ratios (extend-build includes assembling the extended build tree, extend-run the run image's tree).
#   bench-extend.sh CNB_EXE SOURCE_ROOT     (through with-registry.sh; env from vm_test_env)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$src/tests/lib/build-tap.sh"
tap_workdir bench-extend

push_base_images bench/base && example_builder bench/builder bench/base "$src/examples/buildpacks/shell" ||
	{ echo "Bail out! base images and builder"; exit 1; }
cp -r "$src/examples/sample-app" "$work/app"
gen=$work/generated
mkdir -p "$gen/bench_ext"
printf 'ARG base_image\nFROM ${base_image}\nUSER root\nRUN mkdir -p /opt/tool && echo built > /opt/tool/marker\nUSER 1000:1000\n' \
	> "$gen/bench_ext/build.Dockerfile"
printf 'ARG base_image\nFROM ${base_image}\nUSER root\nRUN echo extended > /etc/extended\nUSER 1000:1000\n' \
	> "$gen/bench_ext/run.Dockerfile"

declare -A total
build() { # build SCENARIO [env...]: the faster of two builds (the machine is shared)
	local scenario=$1 i; shift
	for i in 1 2; do
		[ $scenario = extended-uncached ] && rm -rf "$CNB_CACHE_DIR/extend"
		timed "$scenario #$i" env "$@" "$cnb" build "$reg/bench/app" --builder "$reg/bench/builder" --path "$work/app" \
			--publish --report-json "$work/r.json"
		[ $rc = 0 ] || continue
		echo "#   phases: $(phases "$work/r.json")"
		[ -z "${total[$scenario]:-}" ] || [ "$wall" -lt "${total[$scenario]}" ] && total[$scenario]=$wall
	done
}
build warm-up
build without-extensions
build extended-uncached CNB_EXTEND_GENERATED_DIR="$gen"
build extended-cached CNB_EXTEND_GENERATED_DIR="$gen"
base=${total[without-extensions]:-0}
for s in extended-uncached extended-cached; do
	t=${total[$s]:-0}
	[ "$base" -gt 0 ] && [ "$t" -gt 0 ] &&
		echo "# $s: ${t} ms against ${base} ms without extensions, with/without = $(python3 -c "print(round($t/$base, 2))")"
done
tap_done
