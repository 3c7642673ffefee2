#!/usr/bin/env bash
# Image extensions end to end (docs/image-extensions.md): a builder made with [[extensions]] and
# [[order-extensions]] by `cnb builder create` (labels, /cnb/extensions, setuid stripped), then builds
# in the VM: an extension that switches the run image to another pushed run image (the app image is
# based on it, run with `cnb run`), an extension whose provide meets a buildpack's require (and leaves
# its plan), an extension whose build.Dockerfile RUN writes a file the buildpack sees and whose
# run.Dockerfile RUN adds a file to the app image (on top of the switched run image), an app that
# selects no extension; the switch once more with the host executor, which refuses a build.Dockerfile.
# Fixtures: tests/e2e/extensions. Prints TAP.   test-extensions.sh CNB_EXE SOURCE_ROOT (through with-registry.sh)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$src/tests/lib/build-tap.sh"
tap_workdir ext-e2e
has() { # has FILE TEXT WHAT
	if grep -qF -- "$2" "$1"; then ok 0 "$3"; else ok 1 "$3"; echo "#   no \"$2\" in:"; show "$1" 30; fi
}
lacks() { if grep -qF -- "$2" "$1"; then ok 1 "$3"; echo "#   \"$2\" found in $1"; else ok 0 "$3"; fi; }
config_of() { skopeo inspect --tls-verify=false --config "docker://$1"; }

# Base images, and run-b: the run image plus a label and a layer of its own (/etc/run-flavor).
"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null || { echo "Bail out! base images"; exit 1; }
# (unpack + repack: umoci 0.4's `insert` of a single file writes a tar without its end, which tar refuses)
umoci config --image "$work/base:run" --tag run-b --config.label io.libcnb.test.flavor=b >/dev/null &&
	umoci unpack --image "$work/base:run-b" "$work/run-b" >/dev/null && echo b > "$work/run-b/rootfs/etc/run-flavor" &&
	umoci repack --image "$work/base:run-b" "$work/run-b" >/dev/null || { echo "Bail out! umoci run-b"; exit 1; }
for tag in build run run-b; do
	"$cnb" copy "oci:$work/base:$tag" "docker://$reg/ext/base:$tag" >/dev/null || { echo "Bail out! push $tag"; exit 1; }
done

cp -r "$src/tests/e2e/extensions" "$work/modules"
chmod 4755 "$work/modules/switch-run/bin/generate" # must not stay setuid in the builder
# The curl extension comes as a package (.cnb), made by `cnb buildpack package` from its extension.toml.
printf '[extension]\nuri = "%s"\n' "$work/modules/curl" > "$work/curl-package.toml"
run package "$cnb" buildpack package "$work/curl.cnb" --config "$work/curl-package.toml" --format file
ok $rc "buildpack package makes a .cnb of an image extension (extension.toml)"; [ $rc = 0 ] || show "$work/package.out"
skopeo inspect --config "oci-archive:$work/curl.cnb" > "$work/curl-cnb.json" 2>&1
python3 - "$work/curl-cnb.json" >"$work/curl-cnb.check" 2>&1 <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
labels = cfg["config"]["Labels"]
layers = json.loads(labels["io.buildpacks.extension.layers"])
assert layers["test/curl"]["0.1.0"]["layerDiffID"] == cfg["rootfs"]["diff_ids"][0], layers
assert "io.buildpacks.buildpack.layers" not in labels, labels
assert json.loads(labels["io.buildpacks.buildpackage.metadata"])["id"] == "test/curl"
PY
ok $? "the extension's package has io.buildpacks.extension.layers and the buildpackage metadata"; show "$work/curl-cnb.check" 10
cat > "$work/builder.toml" <<TOML
[[buildpacks]]
  uri = "$work/modules/curl-user"
[[extensions]]
  uri = "$work/modules/switch-run"
[[extensions]]
  uri = "$work/curl.cnb"
[[extensions]]
  uri = "$work/modules/dockerfiles"
[[order]]
  [[order.group]]
    id = "test/curl-user"
    version = "0.1.0"
