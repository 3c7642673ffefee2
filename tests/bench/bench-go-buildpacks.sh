#!/usr/bin/env bash
# Guest execution speed: a builder of four Go buildpacks (one static stdlib-only binary each,
# tests/bench/go-buildpack, the shape of Paketo's), detect and build timed in the VM and with the
# host executor in the same run, from --report-json. Cold code translation under TCG dominates
# here, not the boot. Skips without a Go toolchain (Debian: golang-go).
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
		cp "$work/gobp" "$bp/bin/detect"
		cp "$work/gobp" "$bp/bin/build"
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
declare -A ms
# vm-1cpu: the VM as it was sized before vCPUs followed the host (one vCPU)
for executor in host vm-1cpu vm; do
	flags=(--executor "${executor%-1cpu}")
	[ "$executor" = vm-1cpu ] && flags+=(--cpus 1)
	for run in 1 2; do # run 2: the rootfs is cached, and in the VM the boot is a snapshot restore
		"$cnb" build "$reg/gobp/app-$executor" --builder "$reg/gobp/builder" --path "$work/app" --publish \
			"${flags[@]}" --report-json "$work/r.json" >"$work/out" 2>&1
		rc=$?
		ok $rc "$executor build $run: detect $(phase "$work/r.json" detect) ms, build $(phase "$work/r.json" build) ms"
		[ $rc = 0 ] || { show "$work/out" 20; continue; }
		ms[$executor-detect]=$(phase "$work/r.json" detect) ms[$executor-build]=$(phase "$work/r.json" build)
	done
done
for p in detect build; do
	vm=${ms[vm-$p]:-0} vm1=${ms[vm-1cpu-$p]:-0} host=${ms[host-$p]:-0}
	[ "$host" -gt 0 ] && echo "# $p (4 Go buildpacks, second build): vm ${vm} ms, vm with 1 vCPU ${vm1} ms, host ${host} ms;" \
		"vm/host = $(python3 -c "print(round($vm/$host, 1))"), 1-vCPU vm/host = $(python3 -c "print(round($vm1/$host, 1))")"
done
echo "# vCPUs in the VM: $(nproc) host CPUs -> default $( [ "$(nproc)" -gt 8 ] && echo 8 || nproc )"
tap_done
