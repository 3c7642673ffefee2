#!/usr/bin/env bash
# Guest execution speed: a builder of four Go buildpacks (one static stdlib-only binary each,
# tests/bench/go-buildpack, the shape of Paketo's), detect and build timed in the VM and with the
# host executor in the same run, from --report-json. Cold code translation under TCG dominates
# here, not the boot. Skips without a Go toolchain (Debian: golang-go).
# GOBP_LAYOUT=symlinks (default): bin/detect and bin/build are links to bin/main, as Paketo's
# scripts/build.sh makes them (packit's bin/run likewise); copies: two files, so the build phase
# runs code the guest has never run before. GOBP_RUNS: measured rounds (default 3).
#   bench-go-buildpacks.sh CNB_EXE SOURCE_ROOT     (through with-registry.sh; env from vm_test_env)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
command -v go >/dev/null || { echo "1..0 # SKIP no Go toolchain (apt-get install golang-go)"; exit 0; }
work=$(mktemp -d /tmp/cnb-bench-gobp-XXXXXX)
trap 'rm -rf "$work"' EXIT
export CNB_CACHE_DIR=$work/cache XDG_DATA_HOME=$work/data
HOME=$work GOCACHE=$work/gocache GOPATH=$work/gopath GOPROXY=off GO111MODULE=off CGO_ENABLED=0 \
	go build -o "$work/gobp" "$src/tests/bench/go-buildpack/main.go" || { echo "1..0 # SKIP go build failed"; exit 0; }
"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null
for tag in build run; do "$cnb" copy -q "oci:$work/base:$tag" "docker://$reg/gobp/base:$tag" >/dev/null; done
{
	echo 'description = "four Go buildpacks (bench)"'
	for i in 1 2 3 4; do
		bp=$work/bp$i
		mkdir -p "$bp/bin"
		if [ "${GOBP_LAYOUT:-symlinks}" = copies ]; then
			cp "$work/gobp" "$bp/bin/detect"
			cp "$work/gobp" "$bp/bin/build"
		else
			cp "$work/gobp" "$bp/bin/main"
			ln -s main "$bp/bin/detect"
			ln -s main "$bp/bin/build"
		fi
		printf 'api = "0.10"\n[buildpack]\n  id = "bench/go-%s"\n  version = "0.1.0"\n[[targets]]\n  os = "linux"\n  arch = "amd64"\n' \
			"$i" >"$bp/buildpack.toml"
		printf '[[buildpacks]]\n  uri = "%s"\n' "$bp"
	done
	echo '[[order]]'
	for i in 1 2 3 4; do printf '  [[order.group]]\n    id = "bench/go-%s"\n    version = "0.1.0"\n' "$i"; done
	printf '[build]\n  image = "%s"\n[run]\n  [[run.images]]\n    image = "%s"\n' "$reg/gobp/base:build" "$reg/gobp/base:run"
	printf '[stack]\n  id = "io.libcnb.test"\n  build-image = "%s"\n  run-image = "%s"\n' "$reg/gobp/base:build" "$reg/gobp/base:run"
} >"$work/builder.toml"
"$cnb" builder create "$reg/gobp/builder" --config "$work/builder.toml" --publish >"$work/out" 2>&1 || {
	ok 1 "builder create"
	show "$work/out"
	tap_done
	exit
}
mkdir -p "$work/app"
echo go >"$work/app/go-bench.txt"
. "$(dirname "$0")/../lib/tap.sh"
phase() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['phases_ms'].get(sys.argv[2], 0))" "$1" "$2"; }
# vm-1cpu / vm-2cpu: the VM with that many vCPUs whatever the default is (vm).
executors=(host vm vm-1cpu vm-2cpu)
runs=${GOBP_RUNS:-3}
declare -A all
# Round 0 fills the rootfs cache and saves the VM snapshot; rounds 1..runs are measured. Rounds go
# over every executor in turn, so that a change in the host's load touches them all alike; each
# figure is the fastest of its rounds (the machine may be shared).
for ((run = 0; run <= runs; run++)); do
	for executor in "${executors[@]}"; do
		flags=(--executor "${executor%-*cpu}")
		case $executor in *-*cpu) c=${executor#vm-}; flags+=(--cpus "${c%cpu}") ;; esac
		"$cnb" build "$reg/gobp/app-$executor" --builder "$reg/gobp/builder" --path "$work/app" --publish \
			"${flags[@]}" --report-json "$work/r.json" >"$work/out" 2>&1
		rc=$?
		d=$(phase "$work/r.json" detect) b=$(phase "$work/r.json" build)
		ok $rc "$executor round $run: detect $d ms, build $b ms"
		[ $rc = 0 ] || { show "$work/out" 20; continue; }
		[ "$run" -gt 0 ] && all[$executor-detect]+=" $d" all[$executor-build]+=" $b"
	done
done
fastest() { python3 -c "import sys; v=[int(x) for x in sys.argv[1:]]; print(min(v) if v else 0)" $1; }
for p in detect build; do
	declare -A best=()
	for executor in "${executors[@]}"; do best[$executor]=$(fastest "${all[$executor-$p]:-}"); done
	host=${best[host]}
	[ "$host" -gt 0 ] || continue
	line="# $p (4 Go buildpacks, layout ${GOBP_LAYOUT:-symlinks}, fastest of $runs): host $host ms"
	for executor in vm vm-1cpu vm-2cpu; do
		line+=", $executor ${best[$executor]} ms ($(python3 -c "print(round(${best[$executor]}/$host, 1))")x)"
	done
	echo "$line"
done
echo "# host CPUs: $(nproc), load average $(cut -d" " -f1-3 /proc/loadavg)"
tap_done
