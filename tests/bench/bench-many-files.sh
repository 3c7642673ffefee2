#!/usr/bin/env bash
# Many-files benchmark (real apps: node_modules, venvs, Maven repositories), host and VM executor
# in the same run, each build broken down by phase (from --report-json):
#   app:            an app of 400 packages x 50 files of 1 KB (20,000 files) that the buildpack
#                   only reads (`find . -type f`)
#   layer:          a small app whose buildpack writes 20,000 files of 1 KB into a launch+cache
#                   layer, as `npm install` does
#   layer-rebuild:  the same again: the layer comes back from the cache
# Prints TAP with the numbers as comments and the VM/host ratio per scenario, with the load average
# (the machine may be shared: other processes only ever add time).
#   bench-many-files.sh CNB_EXE SOURCE_ROOT   (through with-registry.sh; env from vm_test_env)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP the host executor needs root"; exit 77; }
. "$src/tests/lib/build-tap.sh"
tap_workdir bench-files
fixture=$src/tests/fixtures/many-files

"$fixture/publish-builder.sh" "$cnb" "$src" "$reg" bench-files "$work" || { echo "Bail out! builder"; exit 1; }
"$fixture/make-app.sh" "$work/app" 400 50
mkdir -p "$work/layer-app" && echo "400 50" > "$work/layer-app/layer-files"

declare -A total
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for executor in host vm; do
	rm -rf "$CNB_CACHE_DIR/build-cache"
	for scenario in app layer layer-rebuild; do
		app=$work/app; [ $scenario = app ] || app=$work/layer-app # layer-rebuild: same image, its cache
		timed "$executor $scenario" "$cnb" build "$reg/bench/files-${scenario%-rebuild}-$executor" \
			--builder "$reg/bench-files/builder" --path "$app" --publish --executor $executor --report-json "$work/r.json"
		[ $rc = 0 ] || continue
		echo "#   phases: $(phases "$work/r.json")"
		grep -E "app files|deps (written|restored)" "$work/out" | sed 's/^/#   /'
		total[$executor-$scenario]=$wall
	done
done
for scenario in app layer layer-rebuild; do
	vm=${total[vm-$scenario]:-0} host=${total[host-$scenario]:-0}
	[ "$host" -gt 0 ] && echo "# $scenario: vm ${vm} ms, host ${host} ms, vm/host = $(python3 -c "print(round($vm/$host, 1))")"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
tap_done
