#!/usr/bin/env bash
# End-to-end on an arm64 test stack (Debian's arm64 busybox-static and bash-static, see
# tests/fixtures/make-base-images.sh) on any host: a builder made from it, an app built with
# --platform linux/arm64 in the emulated arm64 VM (its buildpack reports `uname -m`), an image whose
# config says arm64 and whose launcher is an arm64 program, `cnb run --platform linux/arm64`
# running it, and the host executor refusing it. Prints TAP.
#   test-build-arm64.sh CNB_EXE SOURCE_ROOT [SKIP_REASON]   (run through with-registry.sh)
set -u
cnb=$1 src=$2 skip=${3:-}
if [ -n "$skip" ]; then
	echo "1..0 # SKIP arm64 guest not built: $skip"
	exit 0
fi
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$(dirname "$0")/../lib/tap.sh"
tap_workdir e2e-arm64
run() { # run NAME CMD...: output in $work/NAME.out, exit code in $rc
	local name=$1; shift
	"$@" >"$work/$name.out" 2>&1; rc=$?
}
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

"$src/tests/fixtures/make-base-images.sh" "$work/base" arm64 >/dev/null || { echo "Bail out! arm64 base images"; exit 1; }
for tag in build run; do
	"$cnb" copy -q "oci:$work/base:$tag" "docker://$reg/arm/base:$tag" >/dev/null || { echo "Bail out! push base:$tag"; exit 1; }
done
cp -r "$src/examples/buildpacks/shell" "$work/bp"
echo 'echo "---> build arch: $(uname -m)"' >>"$work/bp/bin/build"
printf '\n[[targets]]\n  os = "linux"\n  arch = "arm64"\n' >>"$work/bp/buildpack.toml"
sed -e "s|BUILD_IMAGE|$reg/arm/base:build|; s|RUN_IMAGE|$reg/arm/base:run|; s|\.\./buildpacks/shell|$work/bp|" \
	"$src/examples/builder/builder.toml" >"$work/builder.toml"
"$cnb" builder create -q "$reg/arm/builder" --config "$work/builder.toml" --publish >/dev/null ||
	{ echo "Bail out! builder create"; exit 1; }
cp -r "$src/examples/sample-app" "$work/app"

start=$(date +%s%N)
run build "$cnb" build "$reg/arm/app" --builder "$reg/arm/builder" --path "$work/app" --publish --platform linux/arm64
echo "# arm64 VM build: $(ms "$start") ms"
ok $rc "build with --platform linux/arm64 in the VM"; [ $rc = 0 ] || show "$work/build.out"
grep -q -- "---> build arch: aarch64" "$work/build.out"
ok $? "the buildpack ran on aarch64 (uname -m)"; grep -- "build arch" "$work/build.out" | sed 's/^/#   /'

skopeo inspect --tls-verify=false --config "docker://$reg/arm/app" >"$work/config.json" 2>&1
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(0 if (c["os"], c["architecture"]) == ("linux", "arm64") else 1)' \
	"$work/config.json"
ok $? "the image config says linux/arm64"
skopeo copy -q --src-tls-verify=false "docker://$reg/arm/app" "oci:$work/layout:app" >"$work/umoci.out" 2>&1 &&
	umoci unpack --image "$work/layout:app" "$work/bundle" >>"$work/umoci.out" 2>&1
# ELF e_machine (bytes 18-19): 0xb7 = EM_AARCH64
machine=$(od -An -tx1 -j18 -N2 "$work/bundle/rootfs/cnb/lifecycle/launcher" 2>/dev/null | tr -d ' ')
[ "$machine" = b700 ]; ok $? "the launcher layer holds the arm64 launcher (e_machine $machine)"; show "$work/umoci.out" 5

start=$(date +%s%N)
run runarm "$cnb" run --platform linux/arm64 "docker://$reg/arm/app" -- one two
echo "# arm64 cnb run: $(ms "$start") ms"
[ $rc = 0 ] && grep -q "^Hello, world from a daemonless build$" "$work/runarm.out" && grep -q "^args: one two$" "$work/runarm.out"
ok $? "cnb run --platform linux/arm64 runs it through the arm64 launcher"; [ $rc = 0 ] || show "$work/runarm.out"

if [ "$(uname -m)" = x86_64 ] && [ "$(id -u)" = 0 ]; then
	run runhost "$cnb" run --executor host "docker://$reg/arm/app"
	[ $rc != 0 ] && grep -q "host executor runs only amd64.*not arm64" "$work/runhost.out"
	ok $? "the host executor refuses the arm64 image clearly (exit $rc)"; show "$work/runhost.out" 3
fi
tap_done
