#!/usr/bin/env bash
# Pushes the test base images of both architectures (tests/fixtures/make-base-images.sh) as
# $CNB_TEST_REGISTRY/REPO/base:build and :run, each an OCI image index over an amd64 and an arm64
# image (also pushed as :build-amd64, :build-arm64...). The arm64 ones need scripts/install-deps.sh.
#   push-two-arch-base.sh CNB_EXE SOURCE_ROOT WORK_DIR REPO
set -euo pipefail
cnb=$1 src=$2 work=$3 repo=$4
reg=${CNB_TEST_REGISTRY:?run me through tests/lib/with-registry.sh}
for arch in amd64 arm64; do
	"$src/tests/fixtures/make-base-images.sh" "$work/base-$arch" $arch >/dev/null
	for tag in build run; do
		"$cnb" copy -q "oci:$work/base-$arch:$tag" "docker://$reg/$repo/base:$tag-$arch" >/dev/null
	done
done
for tag in build run; do
	python3 - "$reg" "$repo" "$tag" <<'PY'
import json, sys, urllib.request
reg, repo, tag = sys.argv[1:4]
mt = "application/vnd.oci.image.manifest.v1+json"
entries = []
for arch in ("amd64", "arm64"):
    req = urllib.request.Request(f"http://{reg}/v2/{repo}/base/manifests/{tag}-{arch}", headers={"Accept": mt})
    with urllib.request.urlopen(req) as r:
        body = r.read()
        entries.append({"mediaType": mt, "digest": r.headers["Docker-Content-Digest"], "size": len(body),
                        "platform": {"os": "linux", "architecture": arch}})
index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries})
req = urllib.request.Request(f"http://{reg}/v2/{repo}/base/manifests/{tag}", data=index.encode(), method="PUT",
                             headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
urllib.request.urlopen(req).close()
PY
done
