#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: install what libcnb needs, build and install it, start
# a local registry, make a builder from the example buildpack, build the sample app into an image
# in that registry (inside the build VM), and run the image.
#   scripts/demo.sh                 everything (registry on 127.0.0.1:5000, or CNB_DEMO_PORT)
#   CNB_EXECUTOR=host scripts/demo.sh   the same without a VM (Linux namespaces, root)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
work=$top/.demo
prefix=$work/install
port=${CNB_DEMO_PORT:-5000}
reg=127.0.0.1:$port
executor=${CNB_EXECUTOR:-vm}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Installing dependencies (Debian packages)"
scripts/install-deps.sh

step "Building and installing libcnb into $prefix"
if [ ! -d build-demo ]; then meson setup build-demo --prefix="$prefix" >/dev/null; fi
meson compile -C build-demo | tail -1
meson install -C build-demo --quiet
export PATH=$prefix/bin:$PATH
export CNB_CACHE_DIR=$work/cache

step "Starting a local registry on $reg"
mkdir -p "$work/registry"
registry_pid=
if ! curl -s -o /dev/null "http://$reg/v2/"; then
	cat > "$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: $reg
YAML
	docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
	registry_pid=$!
	trap '[ -n "$registry_pid" ] && kill $registry_pid 2>/dev/null; true' EXIT
	for _ in $(seq 1 100); do curl -s -o /dev/null "http://$reg/v2/" && break; sleep 0.1; done
fi

step "Making base images (busybox + bash) and pushing them"
tests/fixtures/make-base-images.sh "$work/base" >/dev/null
cnb copy "oci:$work/base:build" "docker://$reg/cnb-demo/base:build"
cnb copy "oci:$work/base:run" "docker://$reg/cnb-demo/base:run"

step "Creating a builder from examples/builder/builder.toml"
sed -e "s|BUILD_IMAGE|$reg/cnb-demo/base:build|; s|RUN_IMAGE|$reg/cnb-demo/base:run|" \
	-e "s|\.\./buildpacks/shell|$top/examples/buildpacks/shell|" examples/builder/builder.toml > "$work/builder.toml"
cnb builder create "$reg/cnb-demo/builder" --config "$work/builder.toml" --publish

step "Building examples/sample-app (executor: $executor)"
cnb-build "$reg/cnb-demo/sample-app" --builder "$reg/cnb-demo/builder" --path examples/sample-app --publish \
	--executor "$executor" --report-json "$work/report.json"

step "Running the image"
cnb run "docker://$reg/cnb-demo/sample-app" --executor "$executor" -- from the README

step "Done"
echo "Image: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reference"])' "$work/report.json")"
echo "Build report: $work/report.json"
