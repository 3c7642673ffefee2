#!/bin/sh
# `cnb cache prune` beyond the trees: the records of pulled references (<cache>/refs) and the VM
# snapshots (<cache>/vm/snapshots) go by the same rule (unused for DAYS, or --all), and so do the
# blobs a remaining record names (kept) or a removed one named (collected).
#   test-cache-prune.sh CNB_EXE
. "$(dirname "$0")/../lib/tap.sh"
cnb=$1
work=$(mktemp -d /tmp/cnb-test-prune-XXXXXX)
trap 'rm -rf "$work"' EXIT
cache=$work/cache
export CNB_CACHE_DIR="$cache"
snaps=$cache/vm/snapshots
mkdir -p "$snaps" "$cache/refs" "$cache/blobs/sha256"
chmod 700 "$snaps"
old=$(date -d '40 days ago' +%Y%m%d%H%M.%S) minutes=$(date -d '2 minutes ago' +%Y%m%d%H%M.%S)
key() { printf '%s' "$1" | sha256sum | cut -c1-64; }

# blob NAME: a blob written 40 days ago (old enough for the store's collection); prints its digest
blob() {
	h=$(key "$1")
	printf '%s' "$1" >"$cache/blobs/sha256/$h"
	touch -t "$old" "$cache/blobs/sha256/$h"
	echo "sha256:$h"
}
# record FILE MANIFEST CONFIG
record() {
	printf '{"config":"%s","index":null,"manifest":"%s","mediaType":"application/vnd.oci.image.manifest.v1+json"}' \
		"$3" "$2" >"$cache/refs/$1"
}
fresh_ref=$(key fresh) old_ref=$(key old) dangling_ref=$(key dangling)
fresh_m=$(blob fresh-manifest) fresh_c=$(blob fresh-config) old_m=$(blob old-manifest) old_c=$(blob old-config)
record "$fresh_ref" "$fresh_m" "$fresh_c"
record "$old_ref" "$old_m" "$old_c"
touch -t "$old" "$cache/refs/$old_ref"
record "$dangling_ref" "sha256:$(key gone-manifest)" "$fresh_c"
echo note >"$cache/refs/README"

fresh_snap=$(key fresh-vm).vmstate old_snap=$(key old-vm).vmstate
head -c 65536 /dev/zero >"$snaps/$fresh_snap"
head -c 65536 /dev/zero >"$snaps/$old_snap"
touch -t "$old" "$snaps/$old_snap"
echo 2 >"$snaps/$old_snap.failed"
touch -t "$old" "$snaps/$old_snap.failed"
: >"$snaps/$fresh_snap.tmp-dead01"
touch -t "$minutes" "$snaps/$fresh_snap.tmp-dead01"
: >"$snaps/$fresh_snap.tmp-live01"
echo keep >"$snaps/notes.txt"

gone() { [ ! -e "$1" ]; }
check "prune (30 days by default) succeeds" "$cnb" cache prune
[ -f "$snaps/$fresh_snap" ]
ok $? "a snapshot used now stays"
gone "$snaps/$old_snap"
ok $? "a snapshot unused for 40 days is removed"
gone "$snaps/$old_snap.failed"
ok $? "and so is a failure count written 40 days ago"
gone "$snaps/$fresh_snap.tmp-dead01"
ok $? "the temp file of a save that died (older than a save takes) is removed"
[ -f "$snaps/$fresh_snap.tmp-live01" ] && [ -f "$snaps/notes.txt" ]
ok $? "a save's fresh temp file and files not ours stay"
[ -f "$cache/refs/$fresh_ref" ] && [ -f "$cache/refs/README" ]
ok $? "a fresh reference record stays (and files not ours)"
[ -f "$cache/blobs/sha256/${fresh_m#sha256:}" ] && [ -f "$cache/blobs/sha256/${fresh_c#sha256:}" ]
ok $? "the manifest and config it names stay, old as they are"
gone "$cache/refs/$old_ref"
ok $? "a record unused for 40 days is removed"
gone "$cache/blobs/sha256/${old_m#sha256:}" && gone "$cache/blobs/sha256/${old_c#sha256:}"
ok $? "and its manifest and config are collected"
gone "$cache/refs/$dangling_ref"
ok $? "a fresh record whose manifest is gone from the store is removed"

tap_out=$work/all.out check "prune --all succeeds" "$cnb" cache prune --all -v
gone "$snaps/$fresh_snap" && gone "$cache/refs/$fresh_ref"
ok $? "--all removes the fresh snapshot and record"
grep -q "VM snapshots: removed 1 " "$work/all.out" && grep -q "references: removed 1 " "$work/all.out"
ok $? "it says what it removed"
[ -f "$snaps/$fresh_snap.tmp-live01" ]
ok $? "--all still leaves a save that may be running"
tap_done
