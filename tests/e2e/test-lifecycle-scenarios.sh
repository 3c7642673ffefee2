#!/usr/bin/env bash
# Lifecycle scenarios through a real builder image in a local registry (issue: lifecycle part 1):
# the test buildpacks of tests/lifecycle/buildpacks made into a builder with `cnb builder create`,
# then builds: a passing group found after a failing one (meta buildpack, optional buildpack,
# a plan requirement met by a later buildpack, env between buildpacks, platform and build-config
# env) in the VM; failing detect, erroring detect and a failing build (host executor, faster).
# Prints TAP.   test-lifecycle-scenarios.sh CNB_EXE SOURCE_ROOT   (through with-registry.sh)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$(dirname "$0")/../lib/tap.sh"
tap_workdir lc-e2e
bps=$src/tests/lifecycle/buildpacks
has() { # has FILE TEXT WHAT
	if grep -qF -- "$2" "$1"; then ok 0 "$3"; else ok 1 "$3"; echo "#   no \"$2\" in:"; sed 's/^/#   | /' "$1" | tail -30; fi
}

"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null
for tag in build run; do
	"$cnb" copy "oci:$work/base:$tag" "docker://$reg/lc/base:$tag" >/dev/null || { echo "Bail out! push base"; exit 1; }
done
{
	for bp in always-fail meta node-engine npm optional-fail tool-a tool-b tool-user build-fail detect-error; do
		printf '[[buildpacks]]\n  uri = "%s/test_%s/1.0.0"\n' "$bps" "$bp"
	done
	elem() { printf '  [[order.group]]\n    id = "test/%s"\n    version = "1.0.0"\n' "$1"; [ -z "${2:-}" ] || printf '    optional = true\n'; }
	printf '[[order]]\n'; elem always-fail
	printf '[[order]]\n'; elem meta; elem optional-fail optional; elem tool-a; elem tool-b; elem tool-user
	printf '[build]\n  image = "%s/lc/base:build"\n' "$reg"
	printf '  [[build.env]]\n    name = "BP_OPERATOR"\n    value = "from-operator"\n'
	printf '[run]\n  [[run.images]]\n    image = "%s/lc/base:run"\n' "$reg"
} > "$work/builder.toml"
"$cnb" builder create "$reg/lc/builder" --config "$work/builder.toml" --publish >"$work/create.out" 2>&1
ok $? "a builder from the lifecycle test buildpacks"
mkdir -p "$work/app" && echo '{"name":"app"}' > "$work/app/package.json"

"$cnb" build "$reg/lc/app" --builder "$reg/lc/builder" --path "$work/app" --publish -e BP_USER=from-user >"$work/pass.out" 2>&1
ok $? "the passing group builds in the VM and is published"
has "$work/pass.out" "fail: test/always-fail@1.0.0" "detect: the failing first group is reported"
has "$work/pass.out" "pass: test/node-engine@1.0.0" "detect: the meta buildpack expands to its group"
has "$work/pass.out" "skip: test/optional-fail@1.0.0" "detect: a failed optional buildpack is skipped"
has "$work/pass.out" "node-engine: plan has node" "build: the provider gets its plan entry"
has "$work/pass.out" "npm: NODE_HOME=/layers/test_node-engine/node FROM_NODE=yes" "build: an earlier layer's env reaches the next buildpack"
has "$work/pass.out" "npm: fake-node --version" "build: an earlier layer's bin/ is on PATH"
has "$work/pass.out" 'tool-b: plan:  [[entries]] name = "tool"' "build: an entry left unmet goes to the next provider"
has "$work/pass.out" "tool-user: BP_USER=from-user BP_OPERATOR=from-operator SECRET=unset" \
	"build: platform env (-e) and the builder's build-config env reach buildpacks, nothing else"

"$cnb" build "$reg/lc/fail" --builder "$reg/lc/builder" --path "$work/app" --publish --executor host \
	--buildpack test/always-fail >"$work/detect.out" 2>&1
rc=$?
[ $rc = 5 ]; ok $? "no group passes: exit 5 (got $rc)"
has "$work/detect.out" "always-fail: nothing for me here" "detect failure shows the buildpack's own output"
has "$work/detect.out" "no buildpack group passed detection" "detect failure says why"

"$cnb" build "$reg/lc/err" --builder "$reg/lc/builder" --path "$work/app" --publish --executor host \
	--buildpack test/detect-error >"$work/err.out" 2>&1
rc=$?
[ $rc = 5 ]; ok $? "a detect that errors: exit 5 (got $rc)"
has "$work/err.out" "err:  test/detect-error@1.0.0" "the erroring buildpack is named"

"$cnb" build "$reg/lc/bfail" --builder "$reg/lc/builder" --path "$work/app" --publish --executor host \
	--buildpack test/build-fail >"$work/bfail.out" 2>&1
rc=$?
[ $rc = 6 ]; ok $? "a buildpack failing in build: exit 6 (got $rc)"
has "$work/bfail.out" "build-fail: compiler crashed" "its stderr is shown"
has "$work/bfail.out" "test/build-fail" "it is named"

tap_done
