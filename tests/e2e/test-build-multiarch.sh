#!/usr/bin/env bash
# A two-platform build on any host: `cnb build --platform linux/amd64,linux/arm64` with a builder
# from builder.toml [[targets]] over the amd64 + arm64 test stack (tests/lib/push-two-arch-base.sh)
# pushes one OCI image index with both manifests (read back through the registry API and `cnb
# inspect`), the buildpack runs on x86_64 and on aarch64, `cnb run` of the index runs the host's
# image and `--platform linux/arm64` the arm64 one; the --cache-image is an index of per-platform
# caches; a second build reuses every layer per platform and gives the same index. Also a
# single-platform amd64 build in the same run, for the wall-time comparison. Prints TAP.
#   test-build-multiarch.sh CNB_EXE SOURCE_ROOT [SKIP_REASON]   (run through with-registry.sh)
set -u
cnb=$1 src=$2 skip=${3:-}
. "$src/tests/lib/build-tap.sh"
[ -z "$skip" ] || tap_skip_all "arm64 guest not built: $skip"
[ "$(uname -m)" = x86_64 ] || tap_skip_all "the expectations (run picks amd64) are written for an x86_64 host"
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
tap_workdir e2e-multiarch

"$src/tests/lib/push-two-arch-base.sh" "$cnb" "$src" "$work" multi >"$work/base.out" 2>&1 ||
	{ show "$work/base.out"; echo "Bail out! two-arch base images"; exit 1; }
cp -r "$src/examples/buildpacks/shell" "$work/bp"
echo 'echo "---> build arch: $(uname -m)"' >>"$work/bp/bin/build"
printf '\n[[targets]]\n  os = "linux"\n  arch = "arm64"\n' >>"$work/bp/buildpack.toml"
sed -e "s|BUILD_IMAGE|$reg/multi/base:build|; s|RUN_IMAGE|$reg/multi/base:run|; s|\.\./buildpacks/shell|$work/bp|" \
	"$src/examples/builder/builder.toml" >"$work/builder.toml"
printf '\n[[targets]]\nos = "linux"\narch = "amd64"\n\n[[targets]]\nos = "linux"\narch = "arm64"\n' >>"$work/builder.toml"
run builder "$cnb" builder create "$reg/multi/builder" --config "$work/builder.toml" --publish
[ $rc = 0 ] || { show "$work/builder.out"; echo "Bail out! two-arch builder"; exit 1; }
mkdir "$work/app"
printf 'echo "Hello from $(uname -m)"\necho "args: $*"\n' >"$work/app/app.sh"

start=$(date +%s%N)
run single "$cnb" build "$reg/multi/single" --builder "$reg/multi/builder" --path "$work/app" --publish \
	--platform linux/amd64
single_ms=$(ms "$start")
ok $rc "a one-platform amd64 build, for comparison ($single_ms ms)"; [ $rc = 0 ] || show "$work/single.out"

build_two() { # build_two NAME: the two-platform build, published with a cache image and a tag
	run "$1" "$cnb" build "$reg/multi/app" --builder "$reg/multi/builder" --path "$work/app" --publish \
		--platform linux/amd64,linux/arm64 --cache-image "$reg/multi/cache" --tag v1 --report-json "$work/$1.json"
}
start=$(date +%s%N)
build_two build1
two_ms=$(ms "$start")
echo "# two-platform build (amd64 + emulated arm64): $two_ms ms; one-platform amd64: $single_ms ms"
ok $rc "build --platform linux/amd64,linux/arm64 --publish ($two_ms ms)"; [ $rc = 0 ] || show "$work/build1.out"
python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print("# per platform (report):", "; ".join("%s phases %d ms (lifecycle %d ms), VM boot %d ms" % (p["platform"],
      sum(p["phases_ms"].values()), sum(v for k, v in p["phases_ms"].items() if k in ("setup", "detect", "restore", "build", "export")),
      p["boot_ms"]) for p in r["platforms"]))' \
	"$work/build1.json" 2>/dev/null
d1=$(digest_of build1)
grep -q -- "---> build arch: x86_64" "$work/build1.out" && grep -q -- "---> build arch: aarch64" "$work/build1.out"
ok $? "the buildpack ran on x86_64 and on aarch64"; grep -- "build arch" "$work/build1.out" | sed 's/^/#   /'

# The registry API: the tag (and --tag v1) names an index with one manifest per platform, each of
# whose configs says that platform.
python3 - "$reg" "$d1" >"$work/index.out" 2>&1 <<'PY'
import json, sys, urllib.request
reg, digest = sys.argv[1:3]
idx_mt, man_mt = "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json"
def get(path, accept):
    req = urllib.request.Request(f"http://{reg}/v2/multi/app/{path}", headers={"Accept": accept})
    with urllib.request.urlopen(req) as r:
        return r.headers.get("Docker-Content-Digest"), json.load(r)
got, index = get("manifests/latest", idx_mt)
assert index["mediaType"] == idx_mt and got == digest, (index.get("mediaType"), got, digest)
assert get("manifests/v1", idx_mt)[0] == digest, "the tag v1 names another manifest"
archs = {}
for m in index["manifests"]:
    _, man = get("manifests/" + m["digest"], man_mt)
    _, cfg = get("blobs/" + man["config"]["digest"], "*/*")
    assert (cfg["os"], cfg["architecture"]) == (m["platform"]["os"], m["platform"]["architecture"]), (cfg["architecture"], m)
    archs[cfg["architecture"]] = m["digest"]
