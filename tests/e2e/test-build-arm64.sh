#!/usr/bin/env bash
# End-to-end on an amd64 + arm64 test stack (base images from Debian's busybox-static and
# bash-static of both architectures, tests/fixtures/make-base-images.sh, pushed under one index) on
# any host: `cnb run` of the index picks the host's platform or --platform's; a two-arch builder
# from builder.toml [[targets]] (an index); an app built with --platform linux/arm64 in the emulated
# arm64 VM (its buildpack reports `uname -m`), an image whose config says arm64 and whose launcher
# is an arm64 program, `cnb run --platform linux/arm64` running it, and the host executor refusing
# it. Prints TAP.
#   test-build-arm64.sh CNB_EXE SOURCE_ROOT [SKIP_REASON]   (run through with-registry.sh)
set -u
cnb=$1 src=$2 skip=${3:-}
. "$src/tests/lib/build-tap.sh"
[ -z "$skip" ] || tap_skip_all "arm64 guest not built: $skip"
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
tap_workdir e2e-arm64

# base:build and base:run: an OCI index over the amd64 and arm64 images
"$src/tests/lib/push-two-arch-base.sh" "$cnb" "$src" "$work" arm >"$work/base.out" 2>&1 ||
	{ show "$work/base.out"; echo "Bail out! two-arch base images"; exit 1; }
if [ "$(id -u)" = 0 ]; then
	run runindex "$cnb" run --executor host --network none "docker://$reg/arm/base:run" -- uname -m
	[ $rc = 0 ] && [ "$(cat "$work/runindex.out")" = "$(uname -m)" ]
	ok $? "cnb run of an index runs the host's platform ($(cat "$work/runindex.out"))"
fi
start=$(date +%s%N)
run runindexarm "$cnb" run --platform linux/arm64 --network none "docker://$reg/arm/base:run" -- uname -m
echo "# arm64 cnb run of a base image: $(ms "$start") ms"
[ $rc = 0 ] && [ "$(cat "$work/runindexarm.out")" = aarch64 ]
ok $? "cnb run --platform linux/arm64 of the index runs the arm64 image"; show "$work/runindexarm.out" 5
cp -r "$src/examples/buildpacks/shell" "$work/bp"
echo 'echo "---> build arch: $(uname -m)"' >>"$work/bp/bin/build"
printf '\n[[targets]]\n  os = "linux"\n  arch = "arm64"\n' >>"$work/bp/buildpack.toml"
sed -e "s|BUILD_IMAGE|$reg/arm/base:build|; s|RUN_IMAGE|$reg/arm/base:run|; s|\.\./buildpacks/shell|$work/bp|" \
	"$src/examples/builder/builder.toml" >"$work/builder.toml"
printf '\n[[targets]]\nos = "linux"\narch = "amd64"\n\n[[targets]]\nos = "linux"\narch = "arm64"\n' >>"$work/builder.toml"
run builder "$cnb" builder create "$reg/arm/builder" --config "$work/builder.toml" --publish
ok $rc "builder create with two [[targets]]"; [ $rc = 0 ] || show "$work/builder.out"
skopeo inspect --tls-verify=false --raw "docker://$reg/arm/builder" >"$work/builder-index.json" 2>&1
python3 - "$work/builder-index.json" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))
assert i["mediaType"] == "application/vnd.oci.image.index.v1+json", i.get("mediaType")
assert sorted(m["platform"]["architecture"] for m in i["manifests"]) == ["amd64", "arm64"], i["manifests"]
PY
rc=$?
ok $rc "the builder is an OCI index with an amd64 and an arm64 manifest"; [ $rc = 0 ] || show "$work/builder-index.json" 3
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

run runwrong "$cnb" run --platform linux/amd64 "docker://$reg/arm/app"
[ $rc != 0 ] && grep -q "the image is linux/arm64, not linux/amd64" "$work/runwrong.out"
ok $? "cnb run --platform linux/amd64 of the arm64-only app image is refused (exit $rc)"; show "$work/runwrong.out" 3
run buildwrong "$cnb" build "$reg/arm/wrong" --builder "$reg/arm/base:build-arm64" --path "$work/app" --publish \
	--platform linux/amd64
[ $rc != 0 ] && grep -q "builder: the image is linux/arm64, not linux/amd64" "$work/buildwrong.out"
ok $? "a build for linux/amd64 with an arm64-only builder is refused (exit $rc)"; show "$work/buildwrong.out" 3

if [ "$(uname -m)" = x86_64 ] && [ "$(id -u)" = 0 ]; then
	run runhost "$cnb" run --executor host "docker://$reg/arm/app"
	[ $rc != 0 ] && grep -q "host executor runs only amd64.*not arm64" "$work/runhost.out"
	ok $? "the host executor refuses the arm64 image clearly (exit $rc)"; show "$work/runhost.out" 3
fi
tap_done
