#!/usr/bin/env bash
# The image commands pack users reach for, against an app image built here with the host executor
# into the local image store: cnb inspect (local first, then the registry; human, -o json, -o raw),
# cnb sbom download (pack's layout, only the SBOM layer fetched), cnb builder inspect, cnb images /
# cnb image ls / cnb image rm (with the blob collection). Prints TAP.
#   test-image-commands.sh CNB_EXE SOURCE_ROOT   (run through with-registry.sh, as root)
# Under with-registry.sh --tls the whole flow (builder create, build, copy, inspect) speaks HTTPS to the
# registry on 127.0.0.1, trusting its CA through SSL_CERT_FILE.
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP the host executor needs root"; exit 77; }
for tool in umoci skopeo; do
	command -v $tool >/dev/null || { echo "1..0 # SKIP $tool not installed (scripts/install-deps.sh)"; exit 77; }
done
work=$(mktemp -d /tmp/cnb-image-cmds-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export CNB_CACHE_DIR=$work/cache XDG_DATA_HOME=$work/data HOME=$work/home
store=$XDG_DATA_HOME/cnb/images
if [ -n "${CNB_TEST_REGISTRY_CA:-}" ]; then
	export SSL_CERT_FILE=$CNB_TEST_REGISTRY_CA
	unset SSL_CERT_DIR
fi
mkdir -p "$HOME"
. "$(dirname "$0")/../lib/tap.sh"
run() { local name=$1; shift; "$@" >"$work/$name.out" 2>"$work/$name.err"; rc=$?; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$work/$1.out"; }

# A builder whose buildpack also writes launch SBOMs (one per layer, one for the buildpack).
"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null
for tag in build run; do
	"$cnb" copy "oci:$work/base:$tag" "docker://$reg/img/base:$tag" >/dev/null || { echo "Bail out! push base:$tag"; exit 1; }
done
cp -r "$src/examples/buildpacks/shell" "$work/bp"
sed -i 's|^  homepage = .*|&\n  sbom-formats = ["application/vnd.cyclonedx+json"]|' "$work/bp/buildpack.toml"
cat >> "$work/bp/bin/build" <<'SH'
printf '{"bomFormat":"CycloneDX","components":[{"name":"greet"}]}' > "$CNB_LAYERS_DIR/runtime.sbom.cdx.json"
printf '{"bomFormat":"CycloneDX","components":[{"name":"app"}]}' > "$CNB_LAYERS_DIR/launch.sbom.cdx.json"
SH
sed -e "s|BUILD_IMAGE|$reg/img/base:build|; s|RUN_IMAGE|$reg/img/base:run|; s|\.\./buildpacks/shell|$work/bp|" \
	"$src/examples/builder/builder.toml" > "$work/builder.toml"
"$cnb" builder create "$reg/img/builder" --config "$work/builder.toml" --publish >/dev/null || { echo "Bail out! builder create"; exit 1; }
cp -r "$src/examples/sample-app" "$work/app"

app=$reg/img/localapp
run build "$cnb" build "$app" --builder "$reg/img/builder" --path "$work/app" --executor host
ok $rc "build with the host executor into the local image store"; [ $rc = 0 ] || show "$work/build.err"
digest=$(skopeo inspect "oci:$store:$app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')

# --- cnb inspect ---
run inspect "$cnb" inspect "$app"
grep -q "^LOCAL:$" "$work/inspect.out" && grep -q "(the local image store)" "$work/inspect.out" &&
	grep -q "(not looked up: found in the local image store)" "$work/inspect.out"
ok $? "cnb inspect finds the image cnb-build just wrote to the local store, and says so"; [ $rc = 0 ] || show "$work/inspect.err"
grep -q "^Stack: io.libcnb.test$" "$work/inspect.out" && grep -A1 "^Run Images:" "$work/inspect.out" | grep -q "^  $reg/img/base:run$" &&
	grep -q "^Rebasable: true$" "$work/inspect.out" && grep -qE "^  examples/shell +0\.1\.0 +https://example.invalid" "$work/inspect.out" &&
	grep -qE "^  web \(default\) +bash app.sh +/workspace$" "$work/inspect.out" && grep -qE "^  Top Layer: sha256:" "$work/inspect.out"
ok $? "human output: stack, base image, run images, rebasable, buildpacks, processes"; show "$work/inspect.out" 30

run inspect-raw "$cnb" inspect -o raw "$app"
[ $rc = 0 ] && json inspect-raw "assert d['digest'] == '$digest', d['digest']"
ok $? "-o raw: the image itself, with the digest skopeo reads from the store ($digest)"
run inspect-json "$cnb" inspect --output=json "$app"
raw_top=$(json inspect-raw "print(d['layers'][0]['diffID'])")
json inspect-json "
i = d['local_info']; assert d['remote_info'] is None and d['image_name'] == '$app'
assert i['stack'] == 'io.libcnb.test' and i['rebasable'] is True
assert i['run_images'] == [{'name': '$reg/img/base:run'}], i['run_images']
assert i['base_image']['top_layer'] == '$raw_top', i['base_image']
assert i['buildpacks'][0]['id'] == 'examples/shell' and i['buildpacks'][0]['version'] == '0.1.0'
p = i['processes'][0]
assert p['type'] == 'web' and p['default'] is True and p['command'] == 'bash app.sh' and p['working-dir'] == '/workspace', p
" 2>"$work/inspect-json.py"
ok $? "-o json: pack's shape (image_name, local_info/remote_info, processes, buildpacks, base_image)"; show "$work/inspect-json.py" 5

"$cnb" copy "oci:$store:$app" "docker://$reg/img/remoteapp" >/dev/null 2>&1
run inspect-remote "$cnb" inspect "$reg/img/remoteapp"
[ $rc = 0 ] && grep -q "^REMOTE:$" "$work/inspect-remote.out" && grep -A1 "^LOCAL:$" "$work/inspect-remote.out" | grep -q "(not present)" &&
	grep -qE "^  web \(default\)" "$work/inspect-remote.out"
ok $? "an image only in the registry is inspected there (REMOTE filled, LOCAL not present)"; [ $rc = 0 ] || show "$work/inspect-remote.err"

run inspect-base "$cnb" inspect "$reg/img/base:run"
[ $rc = 0 ] && grep -q "^(not built by buildpacks: no io.buildpacks.lifecycle.metadata label" "$work/inspect-base.out"
ok $? "an image not built by buildpacks says so instead of empty fields"

# --- cnb sbom download ---
check_sbom() { # DIR
	[ "$(cat "$1/layers/sbom/launch/examples_shell/runtime/sbom.cdx.json")" = '{"bomFormat":"CycloneDX","components":[{"name":"greet"}]}' ] &&
		[ "$(cat "$1/layers/sbom/launch/examples_shell/sbom.cdx.json")" = '{"bomFormat":"CycloneDX","components":[{"name":"app"}]}' ]
}
run sbom "$cnb" sbom download "$app" --output-dir "$work/sbom-local"
[ $rc = 0 ] && check_sbom "$work/sbom-local"
ok $? "sbom download (local store): pack's layout, layers/sbom/launch/<bp>/<layer>/sbom.cdx.json"; [ $rc = 0 ] || show "$work/sbom.err"
[ -z "$(find "$work/sbom-local" ! -user "$(id -u)")" ]
ok $? "the files belong to the user who downloaded them, not the image's build user"
(find "$work/sbom-local" -type f | sed 's/^/# /')
rm -rf "$CNB_CACHE_DIR"
run sbom-remote "$cnb" sbom download "$reg/img/remoteapp" --remote -o "$work/sbom-remote"
# layer blobs only: the store also keeps the manifest and config it resolved (JSON) for --pull-policy never
blobs=$(find "$CNB_CACHE_DIR/blobs" -type f 2>/dev/null | while read -r f; do [ "$(head -c 1 "$f")" = "{" ] || echo "$f"; done | wc -l)
[ $rc = 0 ] && check_sbom "$work/sbom-remote" && [ "$blobs" = 1 ]
ok $? "sbom download --remote: the same files, and the SBOM layer is the only layer fetched ($blobs layer blobs)"; [ $rc = 0 ] || show "$work/sbom-remote.err"
run sbom-none "$cnb" sbom download "$reg/img/builder" -o "$work/sbom-none"
[ $rc = 3 ] && grep -q "was not built by buildpacks" "$work/sbom-none.err"
ok $? "sbom download of an image without one: exit 3 and why ($(cat "$work/sbom-none.err"))"

# --- cnb builder inspect ---
run binspect "$cnb" builder inspect "$reg/img/builder"
grep -q "^REMOTE:$" "$work/binspect.out" && grep -q "^Description: libcnb example builder" "$work/binspect.out" &&
	grep -q "^  ID: io.libcnb.test$" "$work/binspect.out" && grep -q "^  linux/amd64$" "$work/binspect.out" &&
	grep -A1 "^Run Images:" "$work/binspect.out" | grep -q "^  $reg/img/base:run$" &&
	grep -qE "^  examples/shell +Shell app buildpack" "$work/binspect.out" &&
	grep -A1 "^  Group #1:" "$work/binspect.out" | grep -q "^    examples/shell@0.1.0$" &&
	grep -qE "^    Supported: .*0\.1[0-9]" "$work/binspect.out"
ok $? "builder inspect: description, stack, targets, lifecycle APIs, run images, buildpacks, detection order"; show "$work/binspect.out" 40
run binspect-json "$cnb" builder inspect "$reg/img/builder" -o json
json binspect-json "
i = d['remote_info']; assert d['local_info'] is None
assert i['run_images'] == [{'name': '$reg/img/base:run'}], i['run_images']
assert i['detection_order'] == [{'buildpacks': [{'id': 'examples/shell', 'version': '0.1.0'}]}], i['detection_order']
assert i['stack']['id'] == 'io.libcnb.test' and i['buildpacks'][0]['id'] == 'examples/shell'
assert i['lifecycle']['platform_apis']['supported'] and i['lifecycle']['buildpack_apis']['supported']
" 2>"$work/binspect-json.py"
ok $? "builder inspect -o json: pack's shape"; show "$work/binspect-json.py" 5
"$cnb" builder create localbuilder --config "$work/builder.toml" >/dev/null 2>&1
run binspect-local "$cnb" builder inspect localbuilder
[ $rc = 0 ] && grep -q "^LOCAL:$" "$work/binspect-local.out"
ok $? "builder inspect finds a builder in the local store first"

# --- cnb images / image ls / image rm ---
run images "$cnb" images
grep -qE "^$app +sha256:[0-9a-f]{12} +linux/amd64 " "$work/images.out" && grep -qE "^localbuilder " "$work/images.out"
ok $? "cnb images lists the stored images"; show "$work/images.out" 5
run images-json "$cnb" image ls -o json
json images-json "assert sorted(e['name'] for e in d) == sorted(['$app', 'localbuilder']), d; assert [e for e in d if e['name'] == '$app'][0]['digest'] == '$digest'"
ok $? "image ls -o json: names and digests"
# Blobs older than the collection's grace period, as they would be some minutes after the build.
find "$store/blobs" -type f -exec touch -d '1 hour ago' {} +
before=$(find "$store/blobs" -type f | wc -l)
run rm "$cnb" image rm "$app"
after=$(find "$store/blobs" -type f | wc -l)
[ $rc = 0 ] && grep -q "^Removed: $app (freed" "$work/rm.out" && [ "$after" -lt "$before" ]
ok $? "image rm: the name goes, and the blobs only it used ($before -> $after blobs)"; [ $rc = 0 ] || show "$work/rm.err"
run images2 "$cnb" images
! grep -q "^$app " "$work/images2.out" && grep -q "^localbuilder " "$work/images2.out" &&
	"$cnb" inspect -o raw localbuilder >/dev/null 2>&1 && skopeo inspect "oci:$store:localbuilder" >/dev/null 2>&1
ok $? "the other stored image is intact (skopeo reads it)"
run inspect-gone "$cnb" inspect "$app"
[ $rc = 3 ] && grep -q "404\|not found\|MANIFEST_UNKNOWN" "$work/inspect-gone.err"
ok $? "after rm, inspect goes to the registry (which never had it): exit 3"
run rm-missing "$cnb" image rm no-such-image
[ $rc = 3 ] && grep -q 'has no image named "no-such-image"' "$work/rm-missing.err"
ok $? "image rm of an unknown name: exit 3 naming it"

tap_done
