#!/usr/bin/env bash
# Integration tests of oci/ through `cnb copy` / `cnb inspect` against a real docker-registry
# (run under tests/lib/with-registry.sh). TAP output.
#   test-oci-registry.sh CNB_EXE none|htpasswd|token
set -uo pipefail
cnb=$1
mode=$2
here=$(cd "$(dirname "$0")" && pwd)
reg=$CNB_TEST_REGISTRY
. "$(dirname "$0")/../lib/tap.sh"
for tool in umoci skopeo; do
	command -v $tool >/dev/null || { echo "1..0 # SKIP $tool not installed (scripts/install-deps.sh)"; exit 77; }
done

work=$(mktemp -d /tmp/cnb-oci-it-XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
export CNB_INSECURE_REGISTRIES= DOCKER_CONFIG=$work/docker HOME=$work/home
mkdir -p "$DOCKER_CONFIG" "$HOME"
sk_creds=()
if [ "$mode" != none ]; then
	auth=$(printf '%s:%s' "$CNB_TEST_REGISTRY_USER" "$CNB_TEST_REGISTRY_PASSWORD" | base64 -w0)
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$reg" "$auth" > "$DOCKER_CONFIG/config.json"
	sk_creds=(--dest-creds "$CNB_TEST_REGISTRY_USER:$CNB_TEST_REGISTRY_PASSWORD")
fi

# Fixture: an OCI layout made by umoci (not by us), pushed by skopeo.
fixture() { # NAME FILES...
	local name=$1; shift
	umoci init --layout "$work/$name" >/dev/null && umoci new --image "$work/$name:v1" >/dev/null || return 1
	for f in "$@"; do umoci insert --image "$work/$name:v1" "$f" "/data/$(basename "$f")" >/dev/null || return 1; done
}
head -c 300000 /dev/urandom > "$work/random.bin"
head -c 200000 /dev/urandom > "$work/other.bin"
check "fixture image built with umoci" fixture src /bin/busybox "$work/random.bin" "$work/other.bin"
check "fixture pushed with skopeo" skopeo copy -q --dest-tls-verify=false "${sk_creds[@]}" oci:"$work/src:v1" docker://$reg/fixture/app:v1
want=$(skopeo inspect --raw --tls-verify=false ${sk_creds[@]/--dest-creds/--creds} docker://$reg/fixture/app:v1 | sha256sum | cut -d' ' -f1)

cc() { CNB_CACHE_DIR=$work/cache "$cnb" "$@"; }

d1=$(cc copy docker://$reg/fixture/app:v1 oci:"$work/lay:v1" 2>"$work/err1")
ok $? "registry -> OCI layout ($(tail -1 "$work/err1"))"
[ "$d1" = "sha256:$want" ]; ok $? "layout keeps the registry's manifest digest ($d1)"
check "skopeo reads our layout" skopeo inspect oci:"$work/lay:v1"
d2=$(cc copy oci:"$work/lay:v1" docker://$reg/copy/app:v2 2>"$work/err2")
ok $? "OCI layout -> registry ($(tail -1 "$work/err2"))"
[ "$d2" = "$d1" ]; ok $? "registry -> layout -> registry keeps the digest"
got=$(skopeo inspect --raw --tls-verify=false ${sk_creds[@]/--dest-creds/--creds} docker://$reg/copy/app:v2 | sha256sum | cut -d' ' -f1)
[ "sha256:$got" = "$d1" ]; ok $? "the registry serves the same manifest bytes"
d3=$(cc copy -v $reg/fixture/app:v1 $reg/mounted/app:v1 2>"$work/err3")
ok $? "registry -> registry, other repository"
[ "$d3" = "$d1" ]; ok $? "same digest"
d5=$(CNB_REGISTRY_CHUNK_SIZE=65536 cc copy oci:"$work/lay:v1" docker://$reg/chunked/app:v1 2>"$work/err5")
[ $? = 0 ] && [ "$d5" = "$d1" ]; ok $? "chunked upload (PATCH 64 KiB pieces) keeps the digest ($(tail -1 "$work/err5"))"
cc inspect -o raw $reg/copy/app:v2 > "$work/inspect.json" 2>"$work/err4"
ok $? "inspect"
python3 - "$work/inspect.json" "$d1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["digest"] == sys.argv[2], j["digest"]
assert j["platform"] == "linux/amd64", j["platform"]
assert len(j["layers"]) == 3 and all(l["diffID"].startswith("sha256:") for l in j["layers"])
assert j["config"]["rootfs"]["diff_ids"] == [l["diffID"] for l in j["layers"]]
PY
ok $? "inspect JSON: digest, platform, layers with diffIDs"

# Bad input: one clear error, exit 3, nothing visible at the destination.
out=$(cc copy $reg/nope/app:v1 oci:"$work/none:v1" 2>&1); rc=$?
[ $rc = 3 ] && [[ $out == *"nope/app"* ]] && [[ $out == *MANIFEST_UNKNOWN* || $out == *"NAME_UNKNOWN"* ]] && [ ! -e "$work/none/index.json" ]
ok $? "unknown image: exit 3 naming it ($out)"
out=$(cc copy 127.0.0.1:1/app:v1 oci:"$work/none:v1" 2>&1); rc=$?
[ $rc = 3 ] && [[ $out == *"unreachable"* ]]; ok $? "unreachable registry ($out)"
# Plain HTTP on loopback: HTTPS is tried once per process, then the answer is kept for every client.
out=$(cc copy -v docker://$reg/copy/app:v2 docker://$reg/copy/probe:v1 2>&1); rc=$?
probes=$(grep -c "registry $reg: no HTTPS" <<<"$out"); clients=$(grep -c "registry $reg: http://$reg" <<<"$out")
[ $rc = 0 ] && [ "$probes" = 1 ] && [ "$clients" -ge 2 ]
ok $? "plain HTTP on 127.0.0.1: one HTTPS probe for $clients registry clients in one process ($probes)"

if [ "$mode" = none ]; then
	# Corrupt one layer's data in the registry storage: the download is refused, nothing stays.
	check "second fixture pushed" skopeo copy -q --dest-tls-verify=false oci:"$work/src:v1" docker://$reg/corrupt/app:v1
	layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][1]["digest"][7:])' "$work/inspect.json")
	data="$CNB_TEST_REGISTRY_DIR/docker/registry/v2/blobs/sha256/${layer:0:2}/$layer/data"
	cp "$data" "$work/saved-layer"
	size=$(stat -c %s "$data")
	head -c "$size" /dev/urandom > "$data"
	out=$(cc copy $reg/corrupt/app:v1 oci:"$work/bad:v1" 2>&1); rc=$?
	[ $rc = 3 ] && [[ $out == *"does not match its digest"* ]] && [[ $out == *"$layer"* ]]; ok $? "corrupted blob refused ($out)"
	[ -z "$(find "$work/bad" "$work/cache" -name "$layer*" 2>/dev/null)" ] && [ ! -e "$work/bad/index.json" ]
	ok $? "no trace of the bad blob, no index.json"
	cp "$work/saved-layer" "$data"

	# A partial download left by an earlier run is resumed with Range.
	mkdir -p "$work/res/blobs/sha256"
	head -c $((size / 2)) "$work/saved-layer" > "$work/res/blobs/sha256/$layer.partial"
	out=$(cc copy -v $reg/corrupt/app:v1 oci:"$work/res:v1" 2>&1); rc=$?
	[ $rc = 0 ] && [[ $out == *"resuming at byte $((size / 2))"* ]]; ok $? "a .partial is resumed"
	cmp -s "$work/saved-layer" "$work/res/blobs/sha256/$layer" && [ ! -e "$work/res/blobs/sha256/$layer.partial" ]
	ok $? "resumed blob is complete and the partial is gone"
	# A partial with wrong bytes fails verification once and is fetched again from the start.
	mkdir -p "$work/res2/blobs/sha256"
	head -c $((size / 2)) /dev/urandom > "$work/res2/blobs/sha256/$layer.partial"
	out=$(cc copy -v $reg/corrupt/app:v1 oci:"$work/res2:v1" 2>&1); rc=$?
	[ $rc = 0 ] && [[ $out == *"again from the start"* ]] && cmp -s "$work/saved-layer" "$work/res2/blobs/sha256/$layer"
	ok $? "a bad partial is restarted cleanly"

	# A proxy that cuts the first download of every blob mid-body, and serves bad manifests.
	python3 "$here/fault-proxy.py" "$reg" "$work/proxy.port" 2>"$work/proxy.log" & pids+=($!)
	for _ in $(seq 1 100); do [ -s "$work/proxy.port" ] && break; sleep 0.05; done
	proxy=127.0.0.1:$(cat "$work/proxy.port")
	out=$(cc copy -v $proxy/fixture/app:v1 oci:"$work/cut:v1" 2>&1); rc=$?
	[ $rc = 0 ] && [[ $out == *"resuming at byte"* ]]; ok $? "truncated downloads resume through a cutting proxy"
	d4=$(cc copy oci:"$work/cut:v1" oci:"$work/cut2:x" 2>/dev/null)
	[ "$d4" = "$d1" ]; ok $? "and the result verifies with the same digest"
	out=$(cc copy $proxy/huge/app:v1 oci:"$work/huge:v1" 2>&1); rc=$?
	[ $rc != 0 ] && [[ $out == *"limit"* ]] && [[ $out == *"huge/app"* ]]; ok $? "manifest over the size limit ($out)"
	out=$(cc copy $proxy/malformed/app:v1 oci:"$work/mal:v1" 2>&1); rc=$?
	[ $rc != 0 ] && [[ $out == *"malformed JSON"* ]] && [ ! -e "$work/mal/index.json" ]; ok $? "malformed manifest ($out)"
else
	# Wrong and missing credentials: one auth error naming the registry and what to do.
	bad=$(printf '%s:wrong' "$CNB_TEST_REGISTRY_USER" | base64 -w0)
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$reg" "$bad" > "$work/bad-config.json"
	out=$(DOCKER_CONFIG=$work/badcfg; mkdir -p $DOCKER_CONFIG; cp "$work/bad-config.json" $DOCKER_CONFIG/config.json;
	      DOCKER_CONFIG=$DOCKER_CONFIG cc copy $reg/fixture/app:v1 oci:"$work/wrong:v1" 2>&1); rc=$?
	[ $rc = 3 ] && [[ $out == *"access denied for user \"$CNB_TEST_REGISTRY_USER\""* ]] && [ ! -e "$work/wrong/index.json" ]
	ok $? "wrong password: auth error ($out)"
	out=$(DOCKER_CONFIG=$work/empty cc copy $reg/fixture/app:v1 oci:"$work/anon:v1" 2>&1); rc=$?
	[ $rc = 3 ] && [[ $out == *"no credentials found"* ]]; ok $? "no credentials: says how to log in ($out)"
	out=$(DOCKER_CONFIG=$work/empty CNB_REGISTRY_AUTH="{\"$reg\":\"Basic $auth\"}" cc copy $reg/fixture/app:v1 oci:"$work/env:v1" 2>&1)
	ok $? "CNB_REGISTRY_AUTH credentials work ($out)"
	if [ "$mode" = token ]; then
		: > "$CNB_TEST_TOKEN_LOG"
		cc copy $reg/fixture/app:v1 $reg/tokcopy/app:v1 >/dev/null 2>&1
		ok $? "copy between repositories with bearer tokens"
		grep -q "repository:tokcopy/app:pull,push repository:fixture/app:pull" "$CNB_TEST_TOKEN_LOG"
		ok $? "a cross-repository mount asks for both scopes"
		lines=$(wc -l < "$CNB_TEST_TOKEN_LOG")
		[ "$lines" -le 4 ]; ok $? "tokens are reused across requests ($lines token requests)"
	fi
fi
tap_done
