#!/usr/bin/env bash
# Image extension benchmark: the sample app built in the VM with a builder without extensions, then
# with one whose extensions (tests/e2e/extend-extensions) write a build.Dockerfile and a
# run.Dockerfile (one RUN each), first applied (extended layers made in the VM; the lifecycle job
# is split around extend-build), then taken from the extend cache; the same run, warm builder rootfs and build cache for all.
# Each scenario twice, the faster counts. Prints TAP with the phases as comments and the with/without
# ratios (extend-build includes assembling the extended build tree, extend-run the run image's tree).
#   bench-extend.sh CNB_EXE SOURCE_ROOT     (through with-registry.sh; env from vm_test_env)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$src/tests/lib/build-tap.sh"
tap_workdir bench-extend

push_base_images bench/base && example_builder bench/builder bench/base "$src/examples/buildpacks/shell" &&
	extension_builder bench/builder-ext bench/base "$src/examples/buildpacks/shell" examples/shell ||
	{ echo "Bail out! base images and builder"; exit 1; }
cp -r "$src/examples/sample-app" "$work/app"
dockerfiles=(-e "EXT_BUILD_DOCKERFILE=$(printf 'ARG base_image\nFROM ${base_image}\nUSER root\nRUN mkdir -p /opt/tool && echo built > /opt/tool/marker\nUSER 1000:1000')"
	-e "EXT_RUN_DOCKERFILE=$(printf 'ARG base_image\nFROM ${base_image}\nUSER root\nRUN echo extended > /etc/extended\nUSER 1000:1000')")

declare -A total
build() { # build SCENARIO BUILDER [build flags...]: the faster of two builds (the machine is shared)
	local scenario=$1 builder=$2 i; shift 2
	for i in 1 2; do
		[ $scenario = extended-uncached ] && rm -rf "$CNB_CACHE_DIR/extend"
		timed "$scenario #$i" "$cnb" build "$reg/bench/app" --builder "$reg/$builder" --path "$work/app" \
			--publish --report-json "$work/r.json" "$@"
		[ $rc = 0 ] || continue
		echo "#   phases: $(phases "$work/r.json")"
		[ -z "${total[$scenario]:-}" ] || [ "$wall" -lt "${total[$scenario]}" ] && total[$scenario]=$wall
	done
}
build warm-up bench/builder
build without-extensions bench/builder
build extended-uncached bench/builder-ext "${dockerfiles[@]}"
build extended-cached bench/builder-ext "${dockerfiles[@]}"
base=${total[without-extensions]:-0}
for s in extended-uncached extended-cached; do
	t=${total[$s]:-0}
	[ "$base" -gt 0 ] && [ "$t" -gt 0 ] &&
		echo "# $s: ${t} ms against ${base} ms without extensions, with/without = $(python3 -c "print(round($t/$base, 2))")"
done
tap_done