[[order-extensions]]
  [[order-extensions.group]]
    id = "test/curl"
    version = "0.1.0"
  [[order-extensions.group]]
    id = "test/switch-run"
    version = "0.1.0"
  [[order-extensions.group]]
    id = "test/dockerfiles"
    version = "0.1.0"
[build]
  image = "$reg/ext/base:build"
[[run.images]]
  image = "$reg/ext/base:run"
TOML
run create "$cnb" builder create "$reg/ext/builder" --config "$work/builder.toml" --publish
ok $rc "builder create with [[extensions]] and [[order-extensions]]"; [ $rc = 0 ] || show "$work/create.out"
has "$work/create.out" "removed the setuid/setgid bit from 1 file" "builder create: an extension's setuid bit is stripped, with a warning"
config_of "$reg/ext/builder" > "$work/builder.json"
python3 - "$work/builder.json" >"$work/labels.out" 2>&1 <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
labels = cfg["config"]["Labels"]
meta = json.loads(labels["io.buildpacks.builder.metadata"])
assert [m["id"] for m in meta["buildpacks"]] == ["test/curl-user"], meta["buildpacks"]
assert sorted(m["id"] for m in meta["extensions"]) == ["test/curl", "test/dockerfiles", "test/switch-run"], meta.get("extensions")
ext = json.loads(labels["io.buildpacks.extension.layers"])
assert ext["test/switch-run"]["0.1.0"]["layerDiffID"] in cfg["rootfs"]["diff_ids"], ext
assert ext["test/switch-run"]["0.1.0"]["api"] == "0.10", ext
assert "test/switch-run" not in json.loads(labels["io.buildpacks.buildpack.layers"])
assert json.loads(labels["io.buildpacks.buildpack.order-extensions"]) == [{"group": [
    {"id": "test/curl", "version": "0.1.0"}, {"id": "test/switch-run", "version": "0.1.0"},
    {"id": "test/dockerfiles", "version": "0.1.0"}]}], labels
hist = [h["created_by"] for h in cfg["history"] if not h.get("empty_layer")]
assert "Extension: test/switch-run@0.1.0" in hist, hist
PY
ok $? "builder labels as pack writes them (extension.layers, order-extensions, metadata extensions)"; show "$work/labels.out" 10
skopeo copy -q --src-tls-verify=false "docker://$reg/ext/builder" "oci:$work/layout:b" >/dev/null 2>&1 &&
	umoci unpack --image "$work/layout:b" "$work/bundle" >/dev/null 2>&1
root=$work/bundle/rootfs
[ "$(stat -c %a "$root/cnb/extensions/test_switch-run/0.1.0/bin/generate" 2>&1)" = 755 ]
ok $? "the extension is in /cnb/extensions/<escaped id>/<version>, its setuid bit gone"
has "$root/cnb/order.toml" "[[order-extensions]]" "order.toml has [[order-extensions]]"

# 1. The switch: run.Dockerfile is FROM run-b (named through the platform env).
mkdir -p "$work/app-b" && touch "$work/app-b/use-run-b"
run build-b "$cnb" build "$reg/ext/app-b" --builder "$reg/ext/builder" --path "$work/app-b" --publish \
	-e "RUN_B=$reg/ext/base:run-b" --report-json "$work/b.json"
ok $rc "a build whose extension switches the run image (VM)"; [ $rc = 0 ] || show "$work/build-b.out" 40
echo "# phases (ms): $(phases "$work/b.json" 2>/dev/null)"
has "$work/build-b.out" "switch-run: generating into /cnb/out/generated/test_switch-run as 1000" \
	"generate: bin/generate runs as the CNB user into <generated>/<escaped id>"
has "$work/build-b.out" "RUN IMAGE $reg/ext/base:run-b" "the run image is switched"
has "$work/build-b.out" "new runtime base image '$reg/ext/base:run-b' not found in run metadata" \
	"a warning: run.toml does not list the new run image"
