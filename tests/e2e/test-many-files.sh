#!/usr/bin/env bash
# End-to-end, real-app sized: an app of 20,000 files built in the VM (its /workspace and /layers
# live in guest memory, seeded from tars) gives the same image as the host executor; a layer of
# 20,000 files is cached and restored on rebuild (same digest); a build that fills the VM's local
# storage fails with an error naming the phase and --memory, and so does an app too big for it; a
# .zip app with --workspace is seeded, unzipped, at that target.
# Prints TAP.
#   test-many-files.sh CNB_EXE SOURCE_ROOT   (run through with-registry.sh)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$src/tests/lib/build-tap.sh"
tap_workdir e2e-files
fixture=$src/tests/fixtures/many-files

"$fixture/publish-builder.sh" "$cnb" "$src" "$reg" files "$work" || { echo "Bail out! base images and builder"; exit 1; }
"$fixture/make-app.sh" "$work/app" 400 50
echo "400 50" > "$work/app/layer-files"
ln -s pkg-0/file-0.js "$work/app/link.js"
chmod 0750 "$work/app/pkg-1"
build() { # build NAME IMAGE [ARGS...]
	local name=$1 image=$2; shift 2
	run "$name" "$cnb" build "$reg/files/$image" --builder "$reg/files/builder" --path "$work/app" --publish "$@"
}

build vm1 app
ok $rc "an app of 20,000 files builds in the VM"; [ $rc = 0 ] || show "$work/vm1.out"
grep -q "app files: 20001$" "$work/vm1.out" && grep -q "deps written: 20001 files" "$work/vm1.out"
ok $? "the buildpack sees all 20,000 app files and writes a layer of 20,000 files"; show "$work/vm1.out" 0
grep -E "app files|deps" "$work/vm1.out" | sed 's/^/#   /'

build vm2 app
[ $rc = 0 ] && grep -q "deps restored: 20001 files" "$work/vm2.out"
ok $? "rebuild in the VM: the 20,000-file layer comes back from the cache"; [ $rc = 0 ] || show "$work/vm2.out"
d1=$(digest_of vm1) d2=$(digest_of vm2)
[ -n "$d1" ] && [ "$d1" = "$d2" ]; ok $? "the rebuild gives the identical digest ($d1, $d2)"

if [ "$(id -u)" = 0 ]; then
	build host app-host --executor host
	dh=$(digest_of host)
	[ $rc = 0 ] && [ "$dh" = "$d1" ]; ok $? "the host executor builds the same image as the VM ($dh)"; [ $rc = 0 ] || show "$work/host.out"
else
	echo "ok $((n += 1)) - # SKIP host executor needs root"
fi

"$fixture/make-app.sh" "$work/zipped" 3 7
(cd "$work/zipped" && zip -qr "$work/app.zip" .)
run zip "$cnb" build "$reg/files/zip" --builder "$reg/files/builder" --path "$work/app.zip" --workspace /srv/app --publish
[ $rc = 0 ] && grep -q "app files: 21$" "$work/zip.out" &&
	skopeo inspect --tls-verify=false --config "docker://$reg/files/zip" |
	python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["config"]["WorkingDir"] == "/srv/app" else 1)'
ok $? "a .zip app with --workspace /srv/app in the VM: its 21 files are seeded there"; [ $rc = 0 ] || show "$work/zip.out"

rm -rf "$work/app"/pkg-* "$work/app/layer-files" "$work/app/link.js" && touch "$work/app/fill-storage"
build full full --memory 256M
[ $rc != 0 ] && grep -q "build ran out of space in the build VM.*raise --memory" "$work/full.out"
ok $? "filling the VM's local storage fails cleanly, naming the phase and --memory (exit $rc)"; show "$work/full.out" 4
curl -sf -o /dev/null "http://$reg/v2/files/full/manifests/latest"; [ $? != 0 ]; ok $? "the failed build pushes nothing"

rm -f "$work/app/fill-storage" && head -c 220M /dev/zero > "$work/app/big.bin"
build seedfull seedfull --memory 256M
[ $rc != 0 ] && grep -q "mount /workspace: the job's local storage ([0-9]* MB) is full: raise --memory" "$work/seedfull.out"
ok $? "an app bigger than the VM's local storage fails while unpacking, naming --memory (exit $rc)"; show "$work/seedfull.out" 2

tap_done
