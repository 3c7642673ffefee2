#!/usr/bin/env bash
# End-to-end: base images and a builder in a real local registry, the sample app built in the VM
# (TCG here) and pushed, the image run with `cnb run`, rebuilt unchanged (same digest), rebuilt
# after a change (only the app layer differs), detect and build failures with their exit codes,
# and the host executor giving the same image. Prints TAP.
#   test-build.sh CNB_EXE SOURCE_ROOT   (run through with-registry.sh)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$src/tests/lib/build-tap.sh"
tap_workdir e2e
diff_ids() { skopeo inspect --tls-verify=false --config "docker://$1" | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["rootfs"]["diff_ids"]))'; }

"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null
for tag in build run; do
	"$cnb" copy "oci:$work/base:$tag" "docker://$reg/e2e/base:$tag" >/dev/null || { echo "Bail out! push base:$tag"; exit 1; }
done
make_builder() { # make_builder NAME BUILDPACK_DIR
	sed -e "s|BUILD_IMAGE|$reg/e2e/base:build|; s|RUN_IMAGE|$reg/e2e/base:run|; s|\.\./buildpacks/shell|$2|" \
		"$src/examples/builder/builder.toml" > "$work/$1.toml"
	"$cnb" builder create "$reg/e2e/$1" --config "$work/$1.toml" --publish >/dev/null
}
make_builder builder "$src/examples/buildpacks/shell" || { echo "Bail out! builder create"; exit 1; }
cp -r "$src/examples/sample-app" "$work/app"

run build1 "$cnb" build "$reg/e2e/app" --builder "$reg/e2e/builder" --path "$work/app" --publish --report-json "$work/report1.json"
ok $rc "build in the VM and publish"; [ $rc = 0 ] || show "$work/build1.out"
grep -q -- "---> Shell app buildpack" "$work/build1.out"; ok $? "buildpack output streams to the user"
d1=$(digest_of build1)
[ -n "$d1" ]; ok $? "the result line names the digest ($d1)"

run run1 "$cnb" run "docker://$reg/e2e/app" -- one two
[ $rc = 0 ] && grep -q "^Hello, world from a daemonless build$" "$work/run1.out" && grep -q "^args: one two$" "$work/run1.out"
ok $? "cnb run: the default process greets through the launcher, with the layer's env and PATH"; [ $rc = 0 ] || show "$work/run1.out"
"$cnb" run "docker://$reg/e2e/app" -- one two >"$work/run-stdout" 2>"$work/run-stderr"
[ "$(od -An -c "$work/run-stdout" | tr -d ' \n')" = "Hello,worldfromadaemonlessbuild\nargs:onetwo\n" ]
ok $? "cnb run: stdout holds exactly the process's stdout, like docker run"; show "$work/run-stdout" 5

skopeo inspect --tls-verify=false --config "docker://$reg/e2e/app" > "$work/config.json" 2>&1
python3 - "$work/config.json" > "$work/labels.out" 2>&1 <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
c = cfg["config"]
assert c["Entrypoint"] == ["/cnb/process/web"], c["Entrypoint"]
assert not c.get("Cmd"), c.get("Cmd")
assert c["WorkingDir"] == "/workspace"
env = dict(e.split("=", 1) for e in c["Env"])
assert env["CNB_PLATFORM_API"] == "0.15" and env["CNB_LAYERS_DIR"] == "/layers" and env["CNB_APP_DIR"] == "/workspace"
assert env["PATH"].startswith("/cnb/process:/cnb/lifecycle:"), env["PATH"]
md = json.loads(c["Labels"]["io.buildpacks.lifecycle.metadata"])
diff_ids = cfg["rootfs"]["diff_ids"]
assert md["runImage"]["topLayer"] == diff_ids[0], (md["runImage"], diff_ids)
assert md["launcher"]["sha"] in diff_ids and md["config"]["sha"] in diff_ids and md["app"][0]["sha"] in diff_ids
bp = md["buildpacks"][0]
assert bp["key"] == "examples/shell" and bp["layers"]["runtime"]["launch"] is True, bp
assert bp["layers"]["runtime"]["sha"] in diff_ids
bm = json.loads(c["Labels"]["io.buildpacks.build.metadata"])
assert bm["processes"][0]["type"] == "web" and bm["buildpacks"][0]["id"] == "examples/shell", bm
assert len([h for h in cfg["history"] if not h.get("empty_layer")]) == len(diff_ids)
PY
ok $? "image config and labels follow the platform spec"; show "$work/labels.out" 10
skopeo copy -q --src-tls-verify=false "docker://$reg/e2e/app" "oci:$work/layout:app" >"$work/umoci.out" 2>&1 &&
	umoci unpack --image "$work/layout:app" "$work/bundle" >>"$work/umoci.out" 2>&1 &&
	[ -x "$work/bundle/rootfs/cnb/lifecycle/launcher" ] && [ "$(readlink "$work/bundle/rootfs/cnb/process/web")" = /cnb/lifecycle/launcher ]
