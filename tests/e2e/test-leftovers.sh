#!/usr/bin/env bash
# What kill -9 leaves behind and who removes it: builds are killed while the app is copied, while
# a buildpack runs and while the app layer is compressed; one more build then leaves no job
# directory (in $TMPDIR) and no temp blob, and `cnb cache prune` shrinks the blob store while
# keeping what cached trees use. Host executor (the leftovers are the host's either way). TAP.
#   test-leftovers.sh CNB_EXE SOURCE_ROOT   (run through with-registry.sh)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
work=$(mktemp -d /tmp/cnb-leftovers-XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
export CNB_CACHE_DIR=$work/cache XDG_DATA_HOME=$work/data TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
. "$src/tests/lib/tap.sh"
blobs=$CNB_CACHE_DIR/blobs/sha256
job_dirs() { find "$TMPDIR" -maxdepth 1 -name 'cnb-job-*' -type d | wc -l; }
temp_blobs() { find "$blobs" -maxdepth 1 -name '.tmp-*' 2>/dev/null | wc -l; }
store_kb() { du -sk "$blobs" | cut -f1; }

# The shell buildpack, sleeping when the app asks for it (so a build can be caught mid-step).
cp -r "$src/examples/buildpacks/shell" "$work/bp"
sed -i 's|^echo "---> Shell app buildpack"$|&\n[ ! -e slow ] \|\| { echo "---> sleeping"; sleep 20; }|' "$work/bp/bin/build"
builder=$("$src/tests/lib/make-test-builder.sh" "$cnb" "$src" "$work" leftovers builder "$work/bp" 2>"$work/fixture.out") ||
	{ echo "Bail out! builder"; show "$work/fixture.out"; exit 1; }
cp -r "$src/examples/sample-app" "$work/app"
# 200 MB of random data: a copy and a compression long enough to be caught
head -c $((200 << 20)) /dev/urandom > "$work/app/big.bin"

# The host executor's scratch mount points (/tmp/cnb-host-*, lib/executor/host-executor.c) have no
# owner lock yet, so nothing may remove them safely: the test removes those of its own kills.
host_scratch() { ls -d /tmp/cnb-host-* 2>/dev/null | sort; }
scratch_before=$(host_scratch)

# kill_when NAME CONDITION...: starts a build, kills it -9 once CONDITION holds (polled)
kill_when() {
	local name=$1; shift
	"$cnb" build "$reg/leftovers/app" --builder "$builder" --path "$work/app" --publish --executor host \
		>"$work/$name.out" 2>&1 &
	local pid=$! waited=0
	pids+=("$pid")
	until "$@" || [ $waited -gt 6000 ] || ! kill -0 $pid 2>/dev/null; do sleep 0.05; waited=$((waited + 1)); done
	kill -0 $pid 2>/dev/null && "$@"; local caught=$?
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	local dirs=$(job_dirs) temps=$(temp_blobs)
	[ $caught = 0 ] && [ "$dirs" -ge 1 ] && { [ "$name" != in-compression ] || [ "$temps" -ge 1 ]; }
	ok $? "killed -9 $name: left $dirs job dir(s), $temps temp blob(s)"; [ $caught = 0 ] || show "$work/$name.out"
}
copying() { [ "$(job_dirs)" -gt 0 ] && [ -n "$(find "$TMPDIR" -path '*/workspace/*' -print -quit)" ]; }
sleeping() { grep -q -- "---> sleeping" "$work/in-buildpack.out"; }
compressing() { [ "$(temp_blobs)" -gt 0 ] && grep -q "EXPORT\|export" "$work/in-compression.out" && [ ! -e "$work/app/slow" ]; }

# Ctrl-C / SIGTERM during the app copy stops the build there (exit 130) and cleans up: an app
# with an 8 GiB (sparse) file takes many seconds to copy, the cancel must not wait for that.
cp -r "$src/examples/sample-app" "$work/app-huge"
truncate -s 8G "$work/app-huge/huge.bin"
"$cnb" build "$reg/leftovers/app" --builder "$builder" --path "$work/app-huge" --publish --executor host >"$work/term.out" 2>&1 &
pid=$!
pids+=("$pid")
waited=0
until copying || [ $waited -gt 6000 ] || ! kill -0 $pid 2>/dev/null; do sleep 0.02; waited=$((waited + 1)); done
copying; caught=$?
start=$(date +%s%N)
kill -TERM $pid 2>/dev/null
wait $pid; rc=$?
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $caught = 0 ] && [ $rc = 130 ] && [ $took_ms -lt 1000 ] && [ "$(job_dirs)" = 0 ]
ok $? "SIGTERM while copying the app: exit $rc after $took_ms ms, no job dir left"; [ $rc = 130 ] || show "$work/term.out"

kill_when while-copying-the-app copying
touch "$work/app/slow"
kill_when in-buildpack sleeping
rm "$work/app/slow"
kill_when in-compression compressing

"$cnb" build "$reg/leftovers/app" --builder "$builder" --path "$work/app" --publish --executor host >"$work/final.out" 2>&1
rc=$?
ok $rc "one more build succeeds"; [ $rc = 0 ] || show "$work/final.out"
[ "$(job_dirs)" = 0 ] && [ -z "$(find "$TMPDIR" -maxdepth 1 -name 'cnb-job-*' -print -quit)" ]
ok $? "it leaves no job dir and no lock file ($(ls "$TMPDIR" | tr '\n' ' '))"
[ "$(temp_blobs)" = 0 ]
ok $? "and no temp blob ($(temp_blobs) left)"

ours=$(comm -13 <(echo "$scratch_before") <(host_scratch))
[ -z "$ours" ] || echo "# the killed host builds left $(echo "$ours" | wc -l) scratch dir(s) in /tmp (not cleaned yet)"
for d in $ours; do rmdir "$d" 2>/dev/null; done

tree_blobs=$(cat "$CNB_CACHE_DIR"/rootfs/*.blobs 2>/dev/null | sort -u)
[ -n "$tree_blobs" ]; ok $? "the cached tree records its blobs"
before=$(store_kb)
"$cnb" cache prune >"$work/prune.out" 2>&1
[ "$(store_kb)" = "$before" ]; ok $? "cache prune (30 days): young blobs stay ($before KB)"; show "$work/prune.out" 3
touch -d '40 days ago' "$blobs"/*
"$cnb" cache prune >"$work/prune-old.out" 2>&1
mid=$(store_kb)
missing=0
for d in $tree_blobs; do [ -f "$blobs/${d#sha256:}" ] || missing=$((missing + 1)); done
[ "$mid" -lt "$before" ] && [ $missing = 0 ]
ok $? "cache prune with blobs 40 days old: the store shrinks $before -> $mid KB, the cached tree's blobs stay"
show "$work/prune-old.out" 3
"$cnb" cache prune --all >"$work/pruneall.out" 2>&1
after=$(store_kb)
[ "$after" -lt "$mid" ] && [ -z "$(ls "$CNB_CACHE_DIR/rootfs" | grep -v '\.lock$')" ]
ok $? "cache prune --all: trees gone, the store shrinks $mid -> $after KB"; show "$work/pruneall.out" 3

tap_done