config_of "$reg/ext/app-b" > "$work/app-b.json"
config_of "$reg/ext/base:run-b" > "$work/run-b.json"
python3 - "$work/app-b.json" "$work/run-b.json" "$reg/ext/base:run-b" >"$work/app-b.check" 2>&1 <<'PY'
import json, sys
app, base, name = (json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3])
n = len(base["rootfs"]["diff_ids"])
assert app["rootfs"]["diff_ids"][:n] == base["rootfs"]["diff_ids"], "not based on run-b"
assert app["config"]["Labels"].get("io.libcnb.test.flavor") == "b", "run-b's label is missing"
md = json.loads(app["config"]["Labels"]["io.buildpacks.lifecycle.metadata"])
assert md["runImage"]["image"] == name, md["runImage"]
assert md["runImage"]["topLayer"] == base["rootfs"]["diff_ids"][-1], md["runImage"]
bm = json.loads(app["config"]["Labels"]["io.buildpacks.build.metadata"])
assert bm.get("extensions") == [{"id": "test/switch-run", "version": "0.1.0"}], bm.get("extensions")
assert [b["id"] for b in bm["buildpacks"]] == ["test/curl-user"], bm["buildpacks"]
PY
ok $? "the pushed image is based on run-b: its layers first, its label, runImage metadata; build metadata lists the extension"; show "$work/app-b.check" 10
run run-b "$cnb" run "docker://$reg/ext/app-b"
[ $rc = 0 ] && grep -qx b "$work/run-b.out"
ok $? "cnb run: the app sees run-b's file"; [ $rc = 0 ] || show "$work/run-b.out"

# 2. Provides meet requires: only the extension provides curl; the buildpack's plan has no curl entry.
mkdir -p "$work/app-curl" && touch "$work/app-curl/need-curl"
run build-curl "$cnb" build "$reg/ext/app-curl" --builder "$reg/ext/builder" --path "$work/app-curl" --publish
ok $rc "a build where an extension's provide meets the buildpack's require (VM)"; [ $rc = 0 ] || show "$work/build-curl.out" 40
has "$work/build-curl.out" 'curl-ext: my plan: [[entries]] name = "curl"' "generate: the extension gets the require it met"
has "$work/build-curl.out" "curl-user: no curl in my plan" "build: the buildpack does not get what an extension provided"
config_of "$reg/ext/app-curl" > "$work/app-curl.json"
config_of "$reg/ext/base:run" > "$work/run.json"
python3 -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); n=len(b["rootfs"]["diff_ids"]); assert a["rootfs"]["diff_ids"][:n]==b["rootfs"]["diff_ids"]; assert "io.libcnb.test.flavor" not in a["config"]["Labels"]' \
	"$work/app-curl.json" "$work/run.json"
ok $? "without a switch the image is based on the builder's run image"

# 2b. Dockerfiles from a real extension's bin/generate, with the run image switched as well: the job
# stops after generate, the build image is extended, restore/build/export run on it; the run.Dockerfile
# extends run-b.
mkdir -p "$work/app-df" && touch "$work/app-df/use-dockerfiles" "$work/app-df/use-run-b"
run build-df "$cnb" build "$reg/ext/app-df" --builder "$reg/ext/builder" --path "$work/app-df" --publish \
	-e "RUN_B=$reg/ext/base:run-b" --report-json "$work/df.json"
ok $rc "a build whose extension writes a build.Dockerfile and a run.Dockerfile with RUN (VM)"
[ $rc = 0 ] || show "$work/build-df.out" 60
echo "# phases (ms): $(phases "$work/df.json" 2>/dev/null)"
has "$work/build-df.out" "dockerfiles: wrote build.Dockerfile and run.Dockerfile" "generate: the extension wrote both Dockerfiles"
has "$work/build-df.out" "RESTORE, BUILD, EXPORT on the extended build image" "the lifecycle job is split around extend-build"
has "$work/build-df.out" "curl-user: build marker: build.Dockerfile from-extend-config" \
	"build: the buildpack sees the file the build.Dockerfile's RUN wrote (with the extend-config.toml arg)"
