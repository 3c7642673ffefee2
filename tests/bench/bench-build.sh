#!/usr/bin/env bash
# Build benchmark: cold build, warm rebuild (no change) and rebuild after a one-file change of the
# sample app, each broken down by phase (from --report-json), with the VM and the host executor in
# the same run. Prints TAP with the numbers as comments, and the VM/host ratio per scenario.
#   bench-build.sh CNB_EXE SOURCE_ROOT     (through with-registry.sh; env from vm_test_env)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$src/tests/lib/build-tap.sh"
tap_workdir bench-build

"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null
for tag in build run; do "$cnb" copy -q "oci:$work/base:$tag" "docker://$reg/bench/base:$tag" >/dev/null 2>&1 || "$cnb" copy "oci:$work/base:$tag" "docker://$reg/bench/base:$tag" >/dev/null; done
sed -e "s|BUILD_IMAGE|$reg/bench/base:build|; s|RUN_IMAGE|$reg/bench/base:run|; s|\.\./buildpacks/shell|$src/examples/buildpacks/shell|" \
	"$src/examples/builder/builder.toml" > "$work/builder.toml"
"$cnb" builder create "$reg/bench/builder" --config "$work/builder.toml" --publish >/dev/null

declare -A total
for executor in vm host; do
	cp -r "$src/examples/sample-app" "$work/app-$executor"
	rm -rf "$CNB_CACHE_DIR/rootfs" "$CNB_CACHE_DIR/build-cache"
	for scenario in cold warm one-file-change; do
		[ $scenario = one-file-change ] && echo "echo changed" >> "$work/app-$executor/app.sh"
		timed "$executor $scenario" "$cnb" build "$reg/bench/app-$executor" --builder "$reg/bench/builder" \
			--path "$work/app-$executor" --publish --executor $executor --report-json "$work/r.json"
		[ $rc = 0 ] || continue
		echo "#   phases: $(phases "$work/r.json")"
		total[$executor-$scenario]=$wall
	done
done
for scenario in cold warm one-file-change; do
	vm=${total[vm-$scenario]:-0} host=${total[host-$scenario]:-0}
	[ "$host" -gt 0 ] && echo "# $scenario: vm ${vm} ms, host ${host} ms, vm/host = $(python3 -c "print(round($vm/$host, 1))")"
done
tap_done
