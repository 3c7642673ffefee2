#!/usr/bin/env bash
# pack's `build` flags as a user moving from pack writes them, on the host executor: full-reference
# tags pushed with the image's digest, -D, -e/--env-file precedence, proxies, --exec-env, --uid/--gid,
# --sbom-output-dir, --report-output-dir, a .zip app with --workspace, the default builder from
# `cnb config` and project.toml, and --pull-policy never with the registry stopped. Prints TAP.
#   test-pack-flags.sh CNB_EXE SOURCE_ROOT   (run through with-registry.sh)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$(dirname "$0")/../lib/tap.sh"
tap_workdir pack-flags
export CI=true CNB_CONFIG=$work/config.toml XDG_DATA_HOME=$work/data
ln -s "$(realpath "$cnb")" "$work/cnb-build"
run() { # run NAME CMD...: output in $work/NAME.out, exit code in $rc
	local name=$1; shift
	"$@" >"$work/$name.out" 2>&1; rc=$?
}
digest_of() { sed -n 's/.*@\(sha256:[0-9a-f]\{64\}\)$/\1/p' "$work/$1.out" | tail -1; }
remote_digest() { skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$1" 2>&1; }
"$src/tests/lib/make-test-builder.sh" "$cnb" "$src" "$work" flags >/dev/null || { echo "Bail out! base images"; exit 1; }
builder=$reg/flags/pack-builder
sed -e "s|BUILD_IMAGE|$reg/flags/base:build|; s|RUN_IMAGE|$reg/flags/base:run|; s|\.\./buildpacks/shell|$src/tests/e2e/pack-flags-buildpack|" \
	-e "s|examples/shell|tests/pack-flags|" "$src/examples/builder/builder.toml" > "$work/pack-builder.toml"
"$cnb" builder create -q "$builder" --config "$work/pack-builder.toml" --publish >/dev/null || { echo "Bail out! builder create"; exit 1; }
mkdir -p "$work/app" && cp -r "$src/examples/sample-app/." "$work/app/"
printf 'K=from-file\nF=file\n' > "$work/env"

run full env HTTP_PROXY=http://proxy.invalid:3128 no_proxy=localhost FROM_ENV=fromenv \
	"$work/cnb-build" "$reg/flags/app" --builder="$builder" -p "$work/app" --publish --executor=host \
	-t "$reg/flags/other:v2,v3" -t "$reg/flags/app:extra" -D worker -e FROM_ENV -e K=from-cli --env-file "$work/env" \
	--sbom-output-dir "$work/sbom" --report-output-dir="$work/report" --exec-env test --uid 1234 --gid=1235 --trust-builder
d=$(digest_of full)
ok $rc "cnb-build with pack's flags (--flag=value, comma lists, -D, -e NAME) publishes ($d)"; [ $rc = 0 ] || show "$work/full.out"
[ "$(remote_digest "$reg/flags/other:v2")" = "$d" ] && [ "$(remote_digest "$reg/flags/app:v3")" = "$d" ] &&
	[ "$(remote_digest "$reg/flags/app:extra")" = "$d" ]
ok $? "-t REGISTRY/OTHER-REPO:TAG is pushed with the image's digest; plain tags too ($(remote_digest "$reg/flags/other:v2"))"
skopeo inspect --tls-verify=false --config "docker://$reg/flags/app" > "$work/config.json" 2>&1
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["config"]; sys.exit(0 if c["Entrypoint"] == ["/cnb/process/worker"] else 1)' "$work/config.json"
ok $? "-D worker sets the entrypoint to /cnb/process/worker"
grep -q "flags: env K=from-cli" "$work/full.out" && grep -q "flags: env F=file" "$work/full.out" && grep -q "flags: env FROM_ENV=fromenv" "$work/full.out"
ok $? "-e wins over --env-file (before or after it); -e NAME takes the value from the environment"
grep -q "proxy=http://proxy.invalid:3128 no_proxy=localhost" "$work/full.out"
ok $? "HTTP_PROXY and no_proxy reach the buildpacks"
grep -q "uid=1234 gid=1235" "$work/full.out" && grep -q "exec-env=test" "$work/full.out"
ok $? "--uid/--gid run the build as 1234:1235; --exec-env sets CNB_EXEC_ENV"
grep -q "note: --trust-builder" "$work/full.out"
ok $? "--trust-builder is accepted with a note"
[ -s "$work/sbom/launch/tests_pack-flags/sbom.cdx.json" ] && [ -s "$work/sbom/launch/tests_pack-flags/tool/sbom.cdx.json" ] &&
	grep -q '"name":"tool"' "$work/sbom/launch/tests_pack-flags/tool/sbom.cdx.json"
ok $? "--sbom-output-dir holds the launch SBOMs as pack lays them out: $(cd "$work/sbom" 2>/dev/null && find . -type f | sort | tr '\n' ' ')"
size=$(skopeo inspect --tls-verify=false --raw "docker://$reg/flags/app@$d" | wc -c)
python3 - "$work/report/report.toml" "$d" "$size" "$reg" > "$work/report.check" 2>&1 <<'PY'
import sys, tomllib
r = tomllib.load(open(sys.argv[1], "rb"))["image"]
assert r["digest"] == sys.argv[2], r
assert r["manifest-size"] == int(sys.argv[3]), r
reg = sys.argv[4]
assert r["tags"] == [f"{reg}/flags/app:latest", f"{reg}/flags/other:v2", f"{reg}/flags/app:v3", f"{reg}/flags/app:extra"], r["tags"]
PY
ok $? "report.toml: [image] digest, manifest-size and tags as the lifecycle writes them"; show "$work/report.check" 5

(cd "$work/app" && zip -qr "$work/app.zip" .)
"$cnb" config default-builder "$builder" && [ "$("$cnb" config default-builder)" = "$builder" ]
ok $? "cnb config default-builder sets and prints the default builder"
run zip "$work/cnb-build" "$reg/flags/zip" -p "$work/app.zip" --workspace /srv/app --executor host --publish \
	--disable-system-buildpacks --docker-host=unix:///var/run/docker.sock --lifecycle-image buildpacksio/lifecycle:0.20
ok $rc "a .zip app builds with the configured default builder and --workspace"; [ $rc = 0 ] || show "$work/zip.out"
grep -q "flags: app files: app.sh" "$work/zip.out" && grep -q "pwd=/srv/app" "$work/zip.out"
ok $? "the zip is unpacked as the app, which lives at --workspace"
skopeo inspect --tls-verify=false --config "docker://$reg/flags/zip" 2>/dev/null |
	python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["config"]["WorkingDir"] == "/srv/app" else 1)'