assert sorted(archs) == ["amd64", "arm64"], archs
print(archs["amd64"], archs["arm64"])
PY
rc=$?
ok $rc "the registry holds an index (latest and v1) with an amd64 and an arm64 manifest, configs to match"
[ $rc = 0 ] || show "$work/index.out"
read -r amd_digest arm_digest <"$work/index.out"
run inspect "$cnb" inspect --output raw --platform linux/arm64 "docker://$reg/multi/app"
python3 -c 'import json,sys; i=json.load(open(sys.argv[1])); sys.exit(0 if i["digest"] == sys.argv[2] and i["indexDigest"] == sys.argv[3] else 1)' \
	"$work/inspect.out" "$arm_digest" "$d1" 2>/dev/null
rc=$?; ok $rc "cnb inspect --platform linux/arm64 picks the arm64 manifest from the index"; [ $rc = 0 ] || show "$work/inspect.out" 5

run runhost "$cnb" run "docker://$reg/multi/app" -- one
[ $rc = 0 ] && grep -q "^Hello from x86_64$" "$work/runhost.out" && grep -q "^args: one$" "$work/runhost.out"
ok $? "cnb run of the index runs the amd64 image here"; show "$work/runhost.out" 3
start=$(date +%s%N)
run runarm "$cnb" run --platform linux/arm64 "docker://$reg/multi/app" -- two
echo "# arm64 cnb run: $(ms "$start") ms"
[ $rc = 0 ] && grep -q "^Hello from aarch64$" "$work/runarm.out" && grep -q "^args: two$" "$work/runarm.out"
ok $? "cnb run --platform linux/arm64 of the index runs the arm64 image (uname -m = aarch64)"; show "$work/runarm.out" 3

skopeo inspect --tls-verify=false --raw "docker://$reg/multi/cache" >"$work/cache-index.json" 2>&1
python3 - "$work/cache-index.json" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))
assert i["mediaType"] == "application/vnd.oci.image.index.v1+json", i.get("mediaType")
assert sorted(m["platform"]["architecture"] for m in i["manifests"]) == ["amd64", "arm64"], i["manifests"]
PY
rc=$?; ok $rc "the --cache-image is an index of an amd64 and an arm64 cache"; [ $rc = 0 ] || show "$work/cache-index.json" 3

start=$(date +%s%N)
build_two build2
rebuild_ms=$(ms "$start")
d2=$(digest_of build2)
[ $rc = 0 ] && [ "$d1" = "$d2" ]; ok $? "the unchanged rebuild gives the same index ($d2)"; [ $rc = 0 ] || show "$work/build2.out"
[ "$(grep -c "build number 2 (cached" "$work/build2.out")" = 2 ]
ok $? "each platform's cache came back from the cache image (build number 2 twice)"
python3 - "$work/build2.json" "$amd_digest" "$arm_digest" >"$work/reuse.out" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
by = {p["platform"]: p for p in r["platforms"]}
assert sorted(by) == ["linux/amd64", "linux/arm64/v8"] or sorted(by) == ["linux/amd64", "linux/arm64"], sorted(by)
for name, p in by.items():
    print(name, p["layers"])
    assert p["layers"]["added"] == 0 and p["layers"]["reused"] >= 3, (name, p["layers"])
assert by["linux/amd64"]["digest"] == sys.argv[2], by["linux/amd64"]
assert [p for n, p in by.items() if n.startswith("linux/arm64")][0]["digest"] == sys.argv[3]
PY
rc=$?
ok $rc "the rebuild reuses every layer per platform, from that platform's previous image"; show "$work/reuse.out" 4
start=$(date +%s%N)
run single2 "$cnb" build "$reg/multi/single" --builder "$reg/multi/builder" --path "$work/app" --publish \
	--platform linux/amd64
echo "# warm: two-platform rebuild $rebuild_ms ms; one-platform amd64 rebuild $(ms "$start") ms (exit $rc)"
# The tag now names an amd64 image: an arm64 build to it must not take layers from it.
run crossprev "$cnb" build "$reg/multi/single" --builder "$reg/multi/builder" --path "$work/app" --publish \
	--platform linux/arm64 --report-json "$work/crossprev.json"
[ $rc = 0 ] && grep -q "previous image .*linux/amd64, not linux/arm64.*building without it" "$work/crossprev.out" &&
	python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["layers"]["reused"] == 0 else 1)' "$work/crossprev.json"
ok $? "an arm64 build over an amd64 previous image reuses none of its layers, and says why"
grep "previous image" "$work/crossprev.out" | sed 's/^/#   /'

# Without --publish: the local image store (an OCI layout) gets the index; `cnb run NAME` finds it.
run local "$cnb" build multi/local --builder "$reg/multi/builder" --path "$work/app" --platform linux/amd64,linux/arm64
ok $rc "a two-platform build into the local image store"; [ $rc = 0 ] || show "$work/local.out"
run images "$cnb" images
grep -q "^multi/local .*linux/amd64,linux/arm64" "$work/images.out"; ok $? "cnb images lists it with both platforms"
show "$work/images.out" 5
run runlocal "$cnb" run multi/local
run runlocalarm "$cnb" run --platform linux/arm64 multi/local
grep -q "^Hello from x86_64$" "$work/runlocal.out" && grep -q "^Hello from aarch64$" "$work/runlocalarm.out"
ok $? "cnb run of the stored index: amd64 by default, arm64 with --platform"; show "$work/runlocal.out" 3; show "$work/runlocalarm.out" 3

run dockerarchive "$cnb" build "$reg/multi/nothing" --builder "$reg/multi/builder" --path "$work/app" \
	--platform linux/amd64,linux/arm64 --output "docker-archive:$work/app.tar"
[ $rc != 0 ] && grep -q "a docker-archive holds one platform" "$work/dockerarchive.out"
ok $? "two platforms into a docker-archive are refused before building (exit $rc)"; show "$work/dockerarchive.out" 3
tap_done
