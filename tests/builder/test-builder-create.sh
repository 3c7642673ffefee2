#!/usr/bin/env bash
# Integration test of `cnb builder create` against a real local registry (run by with-registry.sh):
# the builder's labels and file tree, reproducibility, and the validation errors. Prints TAP.
#   test-builder-create.sh CNB_EXE SOURCE_ROOT
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$(dirname "$0")/../lib/tap.sh"
tap_workdir builder-test
tap_out=$work/out # check leaves the output there

"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null
for tag in build run; do
	skopeo copy -q --dest-tls-verify=false "oci:$work/base:$tag" "docker://$reg/test/base:$tag" || { echo "Bail out! skopeo push"; exit 1; }
done
make_config() { # make_config OUT BUILD_TAG [order id]
	sed -e "s|BUILD_IMAGE|$reg/test/base:$2|; s|RUN_IMAGE|$reg/test/base:run|; s|\.\./buildpacks/shell|$src/examples/buildpacks/shell|" \
		-e "s|id = \"examples/shell\"\$|id = \"${3:-examples/shell}\"|" "$src/examples/builder/builder.toml" > "$1"
	printf '\n[[build.env]]\n  name = "BP_GREETING"\n  value = "hi"\n  suffix = "default"\n' >> "$1"
}
make_config "$work/builder.toml" build

check "builder create --publish" "$cnb" builder create "$reg/test/builder:1" --config "$work/builder.toml" --publish
digest1=$(sed -n 's/.*@\(sha256:[0-9a-f]*\)$/\1/p' "$work/out" | tail -1)
check "skopeo inspect reads the builder" skopeo inspect --tls-verify=false --config "docker://$reg/test/builder:1"
cp "$work/out" "$work/config.json"
check "labels have pack's shapes" python3 - "$work/config.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
labels = cfg["config"]["Labels"]
meta = json.loads(labels["io.buildpacks.builder.metadata"])
assert meta["buildpacks"] == [{"id": "examples/shell", "version": "0.1.0", "homepage": "https://example.invalid/libcnb/examples/shell", "name": "Shell app buildpack (libcnb example)"}], meta["buildpacks"]
assert meta["stack"]["runImage"]["image"].endswith("/test/base:run"), meta["stack"]
assert meta["images"][0]["image"].endswith("/test/base:run")
assert "0.15" in meta["lifecycle"]["apis"]["platform"]["supported"]
layers = json.loads(labels["io.buildpacks.buildpack.layers"])
info = layers["examples/shell"]["0.1.0"]
assert info["api"] == "0.10" and info["layerDiffID"] in cfg["rootfs"]["diff_ids"], info
assert json.loads(labels["io.buildpacks.buildpack.order"]) == [{"group": [{"id": "examples/shell", "version": "0.1.0"}]}]
assert labels["io.buildpacks.stack.id"] == "io.libcnb.test"
env = cfg["config"]["Env"]
assert "CNB_USER_ID=1000" in env and "CNB_GROUP_ID=1000" in env, env
layer_history = [h for h in cfg["history"] if not h.get("empty_layer")]
assert len(layer_history) == len(cfg["rootfs"]["diff_ids"]), (layer_history, cfg["rootfs"]["diff_ids"])
assert layer_history[-2]["created_by"] == "Buildpack: examples/shell@0.1.0", layer_history
PY

check "copy the builder to a layout" skopeo copy -q --src-tls-verify=false "docker://$reg/test/builder:1" "oci:$work/layout:b"
check "umoci unpacks it" umoci unpack --image "$work/layout:b" "$work/bundle"
root=$work/bundle/rootfs
check "buildpack in /cnb/buildpacks/<escaped id>/<version>, executable, root-owned" \
	bash -c "[ -x '$root/cnb/buildpacks/examples_shell/0.1.0/bin/build' ] && [ \"\$(stat -c %u:%g:%a '$root/cnb/buildpacks/examples_shell/0.1.0/bin/detect')\" = 0:0:755 ]"
check "order.toml lists the group" grep -q 'id = "examples/shell"' "$root/cnb/order.toml"
check "run.toml names the run image" grep -q "image = \"$reg/test/base:run\"" "$root/cnb/run.toml"
check "stack.toml for older platforms" grep -q '\[run-image\]' "$root/cnb/stack.toml"
check "build-config env with its suffix" bash -c "[ \"\$(cat '$root/cnb/build-config/env/BP_GREETING.default')\" = hi ]"
check "/layers and /workspace owned by the CNB user" \
	bash -c "[ \"\$(stat -c %u:%g '$root/layers')\" = 1000:1000 ] && [ \"\$(stat -c %u:%g '$root/workspace')\" = 1000:1000 ]"

check "second create" "$cnb" builder create "$reg/test/builder:2" --config "$work/builder.toml" --publish
digest2=$(sed -n 's/.*@\(sha256:[0-9a-f]*\)$/\1/p' "$work/out" | tail -1)
[ -n "$digest1" ] && [ "$digest1" = "$digest2" ]; ok $? "same inputs, same builder digest ($digest1)"

check "OCI layout output" "$cnb" builder create "$reg/test/builder:3" --config "$work/builder.toml" --output "oci:$work/out-layout:builder"
grep -q "\"org.opencontainers.image.ref.name\":\"builder\"" "$work/out-layout/index.json"; ok $? "layout index names the tag"