ok $? "the image's WorkingDir is the workspace"
grep -q "note: --docker-host" "$work/zip.out" && grep -q "note: --lifecycle-image" "$work/zip.out"
ok $? "--docker-host and --lifecycle-image are accepted with a note; --disable-system-buildpacks silently"

rm -f "$CNB_CONFIG"
mkdir -p "$work/app2" && cp -r "$src/examples/sample-app/." "$work/app2/"
printf '[_]\nschema-version = "0.2"\n[io.buildpacks]\nbuilder = "%s"\n' "$builder" > "$work/app2/project.toml"
run project "$work/cnb-build" "$reg/flags/project" -p "$work/app2" --executor host --publish
ok $rc "project.toml's [io.buildpacks] builder is used without --builder"; [ $rc = 0 ] || show "$work/project.out"

run version "$work/cnb-build" --version
[ $rc = 0 ] && grep -q "^cnb [0-9]" "$work/version.out"
ok $? "cnb-build --version"

mkdir -p "$work/tmp" && chmod 0500 "$work/tmp"
run tmpdir env TMPDIR="$work/tmp/none" "$work/cnb-build" "$reg/flags/tmp" --builder "$builder" -p "$work/app" --executor host --publish
[ $rc != 0 ] && grep -q "in $work/tmp/none (set TMPDIR" "$work/tmpdir.out"
ok $? "builds make their temporary directories in \$TMPDIR: $(tail -1 "$work/tmpdir.out")"
run tmpdir_run env TMPDIR="$work/tmp/none" "$cnb" run --executor host "docker://$reg/flags/project"
[ $rc != 0 ] && grep -q "in $work/tmp/none (set TMPDIR" "$work/tmpdir_run.out"
ok $? "so does cnb run: $(tail -1 "$work/tmpdir_run.out")"
run tmpdir_ok env TMPDIR="$work/tmp2" sh -c 'mkdir -p "$TMPDIR" && "$0" "$@" && [ -z "$(ls -A "$TMPDIR")" ]' \
	"$work/cnb-build" "$reg/flags/tmp" --builder "$builder" -p "$work/app" --executor host --publish
