#!/bin/bash
# Integration tests of cnb-lifecycle detect/build with real bash buildpacks, on the host (no VM):
# a temp dir laid out like a builder, the phases run as uid 1000 through setpriv. TAP output.
# usage: lifecycle-integration.sh <cnb-lifecycle> <buildpacks dir>
set -u
LC=$(realpath "$1")
BPS=$2
. "$(dirname "$0")/../lib/tap.sh"
is() { # got want what
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; printf '#   got:  %s\n#   want: %s\n' "$1" "$2"; fi
}
has() { # file pattern what
	if grep -qF -- "$2" "$1"; then ok 0 "$3"; else ok 1 "$3"; echo "#   no \"$2\" in $1:"; sed 's/^/#   | /' "$1" | head -40; fi
}
lacks() { if grep -qF -- "$2" "$1"; then ok 1 "$3"; echo "#   \"$2\" found in $1"; else ok 0 "$3"; fi; }

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "1..0 # SKIP needs root and setpriv to run the phases as uid 1000"
	exit 77
fi
ROOT=$(mktemp -d /tmp/cnb-lc-it-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$ROOT"' EXIT
chmod 0755 "$ROOT"

# new_builder <name> <order.toml text>: $B = a fresh builder-like root with app, layers, platform.
new_builder() {
	B=$ROOT/$1
	mkdir -p "$B/cnb/buildpacks" "$B/workspace" "$B/layers" "$B/platform/env" "$B/cnb/build-config/env"
	cp -a "$BPS"/. "$B/cnb/buildpacks/"
	printf '%s\n' "$2" > "$B/cnb/order.toml"
	echo '{"name":"app"}' > "$B/workspace/package.json"
	chown -R 1000:1000 "$B/workspace" "$B/layers" "$B/platform"
}

# phase <detect|build> [extra flags]: runs as uid 1000 with a minimal env; $OUT, $RC.
phase() {
	local p=$1
	shift
	OUT=$B/$p.out
	setpriv --reuid=1000 --regid=1000 --clear-groups \
		env -i HOME=/tmp PATH=/usr/local/bin:/usr/bin:/bin CNB_PLATFORM_API=${PLATFORM_API:-0.15} SECRET_HOST=leak \
		${DETECT_JOBS:+CNB_DETECT_JOBS=$DETECT_JOBS} \
		"$LC" "$p" -app "$B/workspace" -layers "$B/layers" -platform "$B/platform" \
		-buildpacks "$B/cnb/buildpacks" -build-config "$B/cnb/build-config" "$@" >"$OUT" 2>&1
	RC=$?
}

# elem <id> [optional]: one [[order.group]] entry (ends with a newline).
elem() { printf '  [[order.group]]\n    id = "%s"\n    version = "1.0.0"\n' "$1"; [ -z "${2:-}" ] || printf '    optional = true\n'; }

# single_builder <name> <id> [optional]: a builder whose order is one group of one buildpack.
single_builder() { new_builder "$1" "[[order]]
$(elem "$2" "${3:-}")"; }

# --- a passing group: meta buildpack, optional buildpack, plan met by a later provider, env ---
new_builder pass "[[order]]
$(elem test/always-fail)
[[order]]
$(elem test/meta)
$(elem test/optional-fail optional)
$(elem test/tool-a)
$(elem test/tool-b)
$(elem test/tool-user)"
# <layers>/order.toml wins over /cnb/order.toml when -order is not given.
cp "$B/cnb/order.toml" "$B/layers/order.toml"
printf 'from-user' > "$B/platform/env/BP_USER"
printf 'linked' > "$B/platform/linked-value"
ln -s ../linked-value "$B/platform/env/BP_LINK"
printf 'from-operator' > "$B/cnb/build-config/env/BP_OPERATOR"
phase detect
is "$RC" 0 "detect: exit 0 for a passing group"
# The reference's lines and levels (lifecycle phase/detector.go Resolve): results only at debug on success.
lacks "$OUT" "======== Results ========" "detect: no Results block at info when a group passes"
lacks "$OUT" "fail: " "detect: nor any fail: line (results or plan trials) at info"
has "$OUT" "5 of 6 buildpacks participating" "detect: N of M buildpacks participating"
has "$OUT" "test/npm         1.0.0" "detect: ids padded into a column"
phase detect -log-level debug
has "$OUT" "fail: test/always-fail@1.0.0" "detect, debug: the failing first group is reported"
has "$OUT" "pass: test/node-engine@1.0.0" "detect, debug: passing buildpacks are reported"
has "$OUT" "skip: test/optional-fail@1.0.0" "detect, debug: the failed optional buildpack is skipped"
has "$OUT" "fail: test/tool-b@1.0.0 requires" "detect, debug: a failed plan trial is shown"
phase detect -log-level warn
is "$RC" 0 "detect, warn: exit 0"
lacks "$OUT" "buildpacks participating" "detect, warn: info lines are filtered out (levels as the library's cnb_log_level)"
G=$B/layers/group.toml
ids=$(grep '^ *id = ' "$G" | sed 's/.*"\(.*\)"/\1/' | tr '\n' ' ')
is "$ids" "test/node-engine test/npm test/tool-a test/tool-b test/tool-user " \
	"group.toml: meta expanded, optional dropped, order kept"
has "$G" 'api = "0.9"' "group.toml: each buildpack's api"
lacks "$G" "optional" "group.toml: optional is stripped"
P=$B/layers/plan.toml
has "$P" 'name = "node"' "plan.toml: the node entry"
has "$P" 'version = "18.*"' "plan.toml: require metadata kept"
has "$P" 'name = "tool"' "plan.toml: the tool entry, from tool-b's [[or]] alternative"
is "$(grep -c 'id = "test/tool-' "$P")" 2 "plan.toml: tool-a and tool-b both provide tool"

phase build
is "$RC" 0 "build: exit 0"
has "$OUT" "node-engine: plan has node" "build: the provider gets its plan entry"
has "$OUT" "npm: NODE_HOME=$B/layers/test_node-engine/node FROM_NODE=yes NODE_OPTS=--max-old-space" \
	"build: env/ of an earlier layer reaches the next buildpack (override, no suffix, default)"
has "$OUT" "npm: fake-node --version" "build: an earlier layer's bin/ is on PATH"
has "$OUT" "---> node-engine: target linux/" "build: CNB_TARGET_* for Buildpack API 0.10"
has "$OUT" "npm: target=none exec-env=none" "build: no CNB_TARGET_* or CNB_EXEC_ENV for Buildpack API 0.9"
has "$OUT" "tool-a: exec-env=production" "build: CNB_EXEC_ENV (default production) for Buildpack API 0.12"
has "$OUT" 'tool-a: plan: [[entries]] name = "tool"  [entries.metadata] version = "1.2"' \
	"build: tool-a, the first provider, gets the tool entry with the requirer's metadata"
has "$OUT" 'tool-b: plan: [[entries]] name = "tool"  [entries.metadata] version = "1.2"' \
	"build: the entry tool-a left unmet goes to the next provider"
has "$OUT" "tool-user: BP_USER=from-user BP_OPERATOR=from-operator SECRET=unset BP_LINK=linked" \
	"build: platform env (symlinks followed) and build-config env given; the lifecycle's other env is not"
has "$OUT" "tool-user: plan: entries = []" "build: a requirer that provided nothing gets an empty plan"
has "$OUT" "tool-user: args: 3 layers=$B/layers/test_tool-user" "build: positional args passed"
[ -d "$B/layers/test_tool-b/scratch.ignore" ] && [ ! -e "$B/layers/test_tool-b/scratch" ]
ok $? "build: a layer with all types false becomes <layer>.ignore"
M=$B/layers/config/metadata.toml
has "$M" 'buildpack-default-process-type = "web"' "metadata.toml: the default process"
has "$M" 'command = ["fake-node", "worker.js"]' "metadata.toml: processes"
has "$M" 'key = "io.test.node"' "metadata.toml: labels"
is "$(grep -c '^ *id = "test/' "$M")" 5 "metadata.toml: every buildpack of the group"
[ -f "$B/layers/sbom/launch/test_node-engine/node/sbom.cdx.json" ]
ok $? "build: a launch layer's SBOM copied to sbom/launch/<bp>/<layer>/"
is "$(cat "$B/layers/sbom/launch/sbom.legacy.json")" \
	'[{"name":"Node Engine","metadata":{"version":"18.0.0"},"buildpack":{"id":"test/node-engine","version":"1.0.0"}}]' \
	"build: launch.toml [[bom]] → sbom/launch/sbom.legacy.json"
has "$B/layers/sbom/build/sbom.legacy.json" '"name":"tool-a-compiler"' "build: build.toml [[bom]] → sbom/build/sbom.legacy.json"
is "$(tail -c1 "$B/layers/sbom/launch/sbom.legacy.json" | od -An -c | tr -d ' ')" '\n' \
	"build: sbom.legacy.json ends with a newline (Go's json.Encoder)"
# metadata.toml leaves out what the reference's TOML encoder leaves out: nil slices and empty args
lacks "$M" "args = []" "metadata.toml: no empty args"
lacks "$M" "slices = []" "metadata.toml: no empty slices"

# --- failing detection ---
single_builder fail test/always-fail
phase detect -order "$B/cnb/order.toml"
is "$RC" 20 "detect: exit 20 when no group passes"
has "$OUT" "no buildpack group passed detection" "detect: says why"
has "$OUT" "always-fail: nothing for me here" "detect: the failing buildpack's output is shown"
out_at=$(grep -n "always-fail: nothing for me here" "$OUT" | head -1 | cut -d: -f1)
res_at=$(grep -n "======== Results ========" "$OUT" | head -1 | cut -d: -f1)
[ -n "$out_at" ] && [ -n "$res_at" ] && [ "$out_at" -lt "$res_at" ]
ok $? "detect: on failure, a buildpack's output comes before the Results block"
has "$OUT" "fail: test/always-fail@1.0.0" "detect: on failure, the results are shown at info"
has "$OUT" "No buildpack groups passed detection." "detect: the reference's failure line"
has "$OUT" "Please check that you are running against the correct path." "detect: and its hint"
[ ! -e "$B/layers/group.toml" ]
ok $? "detect: no group.toml on failure"

single_builder err test/detect-error
phase detect -order "$B/cnb/order.toml"
is "$RC" 21 "detect: exit 21 when a buildpack errored"
has "$OUT" "detect-error: cannot read the app" "detect: the erroring buildpack's output is shown"
has "$OUT" "err:  test/detect-error@1.0.0" "detect: the erroring buildpack is named"

# --- a buildpack failing in build ---
# build-fail comes in as a Platform 0.15 system buildpack (pre and post: added once).
single_builder buildfail test/always-fail optional
cat > "$B/cnb/system.toml" <<'TOML'
[[system.pre.buildpacks]]
  id = "test/build-fail"
  version = "1.0.0"
[[system.post.buildpacks]]
  id = "test/build-fail"
  version = "1.0.0"
TOML
phase detect -order "$B/cnb/order.toml" -system "$B/cnb/system.toml" -no-color
is "$RC" 0 "detect: build-fail passes detection"
is "$(grep -c 'id = ' "$B/layers/group.toml")" 1 "detect: a system buildpack joins the group once"
has "$B/layers/group.toml" 'id = "test/build-fail"' "detect: the system buildpack is in group.toml"
phase build
is "$RC" 51 "build: exit 51 when bin/build fails"
has "$OUT" "buildpack test/build-fail@1.0.0 failed: bin/build exited with status 7" "build: the error names the buildpack"
has "$OUT" "build-fail: compiler crashed" "build: buildpack output passes through"
[ ! -e "$B/layers/config/metadata.toml" ]
ok $? "build: no metadata.toml after a failed build"

# --- unsupported APIs ---
single_builder oldapi test/old-api
phase detect -order="$B/cnb/order.toml"
is "$RC" 12 "detect: exit 12 for an unsupported buildpack API"
has "$OUT" "test/old-api@1.0.0" "detect: the message names the buildpack"
has "$OUT" "supported: 0.7 to 0.12" "detect: and the supported range"
# build checks every buildpack of the group before running any
printf '[[group]]\nid = "test/build-fail"\nversion = "1.0.0"\napi = "0.10"\n[[group]]\nid = "test/old-api"\nversion = "1.0.0"\napi = "0.6"\n' \
	> "$B/layers/group.toml"
printf 'entries = []\n' > "$B/layers/plan.toml"
phase build
is "$RC" 12 "build: exit 12 for an unsupported buildpack API in the group"
lacks "$OUT" "build-fail: compiling" "build: checked before any buildpack runs"
PLATFORM_API=0.3 phase detect -order "$B/cnb/order.toml"
is "$RC" 11 "detect: exit 11 for an unsupported platform API"

# --- buildpacks the lifecycle rejects before or without running them ---
# mkbp <escaped id> <buildpack.toml body>: a generated buildpack whose detect passes.
mkbp() {
	mkdir -p "$B/cnb/buildpacks/$1/1.0.0/bin"
	printf '%s\n' "$2" > "$B/cnb/buildpacks/$1/1.0.0/buildpack.toml"
	printf '#!/bin/bash\nexit 0\n' > "$B/cnb/buildpacks/$1/1.0.0/bin/detect"
	chmod 0755 "$B/cnb/buildpacks/$1/1.0.0/bin/detect"
}
single_builder target test/windows-only
mkbp test_windows-only 'api = "0.10"
[buildpack]
id = "test/windows-only"
version = "1.0.0"
[[targets]]
os = "windows"'
phase detect -order "$B/cnb/order.toml"
is "$RC" 21 "detect: exit 21 when a required buildpack's targets do not match"
has "$OUT" "no [[targets]] entry matches the run image" "detect: says the target did not match"

new_builder exec-env "[[order]]
$(elem test/test-only)
$(elem test/build-fail)"
mkbp test_test-only 'api = "0.12"
[buildpack]
id = "test/test-only"
version = "1.0.0"
exec-env = ["test"]'
phase detect -order "$B/cnb/order.toml" -log-level debug
is "$RC" 0 "detect: a buildpack for another exec-env does not fail the group"
has "$OUT" "skip: test/test-only@1.0.0 is not for exec-env production" "detect: it is skipped (Platform 0.15)"
lacks "$B/layers/group.toml" "test/test-only" "detect: and left out of group.toml"

# Buildpack ids with `_`: the spec forbids them, pack and the reference lifecycle take them.
single_builder underscore test/under_score
phase detect -order "$B/cnb/order.toml"
is "$RC" 0 "detect: a buildpack id with _ is accepted"
has "$OUT" 'Warning: buildpack id "test/under_score" contains `_`' "detect: with a warning"
has "$B/layers/group.toml" 'id = "test/under_score"' "detect: it is in group.toml"
phase build
is "$RC" 0 "build: a buildpack id with _ builds"
[ -f "$B/layers/test_under_score/tool.toml" ]
ok $? "build: its layers are under the escaped id"
lacks "$B/layers/config/metadata.toml" "labels" "metadata.toml: no labels when no buildpack set any"
lacks "$B/layers/config/metadata.toml" "processes" "metadata.toml: no processes when no buildpack set any"

single_builder missing test/meta-ghost
mkbp test_meta-ghost 'api = "0.10"
[buildpack]
id = "test/meta-ghost"
version = "1.0.0"
[[order]]
[[order.group]]
id = "test/ghost"
version = "9.9.9"'
phase detect -order "$B/cnb/order.toml"
is "$RC" 22 "detect: exit 22 when a composite names a missing buildpack"
has "$OUT" "test/ghost@9.9.9 not found" "detect: names the missing buildpack"
printf '[[order]]\n%s\n' "$(elem test/ghost)" > "$B/cnb/order.toml"
phase detect -order "$B/cnb/order.toml"
is "$RC" 1 "detect: exit 1 when a top-level buildpack is missing"

# --- a group's detects run at the same time: each waits for the other's mark ---
new_builder parallel "[[order]]
$(elem test/ping)
$(elem test/pong)"
for pair in ping:pong pong:ping; do
	me=${pair%%:*} other=${pair##*:}
	mkbp "test_$me" "api = \"0.10\"
[buildpack]
id = \"test/$me\"
version = \"1.0.0\""
	cat > "$B/cnb/buildpacks/test_$me/1.0.0/bin/detect" <<SH
#!/bin/bash
: > "$B/platform/$me"
for i in \$(seq 50); do [ -e "$B/platform/$other" ] && exit 0; sleep 0.1; done
echo "$me: $other never started" >&2
exit 1
SH
done
phase detect -order "$B/cnb/order.toml"
is "$RC" 0 "detect: the buildpacks of a group are detected in parallel"

# --- parallel detection decides and prints what one-at-a-time detection does: the buildpacks
# finish in the reverse of their order, print, fail, err and write plans; two groups fail first ---
# slow_bp ID SLEEP EXIT PLAN-NAME: prints two lines, sleeps, writes a plan (provides and requires
# PLAN-NAME) unless that is empty, exits EXIT.
slow_bp() {
	mkbp "test_$1" "api = \"0.10\"
[buildpack]
id = \"test/$1\"
version = \"1.0.0\""
	cat > "$B/cnb/buildpacks/test_$1/1.0.0/bin/detect" <<SH
#!/bin/bash
echo "$1: looking"
sleep $2
echo "$1: done (exit $3)" >&2
[ -z "$4" ] || printf '[[provides]]\nname = "%s"\n[[requires]]\nname = "%s"\n' "$4" "$4" > "\$CNB_BUILD_PLAN_PATH"
exit $3
SH
}
new_builder same "[[order]]
$(elem test/s-slow)
$(elem test/s-err)
$(elem test/s-fast)
[[order]]
$(elem test/s-slow)
$(elem test/s-unmet)
[[order]]
$(elem test/s-slow)
$(elem test/s-mid optional)
$(elem test/s-no optional)
$(elem test/s-fast)"
slow_bp s-slow 0.8 0 slow
slow_bp s-err 0.4 3 ""
slow_bp s-fast 0 0 fast
slow_bp s-mid 0.4 0 mid
slow_bp s-no 0.2 100 ""
mkbp test_s-unmet 'api = "0.10"
[buildpack]
id = "test/s-unmet"
version = "1.0.0"'
printf '#!/bin/bash\necho "s-unmet: needs what nobody gives"\nprintf "[[requires]]\\nname = \\"nobody\\"\\n" > "$CNB_BUILD_PLAN_PATH"\n' \
	> "$B/cnb/buildpacks/test_s-unmet/1.0.0/bin/detect"
for jobs in 1 ""; do
	DETECT_JOBS=$jobs phase detect -order "$B/cnb/order.toml" -log-level debug
	mkdir -p "$B/jobs$jobs"
	cp "$OUT" "$B/jobs$jobs/out"
	cp "$B/layers/group.toml" "$B/layers/plan.toml" "$B/jobs$jobs/" 2>/dev/null
	echo "$RC" > "$B/jobs$jobs/rc"
done
is "$(cat "$B/jobs1/rc")" 0 "detect, one at a time (CNB_DETECT_JOBS=1): the third group passes"
has "$B/jobs1/group.toml" 'test/s-mid' "detect, one at a time: the optional passing buildpack is in the group"
for f in rc group.toml plan.toml out; do
	if cmp -s "$B/jobs1/$f" "$B/jobs/$f"; then ok 0 "detect in parallel: the same $f as one at a time"; else
		ok 1 "detect in parallel: the same $f as one at a time"
		diff "$B/jobs1/$f" "$B/jobs/$f" | head -20 | sed 's/^/#   /'
	fi
done
[ "$(grep -o 's-[a-z]*: looking' "$B/jobs/out" | head -3 | tr '\n' ' ')" = "s-slow: looking s-err: looking s-fast: looking " ]
ok $? "detect in parallel: each buildpack's output in the group's order, not in the order they finished"

# --- every path input of platform.md "detector" and "builder" "Inputs", given by environment only ---
single_builder paths test/under_score
mkdir -p "$B/alt/layers" "$B/alt/app" "$B/alt/platform/env" "$B/alt/files" "$B/alt/bps"
cp -a "$BPS/test_under_score" "$B/alt/bps/"
mv "$B/cnb/order.toml" "$B/alt/files/my-order.toml"
printf 'x' > "$B/alt/platform/env/BP_ALT"
chown -R 1000:1000 "$B/alt"
# env_phase <detect|build>: the phase with no path flags at all, every path from CNB_* variables.
env_phase() {
	OUT=$B/env-$1.out
	setpriv --reuid=1000 --regid=1000 --clear-groups \
		env -i HOME=/tmp PATH=/usr/bin:/bin CNB_PLATFORM_API=0.15 CNB_APP_DIR="$B/alt/app" \
		CNB_LAYERS_DIR="$B/alt/layers" CNB_PLATFORM_DIR="$B/alt/platform" CNB_BUILDPACKS_DIR="$B/alt/bps" \
		CNB_ORDER_PATH="$B/alt/files/my-order.toml" CNB_GROUP_PATH="$B/alt/files/my-group.toml" \
		CNB_PLAN_PATH="$B/alt/files/my-plan.toml" CNB_BUILD_CONFIG_DIR="$B/cnb/build-config" \
		"$LC" "$1" >"$OUT" 2>&1
	RC=$?
}
env_phase detect
is "$RC" 0 "paths: detect with CNB_ORDER_PATH, CNB_BUILDPACKS_DIR, CNB_APP_DIR, CNB_PLATFORM_DIR"
[ -f "$B/alt/files/my-group.toml" ] && [ -f "$B/alt/files/my-plan.toml" ] && [ ! -e "$B/alt/layers/group.toml" ]
ok $? "paths: group and plan written at CNB_GROUP_PATH and CNB_PLAN_PATH"
env_phase build
is "$RC" 0 "paths: build reads them there"
[ -f "$B/alt/layers/test_under_score/tool.toml" ] && [ -f "$B/alt/layers/config/metadata.toml" ]
ok $? "paths: layers and metadata.toml under CNB_LAYERS_DIR"
# Flags win over the environment; by default group and plan follow the layers dir given by flag;
# a relative path is taken from the working directory, as the reference's filepath.Abs does.
rm -f "$B/alt/files/my-group.toml"
mkdir -p "$B/alt/cwd/rel" && chown -R 1000:1000 "$B/alt/cwd"
(cd "$B/alt/cwd" && setpriv --reuid=1000 --regid=1000 --clear-groups \
	env -i HOME=/tmp PATH=/usr/bin:/bin CNB_PLATFORM_API=0.15 CNB_LAYERS_DIR=/nonexistent \
	"$LC" detect -app ../app -layers ../layers -platform ../platform -buildpacks ../bps \
	-order ../files/my-order.toml -group rel/g.toml -build-config "$B/cnb/build-config") >"$B/flags.out" 2>&1
is "$?" 0 "paths: relative flags override the environment"
[ -f "$B/alt/cwd/rel/g.toml" ] && [ -f "$B/alt/layers/plan.toml" ]
ok $? "paths: -group relative to the working directory; plan defaults to <layers>/plan.toml"

# --- image extensions: detect with [[order-extensions]], then generate (image_extension.md) ---
# mkext <id> <version> <detect body or -> <generate body or ->: an extension under cnb/extensions; "-" leaves the
# executable out (detect: passes with detect/plan.toml; generate: generate/ is its output).
mkext() {
	local d=$B/cnb/extensions/${1//\//_}/$2
	mkdir -p "$d/bin"
	printf 'api = "0.10"\n[extension]\nid = "%s"\nversion = "%s"\n' "$1" "$2" > "$d/extension.toml"
	[ "$3" = - ] || { printf '#!/bin/bash\n%s\n' "$3" > "$d/bin/detect"; chmod 0755 "$d/bin/detect"; }
	[ "$4" = - ] || { printf '#!/bin/bash\n%s\n' "$4" > "$d/bin/generate"; chmod 0755 "$d/bin/generate"; }
	E=$d
}
ext_order() { # <ext id>...: [[order-extensions]] with one group
	printf '[[order-extensions]]\n'
	for e in "$@"; do printf '  [[order-extensions.group]]\n    id = "%s"\n    version = "1.0.0"\n' "$e"; done
}
ext_builder() { # <name> <ext id>...: order = test/wants-curl (requires curl) or test/plain; extensions as given
	local name=$1
	shift
	new_builder "$name" "[[order]]
$(elem test/wants-curl)
[[order]]
$(elem test/plain)
$(ext_order "$@")"
	mkbp test_plain 'api = "0.10"
[buildpack]
id = "test/plain"
version = "1.0.0"'
	mkbp test_wants-curl 'api = "0.10"
[buildpack]
id = "test/wants-curl"
version = "1.0.0"'
	local bp=$B/cnb/buildpacks/test_wants-curl/1.0.0/bin
	printf '#!/bin/bash\n[ -f need-curl ] || exit 100\nprintf "[[requires]]\\nname = \\"curl\\"\\n" > "$CNB_BUILD_PLAN_PATH"\n' > "$bp/detect"
	printf '#!/bin/bash\ncp "$CNB_BP_PLAN_PATH" "$CNB_LAYERS_DIR/../given-plan.toml"\n' > "$bp/build"
	chmod 0755 "$bp/build"
	printf '[run-image]\n  reference = "127.0.0.1:5000/run-a@sha256:%064d"\n  image = "127.0.0.1:5000/run-a"\n' 0 \
		> "$B/layers/analyzed.toml"
	printf '[[images]]\n  image = "127.0.0.1:5000/run-a"\n' > "$B/cnb/run.toml"
	chown -R 1000:1000 "$B/layers"
}
ext_builder extensions e/curl e/extend-run
mkext e/curl 1.0.0 '[ -f need-curl ] || exit 100
printf "[[provides]]\nname = \"curl\"\n" > "$CNB_BUILD_PLAN_PATH"' \
	'env | grep -E "^CNB_(OUTPUT_DIR|PLATFORM_DIR|BP_PLAN_PATH|EXTENSION_DIR)=" | sort > "$CNB_OUTPUT_DIR/env.txt"
id -u >> "$CNB_OUTPUT_DIR/env.txt"
cat "$CNB_BP_PLAN_PATH" > "$CNB_OUTPUT_DIR/plan.txt"
printf "ARG base_image\nFROM \${base_image}\nUSER root\nRUN echo curl\n" > "$CNB_OUTPUT_DIR/build.Dockerfile"
printf "[[build.args]]\nname = \"v\"\nvalue = \"1\"\n" > "$CNB_OUTPUT_DIR/extend-config.toml"
printf "# switch\nFROM 127.0.0.1:5000/run-b:latest\n" > "$CNB_OUTPUT_DIR/run.Dockerfile"'
mkext e/extend-run 1.0.0 - -
mkdir -p "$E/generate"
printf 'ARG base_image\nFROM ${base_image}\nRUN \\\n  echo extended\n' > "$E/generate/run.Dockerfile"
touch "$B/workspace/need-curl"
phase detect -extensions "$B/cnb/extensions" -order "$B/cnb/order.toml"
is "$RC" 0 "extensions: detect passes with [[order-extensions]] in the order"
has "$B/layers/group.toml" '[[group-extensions]]' "extensions: group.toml has [[group-extensions]]"
is "$(grep -c 'id = "e/' "$B/layers/group.toml")" 2 "extensions: both extensions are in the group (one without bin/detect)"
has "$B/layers/plan.toml" 'extension = true' "extensions: plan.toml marks the extension provider"
phase generate -extensions "$B/cnb/extensions"
is "$RC" 0 "extensions: generate exit 0"
G=$B/layers/generated
[ -f "$G/e_curl/build.Dockerfile" ] && [ -f "$G/e_curl/extend-config.toml" ] && [ -f "$G/e_curl/run.Dockerfile" ]
ok $? "extensions: bin/generate's files in <generated>/<escaped id>/"
[ -f "$G/e_extend-run/run.Dockerfile" ]
ok $? "extensions: a pre-populated generate/ dir is copied there too"
has "$G/e_curl/env.txt" "CNB_OUTPUT_DIR=$G/e_curl" "extensions: CNB_OUTPUT_DIR is the extension's output dir"
has "$G/e_curl/env.txt" "CNB_EXTENSION_DIR=$B/cnb/extensions/e_curl/1.0.0" "extensions: CNB_EXTENSION_DIR"
has "$G/e_curl/env.txt" "CNB_PLATFORM_DIR=$B/platform" "extensions: CNB_PLATFORM_DIR"
is "$(tail -1 "$G/e_curl/env.txt")" 1000 "extensions: bin/generate runs as the CNB user"
has "$G/e_curl/plan.txt" 'name = "curl"' "extensions: the extension's plan has what it provides"
lacks "$B/layers/plan.toml" 'curl' "extensions: entries extensions met leave the plan buildpacks get"
has "$B/layers/analyzed.toml" 'image = "127.0.0.1:5000/run-b:latest"' "extensions: analyzed.toml names the new run image"
lacks "$B/layers/analyzed.toml" 'sha256:' "extensions: its old reference is cleared"
has "$B/layers/analyzed.toml" 'extend = true' "extensions: a later run.Dockerfile with RUN marks the run image extended"
has "$OUT" "new runtime base image '127.0.0.1:5000/run-b:latest' not found in run metadata" \
	"extensions: a warning when run.toml does not list the new run image"
phase build
is "$RC" 0 "extensions: build runs after generate"
[ -f "$B/layers/given-plan.toml" ] && ! grep -q curl "$B/layers/given-plan.toml"
ok $? "extensions: the buildpack's plan has no entry an extension met"

# The extending extension first: the switch after it makes its run.Dockerfile pointless (.ignore).
ext_builder ext-order e/extend-run e/curl
mkext e/curl 1.0.0 'printf "[[provides]]\nname = \"curl\"\n" > "$CNB_BUILD_PLAN_PATH"' \
	'printf "FROM 127.0.0.1:5000/run-a\n" > "$CNB_OUTPUT_DIR/run.Dockerfile"'
mkext e/extend-run 1.0.0 - 'printf "ARG base_image\nFROM \$base_image\nENV X=1\n" > "$CNB_OUTPUT_DIR/run.Dockerfile"'
touch "$B/workspace/need-curl"
phase detect -extensions "$B/cnb/extensions" -order "$B/cnb/order.toml"
phase generate -extensions "$B/cnb/extensions"
is "$RC" 0 "extensions: generate with two run.Dockerfiles"
[ -f "$B/layers/generated/e_extend-run/run.Dockerfile.ignore" ] && [ ! -f "$B/layers/generated/e_extend-run/run.Dockerfile" ]
ok $? "extensions: a run.Dockerfile before the one that switches becomes run.Dockerfile.ignore"
lacks "$B/layers/analyzed.toml" 'extend' "extensions: nothing to extend then"
has "$B/layers/analyzed.toml" 'reference = "127.0.0.1:5000/run-a@sha256' "extensions: FROM the same run image keeps analyzed.toml as it was"
lacks "$OUT" "not found in run metadata" "extensions: no warning for a run image run.toml lists"

# An app no extension detects: the buildpacks alone; generate has nothing to do.
ext_builder ext-none e/curl
mkext e/curl 1.0.0 '[ -f need-curl ] || exit 100' 'exit 1'
phase detect -extensions "$B/cnb/extensions" -order "$B/cnb/order.toml"
is "$RC" 0 "extensions: an app that selects no extension passes detect (was exit 3)"
lacks "$B/layers/group.toml" 'group-extensions' "extensions: no [[group-extensions]] then"
has "$B/layers/group.toml" 'test/plain' "extensions: the buildpack group that passed"
phase generate -extensions "$B/cnb/extensions"
is "$RC" 0 "extensions: generate without extensions in the group does nothing"
[ ! -e "$B/layers/generated" ]
ok $? "extensions: and writes no generated dir"

# Extensions may only provide; a failing bin/generate is exit 91; a multi-stage run.Dockerfile is refused.
ext_builder ext-bad e/requires e/gen-fail
mkext e/requires 1.0.0 'printf "[[requires]]\nname = \"x\"\n" > "$CNB_BUILD_PLAN_PATH"' -
mkext e/gen-fail 1.0.0 'exit 0' 'echo generate-broke; exit 3'
phase detect -extensions "$B/cnb/extensions" -order "$B/cnb/order.toml" -log-level debug
is "$RC" 0 "extensions: an extension writing requires errors, and is optional"
has "$OUT" 'outputs "requires"' "extensions: says why"
lacks "$B/layers/group.toml" 'e/requires' "extensions: it is left out"
phase generate -extensions "$B/cnb/extensions"
is "$RC" 91 "extensions: a failing bin/generate is exit 91"
has "$OUT" "generate-broke" "extensions: its output is shown"
mkext e/gen-fail 1.0.0 'exit 0' 'printf "FROM a\nFROM b\n" > "$CNB_OUTPUT_DIR/run.Dockerfile"'
phase generate -extensions "$B/cnb/extensions"
is "$RC" 92 "extensions: a multi-stage run.Dockerfile fails generate"
has "$OUT" "multi-stage" "extensions: says why"

# --- root ---
OUT=$B/root.out
env -i PATH=/usr/bin:/bin CNB_PLATFORM_API=0.15 "$LC" detect -layers "$B/layers" >"$OUT" 2>&1
is "$?" 1 "detect: refuses to run as root"
has "$OUT" "refusing to run as root" "detect: says so"
env -i PATH=/usr/bin:/bin CNB_PLATFORM_API=0.15 "$LC" build -layers "$B/layers" >"$OUT" 2>&1
is "$?" 1 "build: refuses to run as root"

# --- usage ---
phase detect -bogus x
is "$RC" 3 "detect: exit 3 for an unknown flag"

tap_done
