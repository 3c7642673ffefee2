#!/usr/bin/env bash
# Integration test of `cnb rebase` (platform.md "rebaser") and `cnb copy … docker-archive:` against a real
# docker-registry (run under tests/lib/with-registry.sh). The app image is made with umoci from base v1:
# two app layers plus the lifecycle metadata label a build would write. TAP output.
#   test-rebase.sh CNB_EXE MAKE_BASE_IMAGES_SH
set -uo pipefail
cnb=$1
make_base=$2
reg=$CNB_TEST_REGISTRY
. "$(dirname "$0")/../lib/tap.sh"
for tool in umoci skopeo python3; do
	command -v $tool >/dev/null || { echo "1..0 # SKIP $tool not installed (scripts/install-deps.sh)"; exit 77; }
done

work=$(mktemp -d /tmp/cnb-rebase-it-XXXXXX)
trap 'rm -rf "$work"' EXIT
export DOCKER_CONFIG=$work/docker HOME=$work/home CNB_CACHE_DIR=$work/cache
mkdir -p "$DOCKER_CONFIG" "$HOME"
cc() { "$cnb" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
blobs() { find "$CNB_TEST_REGISTRY_DIR" -path '*/blobs/sha256/*/data' | wc -l; }

# Bases: v1, v2 (one more layer, a new base label), arm (another architecture), other stack.
check "base v1 made" bash "$make_base" "$work/base"
cp -a "$work/base" "$work/base2" && echo v2 > "$work/v2.txt"
check "base v2 made" bash -c "umoci insert --image '$work/base2:run' '$work/v2.txt' /etc/v2 &&
	umoci config --image '$work/base2:run' --config.label io.buildpacks.base.revision=2"
cp -a "$work/base" "$work/base3"
check "base for arm64 made" umoci config --image "$work/base3:run" --architecture arm64
cp -a "$work/base" "$work/base4"
check "base of another stack made" umoci config --image "$work/base4:run" --config.label io.buildpacks.stack.id=io.other
check "v1 pushed" cc copy -q oci:"$work/base:run" docker://$reg/base:run
check "v2 pushed" cc copy -q oci:"$work/base2:run" docker://$reg/base:v2
check "arm64 pushed" cc copy -q oci:"$work/base3:run" docker://$reg/base:arm
check "other stack pushed" cc copy -q oci:"$work/base4:run" docker://$reg/base:other

# The app image: v1 + two app layers + lifecycle metadata.
top=$(cc inspect -o raw oci:"$work/base:run" | json 'd["layers"][-1]["diffID"]')
v1_digest=$(cc inspect -o raw docker://$reg/base:run | json 'd["digest"]')
md=$(printf '{"app":[],"runImage":{"topLayer":"%s","reference":"%s/base@%s","image":"%s/base:run","mirrors":["%s/base:arm","%s/base:other"]},"stack":{"runImage":{"image":"%s/base:run","mirrors":[]}}}' \
	"$top" "$reg" "$v1_digest" "$reg" "$reg" "$reg" "$reg")
cp -a "$work/base" "$work/app"
echo one > "$work/one.txt" && echo two > "$work/two.txt"
check "app image made" bash -c "umoci insert --image '$work/app:run' '$work/one.txt' /workspace/one.txt &&
	umoci insert --image '$work/app:run' '$work/two.txt' /workspace/two.txt &&
	umoci config --image '$work/app:run' --config.env CNB_PLATFORM_API=0.13 --config.label 'io.buildpacks.lifecycle.metadata=$md'"
umoci config --image "$work/app:run" --tag norebase --config.label io.buildpacks.rebasable=false >/dev/null 2>&1
umoci config --image "$work/app:run" --tag old-api --config.env CNB_PLATFORM_API=0.11 >/dev/null 2>&1
for t in 1 2 3 4 orig; do cc copy -q oci:"$work/app:run" docker://$reg/app:$t >/dev/null 2>&1; done
check "app variants pushed" cc copy -q oci:"$work/app:norebase" docker://$reg/app:norebase
check "old platform API app pushed" cc copy -q oci:"$work/app:old-api" docker://$reg/app:old-api
cc inspect -o raw docker://$reg/app:orig > "$work/app.json"
cc inspect -o raw docker://$reg/base:v2 > "$work/v2.json"

# The run image is updated in place: base:run is now v2; rebase with the default run image.
check "base:run now v2" cc copy -q oci:"$work/base2:run" docker://$reg/base:run
before=$(blobs)
d1=$(cc rebase docker://$reg/app:1 2>"$work/err1")
ok $? "rebase onto the label's run image ($(tail -1 "$work/err1"))"
after=$(blobs)
[ $((after - before)) = 2 ]; ok $? "only config and manifest were uploaded ($before -> $after blobs)"
cc inspect -o raw docker://$reg/app:1 > "$work/r1.json"
python3 - "$work/app.json" "$work/v2.json" "$work/r1.json" "$d1" "$reg" <<'PY'
import json, sys
app, v2, r = (json.load(open(p)) for p in sys.argv[1:4])
digest, reg = sys.argv[4], sys.argv[5]
assert r["digest"] == digest, (r["digest"], digest)
assert [l["digest"] for l in r["layers"]] == [l["digest"] for l in v2["layers"]] + [l["digest"] for l in app["layers"][-2:]], "layers"
assert r["config"]["rootfs"]["diff_ids"] == [l["diffID"] for l in r["layers"]], "diff_ids"
labels = r["config"]["config"]["Labels"]
md = json.loads(labels["io.buildpacks.lifecycle.metadata"])
assert md["runImage"]["topLayer"] == v2["layers"][-1]["diffID"], md
assert md["runImage"]["reference"] == "%s/base@%s" % (reg, v2["digest"]), md
assert md["runImage"]["image"] == "%s/base:run" % reg, md
assert labels["io.buildpacks.base.revision"] == "2", labels
assert r["config"]["created"] == "1980-01-01T00:00:01Z", r["config"]["created"]
hist = [h for h in r["config"].get("history", []) if not h.get("empty_layer")]
assert len(hist) == len(r["layers"]), "history pairs with layers"
PY
ok $? "app layers kept, base layers are v2's, topLayer/reference/labels/created updated"
d1b=$(cc rebase docker://$reg/app:1 2>/dev/null)
[ "$d1b" = "$d1" ]; ok $? "rebasing again onto the same run image changes nothing ($d1b)"

# Refusals: exit 1, the message says what is wrong and how to override.
out=$(cc rebase docker://$reg/app:2 --run-image $reg/base:v2 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"not the app image's run image"* && $out == *--force* ]]; ok $? "a run image not in the metadata is refused ($out)"
d2=$(cc rebase docker://$reg/app:2 --run-image $reg/base:v2 --force 2>"$work/err2")
ok $? "--force rebases onto it ($(tail -1 "$work/err2"))"
cc inspect -o raw docker://$reg/app:2 | json 'json.loads(d["config"]["config"]["Labels"]["io.buildpacks.lifecycle.metadata"])["runImage"]' > "$work/ri2"
grep -q "'image': '$reg/base:v2', 'mirrors': \[\]" "$work/ri2"; ok $? "--force records the new run image, no mirrors ($(cat "$work/ri2"))"
out=$(cc rebase docker://$reg/app:3 --run-image $reg/base:arm 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"architecture 'arm64'"* ]]; ok $? "another architecture is refused ($out)"
out=$(cc rebase docker://$reg/app:norebase --run-image $reg/base:run 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"rebasable=false"* ]]; ok $? "rebasable=false is refused ($out)"
check "rebasable=false with --force" cc rebase docker://$reg/app:norebase --run-image $reg/base:run --force
out=$(cc rebase docker://$reg/app:old-api --run-image $reg/base:other --force 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"stack id"* ]]; ok $? "Platform API 0.11: another stack id is refused ($out)"
out=$(cc rebase docker://$reg/base:v2 --run-image $reg/base:run 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"io.buildpacks.lifecycle.metadata"* ]]; ok $? "a non-buildpacks image is refused ($out)"
before=$(cc inspect -o raw docker://$reg/app:orig | json 'd["digest"]')
d4=$(cc rebase docker://$reg/app:4 --previous-image docker://$reg/app:orig 2>/dev/null)
[ "$d4" = "$d1" ]; ok $? "--previous-image reads the app image from elsewhere (same result as app:1)"

# OCI layout: rebased in place; the v2 layer blobs land in the layout.
cp -a "$work/app" "$work/applayout"
d5=$(cc rebase oci:"$work/applayout:run" --run-image docker://$reg/base:run 2>"$work/err5")
ok $? "rebase an OCI layout image ($(tail -1 "$work/err5"))"
[ "$d5" = "$d1" ]; ok $? "same digest as the registry rebase"
check "skopeo reads the rebased layout" skopeo inspect oci:"$work/applayout:run"

# docker-archive: skopeo (which reads what docker load reads) sees the same config and diff_ids.
d6=$(cc copy docker://$reg/app:1 docker-archive:"$work/app.tar":example.com/app:rebased 2>"$work/err6")
ok $? "copy to docker-archive ($(tail -1 "$work/err6"))"
[ "$d6" = "$d1" ]; ok $? "docker-archive copy reports the image digest"
want_cfg=$(json 'd["configDigest"]' < "$work/r1.json")
got_cfg=sha256:$(skopeo inspect --config --raw docker-archive:"$work/app.tar" | sha256sum | cut -d' ' -f1)
[ "$got_cfg" = "$want_cfg" ]; ok $? "skopeo reads the same config ($got_cfg)"
skopeo inspect docker-archive:"$work/app.tar":example.com/app:rebased | json '"\n".join(d["Layers"])' > "$work/sk-layers"
json '"\n".join(d["config"]["rootfs"]["diff_ids"])' < "$work/r1.json" > "$work/want-layers"
cmp -s "$work/sk-layers" "$work/want-layers"; ok $? "skopeo finds the tag and the same diff_ids"
check "skopeo copies the archive into an OCI layout" skopeo copy -q docker-archive:"$work/app.tar" oci:"$work/fromarchive:x"
ls "$work" | grep -q 'app.tar.tmp-\|app.tar.layer-'; [ $? = 1 ]; ok $? "no temporary files left next to the archive"

tap_done
