#!/usr/bin/env bash
# Shared fixture of the tests that build apps: base images (busybox + bash) pushed to the test
# registry and a builder made from examples/builder/builder.toml.
#   make-test-builder.sh CNB_EXE SOURCE_ROOT WORK_DIR REPO [NAME [BUILDPACK_DIR]]
# Pushes $CNB_TEST_REGISTRY/REPO/base:build and :run (once per WORK_DIR and REPO; the images are
# made in WORK_DIR/base unless it exists) and creates the builder $CNB_TEST_REGISTRY/REPO/NAME
# (default "builder") holding BUILDPACK_DIR (default examples/buildpacks/shell). Prints the
# builder's reference.
set -euo pipefail
cnb=$1 src=$2 work=$3 repo=$4 name=${5:-builder} bp=${6:-$2/examples/buildpacks/shell}
reg=${CNB_TEST_REGISTRY:?run me through tests/lib/with-registry.sh}
[ -d "$work/base" ] || "$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null
if [ ! -e "$work/base.pushed-${repo//\//_}" ]; then
	for tag in build run; do
		"$cnb" copy -q "oci:$work/base:$tag" "docker://$reg/$repo/base:$tag" >/dev/null
	done
	: > "$work/base.pushed-${repo//\//_}"
fi
sed -e "s|BUILD_IMAGE|$reg/$repo/base:build|; s|RUN_IMAGE|$reg/$repo/base:run|; s|\.\./buildpacks/shell|$bp|" \
	"$src/examples/builder/builder.toml" > "$work/$name.toml"
"$cnb" builder create -q "$reg/$repo/$name" --config "$work/$name.toml" --publish >/dev/null
echo "$reg/$repo/$name"
