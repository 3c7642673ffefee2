#!/usr/bin/env bash
# Integration test of `cnb buildpack package` and of builders made from buildpackages, against a real
# local registry (run by with-registry.sh): .cnb files and images that skopeo and umoci read, pack's
# label shapes, layers shared with builders made from directories, reproducibility, validation, and a
# host-executor build through a builder made from a .cnb. Prints TAP.
#   test-buildpack-package.sh CNB_EXE SOURCE_ROOT
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$(dirname "$0")/../lib/tap.sh"
tap_workdir bp-package-test
tap_out=$work/out # check leaves the output there
# refused MSG PATTERN CMD...: CMD fails and says PATTERN
refused() { local msg=$1 pat=$2; shift 2; "$@" >"$work/out" 2>&1; local rc=$?
	[ $rc != 0 ] && grep -q -- "$pat" "$work/out"; local r=$?; ok $r "$msg"; [ $r = 0 ] || sed 's/^/# /' "$work/out"; }
digest_of() { sed -n 's/.*@\(sha256:[0-9a-f]*\)$/\1/p' "$work/out" | tail -1; }
shell_bp=$src/examples/buildpacks/shell

"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null
for tag in build run; do
	skopeo copy -q --dest-tls-verify=false "oci:$work/base:$tag" "docker://$reg/test/base:$tag" || { echo "Bail out! skopeo push"; exit 1; }
done
printf '[buildpack]\nuri = "%s"\n\n[platform]\nos = "linux"\n' "$shell_bp" > "$work/package.toml"

check "package to a .cnb file" "$cnb" buildpack package "$work/shell.cnb" --config "$work/package.toml" --format file
file_digest=$(digest_of)
check "package to an image (--publish)" "$cnb" buildpack package "$reg/test/shell-pkg:1" --config "$work/package.toml" --publish
image_digest=$(digest_of)
[ -n "$file_digest" ] && [ "$file_digest" = "$image_digest" ]; ok $? "the .cnb and the image are the same image ($file_digest)"
check "package again" "$cnb" buildpack package "$work/shell2.cnb" --config "$work/package.toml" --format file
check "same inputs, byte-identical .cnb" cmp "$work/shell.cnb" "$work/shell2.cnb"
"$cnb" buildpack package "$reg/test/shell-pkg:2" --config "$work/package.toml" --publish >"$work/out" 2>&1
[ "$(digest_of)" = "$image_digest" ]; ok $? "same inputs, same image digest"
check "package to the local image store" "$cnb" buildpack package "test/shell-pkg:local" --config "$work/package.toml"

check "skopeo reads the .cnb (oci-archive)" skopeo inspect --config "oci-archive:$work/shell.cnb"
cp "$work/out" "$work/file-config.json"
check "skopeo reads the image" skopeo inspect --tls-verify=false --config "docker://$reg/test/shell-pkg:1"
cp "$work/out" "$work/image-config.json"
check "labels have pack's shapes" python3 - "$work/file-config.json" "$work/image-config.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
assert cfg == json.load(open(sys.argv[2]))
labels = cfg["config"]["Labels"]
meta = json.loads(labels["io.buildpacks.buildpackage.metadata"])
assert meta["id"] == "examples/shell" and meta["version"] == "0.1.0", meta
layers = json.loads(labels["io.buildpacks.buildpack.layers"])
assert list(layers) == ["examples/shell"] and list(layers["examples/shell"]) == ["0.1.0"], layers
info = layers["examples/shell"]["0.1.0"]
assert info["api"] == "0.10" and info["layerDiffID"] == cfg["rootfs"]["diff_ids"][0], info
assert len(cfg["rootfs"]["diff_ids"]) == 1 and cfg["os"] == "linux", cfg
PY
check "copy the .cnb to a layout" skopeo copy -q "oci-archive:$work/shell.cnb" "oci:$work/layout:pkg"
check "umoci unpacks it" umoci unpack --image "$work/layout:pkg" "$work/bundle"
check "the buildpack in /cnb/buildpacks/<escaped id>/<version>, executable" \
	test -x "$work/bundle/rootfs/cnb/buildpacks/examples_shell/0.1.0/bin/build"

# Builders from the directory, the .cnb and the image share the buildpack's layer.
make_builder() { # make_builder OUT URI [id]
	sed -e "s|BUILD_IMAGE|$reg/test/base:build|; s|RUN_IMAGE|$reg/test/base:run|; s|\"\.\./buildpacks/shell\"|\"$2\"|" \
		"$src/examples/builder/builder.toml" > "$1"
	[ -z "${3:-}" ] || sed -i "s|^  uri = \"$2\"|&\n  id = \"$3\"|" "$1"
}
make_builder "$work/b-dir.toml" "$shell_bp"
make_builder "$work/b-file.toml" "$work/shell.cnb" examples/shell
make_builder "$work/b-image.toml" "docker://$reg/test/shell-pkg:1"
for kind in dir file image; do
	check "builder from the $kind" "$cnb" builder create "$reg/test/builder-$kind" --config "$work/b-$kind.toml" --publish
	skopeo inspect --tls-verify=false --config "docker://$reg/test/builder-$kind" > "$work/builder-$kind.json"
