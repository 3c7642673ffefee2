#!/usr/bin/env bash
# The examples against a real local registry: examples/c/build-app builds the sample app (host
# executor as root, else the VM) and prints its digest; examples/go (cgo) builds it too, its Go
# log callback receiving the buildpack output, then cancels a build from its Go context after the
# first output line (CNB_ECANCELED, no QEMU of ours left, nothing pushed). One builder for all.
#   test-examples.sh CNB_EXE SOURCE_ROOT BUILD_APP_EXE [GO_EXAMPLE_EXE]   (through with-registry.sh)
set -u
cnb=$1 src=$2 build_app=$3 go_example=${4:-}
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$(dirname "$0")/../lib/tap.sh"
tap_workdir examples
export TMPDIR=$work
is_digest() { [[ $1 =~ ^sha256:[0-9a-f]{64}$ ]]; }
registry_digest() { # the manifest digest the registry serves for REPO:TAG
	curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$reg/v2/$1/manifests/${2:-latest}" |
		tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

builder=$("$src/tests/lib/make-test-builder.sh" "$cnb" "$src" "$work" examples 2>"$work/fixture.out") ||
	{ echo "Bail out! base images and builder"; show "$work/fixture.out"; exit 1; }
cp -r "$src/examples/sample-app" "$work/app"

# --- C --- (host executor as root: quicker than a TCG boot, and the same digest as the VM's)
c_exec=vm; [ "$(id -u)" = 0 ] && c_exec=host
"$build_app" --executor $c_exec "$reg/examples/c-app" "$builder" "$work/app" >"$work/c.out" 2>"$work/c.err"; rc=$?
dc=$(tail -1 "$work/c.out")
[ $rc = 0 ] && is_digest "$dc" && [ "$dc" = "$(registry_digest examples/c-app)" ]
ok $? "C example: builds ($c_exec executor), pushes, prints the digest the registry serves ($dc)"; [ $rc = 0 ] || show "$work/c.err"
grep -q '^  | ---> Shell app buildpack$' "$work/c.err"; ok $? "C example: buildpack output reaches the log callback"
"$build_app" >/dev/null 2>&1; [ $? = 2 ]; ok $? "C example: usage error exits 2"

# --- Go ---
if [ -z "$go_example" ]; then
	skip "Go example: go not installed"; skip "Go example: go not installed"; skip "Go example: go not installed"
	tap_done; exit
fi
"$go_example" -image "$reg/examples/go-app" -builder "$builder" -path "$work/app" >"$work/go.out" 2>"$work/go.err"; rc=$?
dg=$(sed -n 's/^digest: //p' "$work/go.out")
[ $rc = 0 ] && is_digest "$dg" && [ "$dg" = "$(registry_digest examples/go-app)" ] && [ "$dg" = "$dc" ]
ok $? "Go example: builds, its digest is the registry's and the C example's (VM = $c_exec executor: $dg)"
[ $rc = 0 ] || { show "$work/go.out"; show "$work/go.err"; }
grep -q '^go callback: ---> Shell app buildpack$' "$work/go.out" && grep -q '^go callback: .*build number 1' "$work/go.out"
ok $? "Go example: the Go log callback (cgo.Handle userdata) received the buildpack's output lines"

# A buildpack that prints, then would sleep for a minute: the Go context cancels it after line one.
cp -r "$src/examples/buildpacks/shell" "$work/slow-bp"
sed -i 's|^echo "---> Shell app buildpack"$|&\nsleep 60|' "$work/slow-bp/bin/build"
slow=$("$src/tests/lib/make-test-builder.sh" "$cnb" "$src" "$work" examples slow "$work/slow-bp" 2>"$work/fixture.out") ||
	{ echo "Bail out! slow builder"; show "$work/fixture.out"; exit 1; }
start=$(date +%s)
"$go_example" -image "$reg/examples/go-cancel" -builder "$slow" -path "$work/app" \
	-cancel-on-output >"$work/cancel.out" 2>"$work/cancel.err"; rc=$?
took=$(( $(date +%s) - start ))
sleep 0.5
left=$(pgrep -f "qemu-system.*$work" | tr '\n' ' ')
[ $rc = 1 ] && grep -q '^cancelling the build$' "$work/cancel.out" && grep -q '^error: CNB_ECANCELED: ' "$work/cancel.out" &&
	[ $took -lt 45 ] && [ -z "$left" ] && [ -z "$(registry_digest examples/go-cancel)" ]
ok $? "Go example: cancelling the context after the first output line gives CNB_ECANCELED in ${took}s, no QEMU left${left:+ (left: $left)}, nothing pushed"
grep -q '^error: CNB_ECANCELED' "$work/cancel.out" || { show "$work/cancel.out"; show "$work/cancel.err"; }
[ -n "$left" ] && kill $left 2>/dev/null

tap_done