has "$work/build-df.out" "RUN IMAGE $reg/ext/base:run-b" "the run image is switched, then extended"
config_of "$reg/ext/app-df" > "$work/app-df.json"
python3 - "$work/app-df.json" "$work/run-b.json" >"$work/app-df.check" 2>&1 <<'PY'
import json, sys
app, base = (json.load(open(p)) for p in sys.argv[1:])
n = len(base["rootfs"]["diff_ids"])
assert app["rootfs"]["diff_ids"][:n] == base["rootfs"]["diff_ids"], "not based on run-b"
assert app["config"]["Labels"].get("io.buildpacks.rebasable") == "false", app["config"]["Labels"]
assert app["config"]["Labels"].get("io.libcnb.test.flavor") == "b", "run-b's label is missing"
PY
ok $? "the app image is run-b plus the extended layer, labeled io.buildpacks.rebasable=false"; show "$work/app-df.check" 10
rm -rf "$work/df-layout" "$work/df-bundle"
skopeo copy -q --src-tls-verify=false "docker://$reg/ext/app-df" "oci:$work/df-layout:a" >/dev/null 2>&1 &&
	umoci unpack --rootless --image "$work/df-layout:a" "$work/df-bundle" >/dev/null 2>&1
[ "$(cat "$work/df-bundle/rootfs/opt/ext-run/marker" 2>&1)" = run.Dockerfile ]
ok $? "the run.Dockerfile's RUN file is in the app image"
[ ! -e "$work/df-bundle/rootfs/opt/ext-build" ]
ok $? "the build.Dockerfile's file is not in the app image"
run rebase-df "$cnb" rebase "$reg/ext/app-df" --run-image "$reg/ext/base:run-b"
[ $rc != 0 ]
ok $? "cnb rebase refuses the extended app image without --force"

# 3. An app that selects no extension (was: exit 3 in detect).
mkdir -p "$work/app-plain" && echo plain > "$work/app-plain/README"
run build-plain "$cnb" build "$reg/ext/app-plain" --builder "$reg/ext/builder" --path "$work/app-plain" --publish \
	--report-json "$work/plain.json"
ok $rc "a builder with extensions builds an app that selects none (VM)"; [ $rc = 0 ] || show "$work/build-plain.out" 40
echo "# phases (ms): $(phases "$work/plain.json" 2>/dev/null)"
lacks "$work/build-plain.out" "RUN IMAGE" "no run image switch"
lacks "$work/build-plain.out" "curl-ext:" "no extension's bin/generate ran"

# 4. --buildpack replaces the buildpacks' order, not the extensions': curl is still provided (host executor).
run build-bp "$cnb" build "$reg/ext/app-bp" --builder "$reg/ext/builder" --path "$work/app-curl" --publish \
	--executor host --buildpack test/curl-user
ok $rc "--buildpack keeps the builder's [[order-extensions]] (only an extension provides curl)"
[ $rc = 0 ] || show "$work/build-bp.out" 30

# 5. The host executor runs generate and switches as well.
run build-host "$cnb" build "$reg/ext/app-host" --builder "$reg/ext/builder" --path "$work/app-b" --publish \
	--executor host -e "RUN_B=$reg/ext/base:run-b"
ok $rc "the run image switch with the host executor"; [ $rc = 0 ] || show "$work/build-host.out" 40
config_of "$reg/ext/app-host" > "$work/app-host.json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert a["config"]["Labels"].get("io.libcnb.test.flavor")=="b"' \
	"$work/app-host.json"
ok $? "host executor: the image is based on run-b"

# 6. The host executor cannot extend: a build.Dockerfile is refused with a clear message.
run build-host-df "$cnb" build "$reg/ext/app-host-df" --builder "$reg/ext/builder" --path "$work/app-df" --publish \
	--executor host -e "RUN_B=$reg/ext/base:run-b" -e DF_FLAVOR=host-only # not in the extend cache
[ $rc != 0 ] && grep -qi "extend" "$work/build-host-df.out"
ok $? "host executor: a build.Dockerfile is refused, naming extend"; show "$work/build-host-df.out" 10

tap_done