done
check "the three builders have the package's layer for examples/shell" python3 - "$work" <<'PY'
import json, sys
ids = set()
for kind in ("dir", "file", "image"):
    cfg = json.load(open(f"{sys.argv[1]}/builder-{kind}.json"))
    info = json.loads(cfg["config"]["Labels"]["io.buildpacks.buildpack.layers"])["examples/shell"]["0.1.0"]
    assert info["layerDiffID"] in cfg["rootfs"]["diff_ids"], (kind, info)
    ids.add(info["layerDiffID"])
pkg = json.load(open(f"{sys.argv[1]}/file-config.json"))
assert ids == {pkg["rootfs"]["diff_ids"][0]}, ids
PY

# A composite buildpack whose order names the .cnb's buildpack.
mkdir -p "$work/meta"
printf 'api = "0.10"\n[buildpack]\nid = "examples/meta"\nversion = "1.0.0"\n[[order]]\n[[order.group]]\nid = "examples/shell"\nversion = "0.1.0"\n' > "$work/meta/buildpack.toml"
printf '[buildpack]\nuri = "meta"\n[[dependencies]]\nuri = "shell.cnb"\n' > "$work/meta.toml"
check "package a composite with a .cnb dependency" "$cnb" buildpack package "$work/meta.cnb" --config "$work/meta.toml" --format file
check "composite package: two layers, the dependency's kept" bash -c "skopeo inspect --config 'oci-archive:$work/meta.cnb' | python3 -c '
import json, sys
cfg = json.load(sys.stdin); layers = json.loads(cfg[\"config\"][\"Labels\"][\"io.buildpacks.buildpack.layers\"])
assert sorted(layers) == [\"examples/meta\", \"examples/shell\"] and len(cfg[\"rootfs\"][\"diff_ids\"]) == 2, layers
assert layers[\"examples/meta\"][\"1.0.0\"][\"order\"] == [{\"group\": [{\"id\": \"examples/shell\", \"version\": \"0.1.0\"}]}]
assert json.loads(cfg[\"config\"][\"Labels\"][\"io.buildpacks.buildpackage.metadata\"])[\"id\"] == \"examples/meta\"'"
printf '[buildpack]\nuri = "meta"\n' > "$work/meta-alone.toml"
refused "a composite without its dependency is refused" "examples/shell.*not among" \
	"$cnb" buildpack package "$work/bad.cnb" --config "$work/meta-alone.toml" --format file

# Validation of what builder.toml takes from packages.
make_builder "$work/b-wrongid.toml" "$work/shell.cnb" other/bp
refused "builder.toml id not in the package is refused" "has no buildpack other/bp" \
	"$cnb" builder create "$reg/test/bad" --config "$work/b-wrongid.toml" --publish
sed 's/version = "0.1.0"/version = "9.9.9"/' "$work/b-file.toml" > "$work/b-wrongver.toml"
refused "order naming a version the package lacks is refused" "examples/shell@9.9.9.*not among" \
	"$cnb" builder create "$reg/test/bad" --config "$work/b-wrongver.toml" --publish
tar -cf "$work/notpkg.cnb" -C "$src/examples/buildpacks" shell
make_builder "$work/b-notpkg.toml" "$work/notpkg.cnb"
refused "a .cnb that is no OCI layout is refused" "not a buildpackage" \
	"$cnb" builder create "$reg/test/bad" --config "$work/b-notpkg.toml" --publish
skopeo copy -q "oci:$work/base:run" "oci:$work/plain:run" && tar -cf "$work/plain.cnb" -C "$work/plain" oci-layout index.json blobs
sed -i "s|^  uri = .*|  uri = \"$work/plain.cnb\"|" "$work/b-notpkg.toml"
refused "an image that is no buildpackage is refused" "not a buildpackage: no valid io.buildpacks.buildpackage.metadata" \
	"$cnb" builder create "$reg/test/bad" --config "$work/b-notpkg.toml" --publish
mkdir -p "$work/evil" && tar -xf "$work/shell.cnb" -C "$work/evil"
python3 - "$work/evil" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
def put(data):
    h = hashlib.sha256(data).hexdigest(); open(f"{d}/blobs/sha256/{h}", "wb").write(data); return "sha256:" + h, len(data)
index = json.load(open(f"{d}/index.json"))
man = json.load(open(f"{d}/blobs/sha256/" + index["manifests"][0]["digest"][7:]))
cfg = json.load(open(f"{d}/blobs/sha256/" + man["config"]["digest"][7:]))
layers = json.loads(cfg["config"]["Labels"]["io.buildpacks.buildpack.layers"])
layers["examples/shell"]["0.1.0"]["api"] = "0.3"
cfg["config"]["Labels"]["io.buildpacks.buildpack.layers"] = json.dumps(layers)
man["config"]["digest"], man["config"]["size"] = put(json.dumps(cfg).encode())
index["manifests"][0]["digest"], index["manifests"][0]["size"] = put(json.dumps(man).encode())
json.dump(index, open(f"{d}/index.json", "w"))
PY
tar -cf "$work/oldapi.cnb" -C "$work/evil" oci-layout index.json blobs
make_builder "$work/b-oldapi.toml" "$work/oldapi.cnb"
refused "a package buildpack with an unsupported API is refused with the supported range" "0.7 to 0.12" \
	"$cnb" builder create "$reg/test/bad" --config "$work/b-oldapi.toml" --publish
cp "$work/shell.cnb" "$work/corrupt.cnb"
python3 - "$work/corrupt.cnb" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
i = data.find(b"io.buildpacks.buildpack.layers")  # in the config blob
data[i] ^= 0x20
open(sys.argv[1], "wb").write(data)
PY
make_builder "$work/b-corrupt.toml" "$work/corrupt.cnb"
refused "a .cnb blob that does not match its digest is refused" "digest" \
	"$cnb" builder create "$reg/test/bad" --config "$work/b-corrupt.toml" --publish
curl -sf "http://$reg/v2/test/bad/manifests/latest" -o /dev/null; [ $? != 0 ]; ok $? "failed creates pushed nothing"

# Targets (pack's multi-platform packages): one manifest per target under one index, from
# package.toml [[targets]], else the buildpack.toml's; --platform picks one; a .cnb holds one.
index_archs() { # index_archs REF: the architectures of REF's index, sorted ("" when not an index)
	skopeo inspect --tls-verify=false --raw "docker://$1" | python3 -c 'import json,sys; i=json.load(sys.stdin)
print(" ".join(sorted(m["platform"]["architecture"] for m in i.get("manifests", []))))'
}
cp "$work/package.toml" "$work/package-targets.toml"
printf '\n[[targets]]\nos = "linux"\narch = "amd64"\n\n[[targets]]\nos = "linux"\narch = "arm64"\n' >>"$work/package-targets.toml"
check "package.toml with two [[targets]] (--publish)" \
	"$cnb" buildpack package "$reg/test/shell-multi:1" --config "$work/package-targets.toml" --publish
[ "$(index_archs "$reg/test/shell-multi:1")" = "amd64 arm64" ]; ok $? "it is an index of an amd64 and an arm64 package"
check "the arm64 package's config says arm64, its layer is the buildpack's" python3 - "$work/file-config.json" \
	"$(skopeo inspect --tls-verify=false --config --override-arch arm64 "docker://$reg/test/shell-multi:1")" <<'PY'
import json, sys
amd, arm = json.load(open(sys.argv[1])), json.loads(sys.argv[2])
assert arm["architecture"] == "arm64" and arm["os"] == "linux", arm["architecture"]
assert arm["rootfs"]["diff_ids"] == amd["rootfs"]["diff_ids"], "the same buildpack layer"
PY
cp -r "$shell_bp" "$work/bp-targets"
printf '\n[[targets]]\n  os = "linux"\n  arch = "arm64"\n\n[[targets]]\n  os = "linux"\n' >>"$work/bp-targets/buildpack.toml"
printf '[buildpack]\nuri = "%s"\n' "$work/bp-targets" >"$work/package-bp-targets.toml"
check "buildpack.toml with [[targets]] amd64, arm64 and any arch, into an OCI layout" \
	"$cnb" buildpack package "oci:$work/multi-layout:pkg" --config "$work/package-bp-targets.toml"
check "the layout's tag names an index of amd64 and arm64 (the any-arch target makes none)" python3 - "$work/multi-layout" <<'PY'
import json, sys
d = sys.argv[1]
entry = json.load(open(f"{d}/index.json"))["manifests"]
entry = [m for m in entry if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "pkg"][0]
index = json.load(open(f"{d}/blobs/sha256/{entry['digest'][7:]}"))
assert sorted(m["platform"]["architecture"] for m in index["manifests"]) == ["amd64", "arm64"], index
PY
check "--platform linux/arm64 picks one target" \
	"$cnb" buildpack package "$reg/test/shell-arm:1" --config "$work/package-targets.toml" --publish --platform linux/arm64
[ -z "$(index_archs "$reg/test/shell-arm:1")" ] &&
	[ "$(skopeo inspect --tls-verify=false --config "docker://$reg/test/shell-arm:1" --override-arch arm64 | python3 -c 'import json,sys; print(json.load(sys.stdin)["architecture"])')" = arm64 ]
ok $? "a single arm64 manifest"
refused "--platform outside the [[targets]] is refused" "linux/s390x is not one of the package's \[\[targets\]\]" \
	"$cnb" buildpack package "$reg/test/shell-s390x:1" --config "$work/package-targets.toml" --publish --platform linux/s390x
refused "two targets into one .cnb file are refused with what to do" "a .cnb file holds one platform" \
	"$cnb" buildpack package "$work/multi.cnb" --config "$work/package-targets.toml" --format file

# The builder made from the .cnb builds the sample app.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$work/app" && cp -r "$src/examples/sample-app/." "$work/app/"
	check "cnb build --executor host with the builder made from the .cnb" \
		"$cnb" build "$reg/test/app" --builder "$reg/test/builder-file" --path "$work/app" --publish --executor host
else
	echo "ok $((n += 1)) - # SKIP host executor needs root"
fi

tap_done