ok $? "skopeo copies and umoci unpacks the image (launcher and process link in place)"; show "$work/umoci.out" 5

run build2 "$cnb" build "$reg/e2e/app" --builder "$reg/e2e/builder" --path "$work/app" --publish --report-json "$work/report2.json"
d2=$(digest_of build2)
[ $rc = 0 ] && [ "$d1" = "$d2" ]; ok $? "rebuild without changes gives the identical digest ($d2)"
grep -q "build number 1 (cached" "$work/build1.out" && grep -q "build number 2 (cached" "$work/build2.out"
ok $? "the cache layer survives between builds (the buildpack reads its count back)"
python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["layers"]; sys.exit(0 if l["added"] == 0 and l["reused"] >= 5 else 1)' "$work/report2.json"
ok $? "the unchanged rebuild uploads no layer (report: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"])' "$work/report2.json" 2>&1))"

echo 'echo "changed"' >> "$work/app/app.sh"
run build3 "$cnb" build "$reg/e2e/app" --builder "$reg/e2e/builder" --path "$work/app" --publish
d3=$(digest_of build3)
diff_ids "$reg/e2e/app@$d1" > "$work/ids1"; diff_ids "$reg/e2e/app@$d3" > "$work/ids3"
changed=$(diff "$work/ids1" "$work/ids3" | grep -c '^>')
python3 - "$work/config.json" "$work/ids3" <<'PY'
import json, sys
md = json.loads(json.load(open(sys.argv[1]))["config"]["Labels"]["io.buildpacks.lifecycle.metadata"])
new = open(sys.argv[2]).read().split()
old_app = md["app"][0]["sha"]
assert old_app not in new, "the app layer should have changed"
PY
app_changed=$?
[ $rc = 0 ] && [ "$d3" != "$d1" ] && [ "$changed" = 1 ] && [ $app_changed = 0 ]
ok $? "after an app change only the app layer differs ($changed layer changed)"

mkdir -p "$work/empty" && echo "no app.sh here" > "$work/empty/README"
run detectfail "$cnb" build "$reg/e2e/nothing" --builder "$reg/e2e/builder" --path "$work/empty" --publish
[ $rc = 5 ] && grep -q "no buildpack group passed detection" "$work/detectfail.out"
ok $? "an app no buildpack detects: exit 5 with a clear message (got $rc)"; [ $rc = 5 ] || show "$work/detectfail.out"

cp -r "$src/examples/buildpacks/shell" "$work/failing-bp"
printf '#!/usr/bin/env bash\necho "about to fail"\nexit 7\n' > "$work/failing-bp/bin/build"
make_builder failing "$work/failing-bp"
run buildfail "$cnb" build "$reg/e2e/failing" --builder "$reg/e2e/failing" --path "$work/app" --publish
[ $rc = 6 ] && grep -q "about to fail" "$work/buildfail.out" && grep -q "examples/shell" "$work/buildfail.out"
ok $? "a buildpack failing in build: exit 6, its output and name shown (got $rc)"; [ $rc = 6 ] || show "$work/buildfail.out"
curl -sf -o /dev/null "http://$reg/v2/e2e/failing/manifests/latest"; [ $? != 0 ]; ok $? "a failed build pushes nothing"

if [ "$(id -u)" = 0 ]; then
	run hostbuild "$cnb" build "$reg/e2e/app-host" --builder "$reg/e2e/builder" --path "$work/app" --publish --executor host
	dh=$(digest_of hostbuild)
	[ $rc = 0 ] && [ "$dh" = "$d3" ]; ok $? "the host executor builds the same image as the VM ($dh)"; [ $rc = 0 ] || show "$work/hostbuild.out"
	for i in 1 2; do
		run cacheimg$i "$cnb" build "$reg/e2e/app-ci" --builder "$reg/e2e/builder" --path "$work/app" --publish \
			--executor host --cache-image "$reg/e2e/app-ci-cache"
	done
	grep -q "build number 1 (cached" "$work/cacheimg1.out" && grep -q "build number 2 (cached" "$work/cacheimg2.out" &&
		skopeo inspect --tls-verify=false --config "docker://$reg/e2e/app-ci-cache" | grep -q io.buildpacks.lifecycle.cache.metadata
	ok $? "--cache-image: the cache travels through a registry image"; [ $rc = 0 ] || show "$work/cacheimg2.out"
else
	skip "host executor needs root"
fi

tap_done