# builder.toml [system], [lifecycle], [[targets]] and an unknown key: used or reported, never dropped silently.
{ echo 'stray = 1'; cat "$work/builder.toml"; printf '\n[system]\n  [system.pre]\n    buildpacks = [{ id = "examples/shell", optional = true }]\n'
  printf '[lifecycle]\n  version = "0.20.0"\n[[targets]]\n  os = "linux"\n  arch = "amd64"\n'; } > "$work/system.toml"
check "create with [system], [lifecycle] and [[targets]]" "$cnb" builder create "$reg/test/builder:sys" \
	--config "$work/system.toml" --output "oci:$work/sys-layout:b"
grep -q '\[lifecycle\] is not used' "$work/out" && grep -q 'unknown key "stray"' "$work/out"
ok $? "[lifecycle] and an unknown key are reported"
umoci unpack --image "$work/sys-layout:b" "$work/sys-bundle" >/dev/null 2>&1 &&
	python3 - "$work/sys-bundle/rootfs/cnb/system.toml" <<'PY'
import sys, tomllib
doc = tomllib.load(open(sys.argv[1], "rb"))
assert doc == {"system": {"pre": {"buildpacks": [{"id": "examples/shell", "version": "0.1.0", "optional": True}]},
                          "post": {"buildpacks": []}}}, doc
PY
ok $? "[system] becomes /cnb/system.toml (platform.md \"system.toml\"), the version filled in"
printf '[[targets]]\n  os = "linux"\n  arch = "arm64"\n' >> "$work/system.toml"
# Without --platform every target gets its manifest: the arm64 one needs an arm64 build image, which
# this amd64-only one is not (the two-arch builder that succeeds is in tests/e2e/test-build-arm64.sh).
"$cnb" builder create "$reg/test/builder:bad" --config "$work/system.toml" --publish >"$work/out" 2>&1
[ $? != 0 ] && grep -q "target linux/arm64.*build image.*not linux/arm64" "$work/out"
ok $? "several [[targets]] without --platform: each target is built, a build image of another platform refused"
check "several [[targets]]: --platform picks one" "$cnb" builder create "$reg/test/builder:one" \
	--config "$work/system.toml" --publish --platform linux/amd64
curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' \
	"http://$reg/v2/test/builder/manifests/one" |
	python3 -c 'import json, sys; m = json.load(sys.stdin); assert "manifests" not in m and "layers" in m, m' &&
	! grep -q "target linux/arm64" "$work/out"
ok $? "--platform linux/amd64 of two targets pushes that one manifest, not an index"
"$cnb" builder create "$reg/test/builder:bad" --config "$work/system.toml" --publish --platform linux/s390x >"$work/out" 2>&1
[ $? != 0 ] && grep -q "linux/s390x is not one of the builder's \[\[targets\]\]" "$work/out"; ok $? "a --platform outside [[targets]] is refused"

make_config "$work/missing.toml" build other/buildpack
"$cnb" builder create "$reg/test/builder:bad" --config "$work/missing.toml" --publish >"$work/out" 2>&1
[ $? != 0 ] && grep -q "other/buildpack.*not among the builder's buildpacks" "$work/out"; ok $? "order naming a missing buildpack is refused"
make_config "$work/nouser.toml" run
"$cnb" builder create "$reg/test/builder:bad" --config "$work/nouser.toml" --publish >"$work/out" 2>&1
[ $? != 0 ] && grep -q "CNB_USER_ID" "$work/out"; ok $? "a build image without CNB_USER_ID is refused"
sed 's/api = "0.10"/api = "0.3"/' "$src/examples/buildpacks/shell/buildpack.toml" > "$work/bp.toml"
mkdir -p "$work/oldbp" && cp -r "$src/examples/buildpacks/shell/bin" "$work/oldbp/" && cp "$work/bp.toml" "$work/oldbp/buildpack.toml"
sed "s|$src/examples/buildpacks/shell|$work/oldbp|" "$work/builder.toml" > "$work/oldapi.toml"
"$cnb" builder create "$reg/test/builder:bad" --config "$work/oldapi.toml" --publish >"$work/out" 2>&1
[ $? != 0 ] && grep -qi "0.7 to 0.12" "$work/out"; ok $? "an unsupported buildpack API is refused with the supported range"
curl -sf "http://$reg/v2/test/builder/manifests/bad" -o /dev/null; [ $? != 0 ]; ok $? "failed creates pushed nothing"
# builder.toml [[targets]] (the multi-arch builder itself is built in tests/e2e/test-build-arm64.sh)
for bad in 'os = "windows"\narch = "amd64"|only linux is supported' 'os = "linux"|targets\[0\] has no arch' \
	'arch = "amd64"\n\n[[targets]]\narch = "amd64"|targets\[1\] repeats linux/amd64'; do
	{ cat "$work/builder.toml"; printf '\n[[targets]]\n%b\n' "${bad%%|*}"; } >"$work/targets.toml"
	"$cnb" builder create "$reg/test/builder:targets" --config "$work/targets.toml" --publish >"$work/out" 2>&1
	created=$? want=${bad#*|}
	[ $created != 0 ] && grep -q "$want" "$work/out"; rc=$?
	ok $rc "bad [[targets]]: ${want//\\/}"; [ $rc = 0 ] || show "$work/out" 2
done

tap_done