ok $rc "a build under TMPDIR=\$work/tmp2 works and leaves nothing there"; [ $rc = 0 ] || show "$work/tmpdir_ok.out"

# The run image's mirror on the registry the app goes to (pack's choice); the builder's own run image
# is on a registry that does not exist.
sed -e "s|BUILD_IMAGE|$reg/flags/base:build|; s|\.\./buildpacks/shell|$src/tests/e2e/pack-flags-buildpack|" \
	-e "s|examples/shell|tests/pack-flags|" \
	-e "s|^    image = \"RUN_IMAGE\"|    image = \"unreachable.invalid/flags/base:run\"\n    mirrors = [\"$reg/flags/base:run\"]|" \
	-e "s|RUN_IMAGE|unreachable.invalid/flags/base:run|" "$src/examples/builder/builder.toml" > "$work/mirror-builder.toml"
"$cnb" builder create -q "$reg/flags/mirror-builder" --config "$work/mirror-builder.toml" --publish >/dev/null
run mirrored "$work/cnb-build" "$reg/flags/mirrored" --builder "$reg/flags/mirror-builder" -p "$work/app" --executor host --publish
ok $rc "the run image is read from its mirror on the target registry"; [ $rc = 0 ] || show "$work/mirrored.out"
skopeo inspect --tls-verify=false --config "docker://$reg/flags/mirrored" 2>/dev/null | python3 -c '
import json, sys
md = json.loads(json.load(sys.stdin)["config"]["Labels"]["io.buildpacks.lifecycle.metadata"])
sys.exit(0 if md["runImage"]["image"] == "unreachable.invalid/flags/base:run" else 1)'
ok $? "the image's metadata still names the builder's run image (the mirror is where it was read)"

"$cnb" config registry-mirrors add registry.example.com --mirror "$reg" && "$cnb" config registry-mirrors list | grep -qx "registry.example.com=$reg"
ok $? "cnb config registry-mirrors add/list"
run via_mirror "$work/cnb-build" "$reg/flags/via-mirror" --builder registry.example.com/flags/pack-builder -p "$work/app" \
	--executor host --publish
ok $rc "a configured registry mirror serves the builder of registry.example.com"; [ $rc = 0 ] || show "$work/via_mirror.out"
"$cnb" config registry-mirrors remove registry.example.com && [ -z "$("$cnb" config registry-mirrors list)" ]
ok $? "cnb config registry-mirrors remove"

# Air-gapped: fill the store once, stop the registry, build again.
run local1 "$work/cnb-build" flags-local --builder "$builder" -p "$work/app" --executor host --pull-policy if-not-present
ok $rc "a local build fills the store"; [ $rc = 0 ] || show "$work/local1.out"
kill "${CNB_TEST_REGISTRY_PID:?}" && sleep 0.5
run never "$work/cnb-build" flags-local --builder "$builder" -p "$work/app" --executor host --pull-policy never
ok $rc "--pull-policy never builds with the registry stopped"; [ $rc = 0 ] || show "$work/never.out"
run missing "$work/cnb-build" flags-local --builder "$reg/flags/never-pulled" -p "$work/app" --executor host --pull-policy never
[ $rc = 3 ] && grep -q "pull policy never.*not in the local store" "$work/missing.out"
ok $? "--pull-policy never without the builder in the store fails clearly (exit $rc): $(tail -1 "$work/missing.out")"
tap_done
