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
lacks() { if grep -qF -- "$2" "$1"; then ok 1 "$3"; echo "#   \"$2\" found in $1"; else ok 0 "$3"; fi; }
has() { # has FILE TEXT WHAT
	if grep -qF -- "$2" "$1"; then ok 0 "$3"; else ok 1 "$3"; echo "#   no \"$2\" in:"; sed 's/^/#   | /' "$1" | tail -30; fi
}

"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null
# The run image says another distro than the build image's /etc/os-release: buildpacks must see the run image's.
umoci config --image "$work/base:run" --config.label io.buildpacks.base.distro.name=runonly \
	--config.label io.buildpacks.base.distro.version=7 >/dev/null || { echo "Bail out! umoci config"; exit 1; }
for tag in build run; do
	"$cnb" copy "oci:$work/base:$tag" "docker://$reg/lc/base:$tag" >/dev/null || { echo "Bail out! push base"; exit 1; }
done
{
	for bp in always-fail meta node-engine npm optional-fail tool-a tool-b tool-user build-fail detect-error sbom-keeper under_score; do
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
# The reference's detect lines and levels: no Results at info when a group passes.
lacks "$work/pass.out" "======== Results ========" "detect: no Results block when a group passes"
has "$work/pass.out" "5 of 6 buildpacks participating" "detect: the meta buildpack expands, the failed optional one is dropped"
has "$work/pass.out" "test/node-engine 1.0.0" "detect: the group, ids in a column"
has "$work/pass.out" "node-engine: plan has node" "build: the provider gets its plan entry"
has "$work/pass.out" "npm: NODE_HOME=/layers/test_node-engine/node FROM_NODE=yes" "build: an earlier layer's env reaches the next buildpack"
has "$work/pass.out" "npm: fake-node --version" "build: an earlier layer's bin/ is on PATH"
has "$work/pass.out" 'tool-b: plan: [[entries]] name = "tool"' "build: an entry left unmet goes to the next provider"
has "$work/pass.out" "tool-user: BP_USER=from-user BP_OPERATOR=from-operator SECRET=unset" \
	"build: platform env (-e) and the builder's build-config env reach buildpacks, nothing else"

# host_build NAME BUILDPACK: builds $reg/lc/NAME from the app with BUILDPACK alone on the host executor;
# output in $work/NAME.out, exit code in $rc.
host_build() {
	"$cnb" build "$reg/lc/$1" --builder "$reg/lc/builder" --path "$work/app" --publish --executor host \
		--buildpack "$2" >"$work/$1.out" 2>&1
	rc=$?
}

host_build fail test/always-fail
[ $rc = 5 ]; ok $? "no group passes: exit 5 (got $rc)"
has "$work/fail.out" "always-fail: nothing for me here" "detect failure shows the buildpack's own output"
has "$work/fail.out" "No buildpack groups passed detection." "detect failure says why, in the reference's words"
has "$work/fail.out" "fail: test/always-fail@1.0.0" "detect failure shows the results"

host_build err test/detect-error
[ $rc = 5 ]; ok $? "a detect that errors: exit 5 (got $rc)"
has "$work/err.out" "err:  test/detect-error@1.0.0" "the erroring buildpack is named"

host_build bfail test/build-fail
[ $rc = 6 ]; ok $? "a buildpack failing in build: exit 6 (got $rc)"
has "$work/bfail.out" "build-fail: compiler crashed" "its stderr is shown"
has "$work/bfail.out" "test/build-fail" "it is named"

has "$work/create.out" 'buildpack id "test/under_score" contains `_`' "builder create: an id with _ is taken, with a warning"
host_build under test/under_score
ok $rc "an id with _ builds (host executor)"
has "$work/under.out" 'buildpack id "test/under_score" contains `_`' "detect warns about it too"

# Rebuilds (issue 17): a buildpack that keeps a launch layer and a cache layer through their restored
# metadata keeps their SBOMs, so an unchanged rebuild has the same digest; store.toml survives
# --clear-cache; CNB_TARGET_* comes from the run image. In the VM and with the host executor.
digest_of() { sed -n 's/^Successfully built .*@\(sha256:[0-9a-f]*\)$/\1/p' "$1" | tail -1; }
for executor in vm host; do
	for round in 1 2; do # not $n: tap.sh counts with it
		"$cnb" build "$reg/lc/keeper-$executor" --builder "$reg/lc/builder" --path "$work/app" --publish \
			--executor "$executor" --buildpack test/sbom-keeper >"$work/keeper-$executor-$round.out" 2>&1
		ok $? "$executor: sbom-keeper build $round"
	done
	has "$work/keeper-$executor-1.out" "distro=runonly@7" "$executor: CNB_TARGET_DISTRO_* from the run image's labels"
	has "$work/keeper-$executor-2.out" "Reusing cached layer helper (sbom: /layers/test_sbom-keeper/helper.sbom.cdx.json)" \
		"$executor: the rebuild finds the launch layer's SBOM restored from the previous image"
	has "$work/keeper-$executor-2.out" "Reusing cached layer deps (sbom: /layers/test_sbom-keeper/deps.sbom.cdx.json)" \
		"$executor: and the cache layer's, from the cache"
	has "$work/keeper-$executor-2.out" "Reusing layer 'test/sbom-keeper:helper'" "$executor: export says it reuses the layer"
	d1=$(digest_of "$work/keeper-$executor-1.out") d2=$(digest_of "$work/keeper-$executor-2.out")
	[ -n "$d1" ] && [ "$d1" = "$d2" ]; ok $? "$executor: the unchanged rebuild keeps the digest ($d1, $d2)"
done
skopeo copy -q --src-tls-verify=false "docker://$reg/lc/keeper-vm" "oci:$work/keeper:app" >/dev/null 2>&1 &&
	umoci unpack --image "$work/keeper:app" "$work/keeper-bundle" >/dev/null 2>&1 &&
	grep -q '"name":"helper"' "$work/keeper-bundle/rootfs/layers/sbom/launch/test_sbom-keeper/helper/sbom.cdx.json"
ok $? "the rebuilt image still has the launch layer's SBOM"
# byte shapes of the reference exporter, in the image built in the VM
skopeo inspect --tls-verify=false --config "docker://$reg/lc/keeper-vm" 2>/dev/null | python3 -c '
import json, sys
labels = json.load(sys.stdin)["config"]["Labels"]
build = json.loads(labels["io.buildpacks.build.metadata"])
assert build["processes"][0]["args"] is None, build["processes"]
' && [ "$(tail -c1 "$work/keeper-bundle/rootfs/layers/sbom/launch/sbom.legacy.json" | od -An -c | tr -d ' ')" = '\n' ] &&
	! grep -q 'args = \[\]\|labels = \[\]\|slices = \[\]' "$work/keeper-bundle/rootfs/layers/config/metadata.toml"
ok $? "labels and files shaped like the reference's: args null, sbom.legacy.json with its newline, no empty lists in metadata.toml"
has "$work/keeper-host-2.out" "store seen=true" "store.toml is restored"
"$cnb" build "$reg/lc/keeper-host" --builder "$reg/lc/builder" --path "$work/app" --publish --executor host \
	--buildpack test/sbom-keeper --clear-cache >"$work/keeper-clear.out" 2>&1
ok $? "host: --clear-cache build"
has "$work/keeper-clear.out" "store seen=true" "--clear-cache still restores store.toml (platform.md \"creator\" <skip-restore>)"
has "$work/keeper-clear.out" "Contributing layer deps" "--clear-cache restores no layer"

tap_done
