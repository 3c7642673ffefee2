#!/usr/bin/env bash
# Hostile buildpacks against whole builds (issue 12), on both executors: a buildpack ships a
# setuid-root helper (builder create must drop the bit, with a warning) and leaves a process in a
# session of its own that keeps rewriting export.json and the layer tars for the rest of the job.
# The pushed image must be what the lifecycle exported. Prints TAP.
#   test-hostile-buildpacks.sh CNB_EXE SOURCE_ROOT   (run through with-registry.sh)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$src/tests/lib/tap.sh"
tap_workdir hostile
entrypoint() { skopeo inspect --tls-verify=false --config "docker://$1" |
	python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["config"]["Entrypoint"]))'; }

"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null
for tag in build run; do
	"$cnb" copy "oci:$work/base:$tag" "docker://$reg/hostile/base:$tag" >/dev/null || { echo "Bail out! push base:$tag"; exit 1; }
done
cp -r "$src/examples/buildpacks/shell" "$work/bp"
printf '#!/bin/sh\nid -u\n' > "$work/bp/bin/helper"
chmod 4755 "$work/bp/bin/helper"
cat >> "$work/bp/bin/build" <<'SH'
stat -c "helper mode %a" "$CNB_BUILDPACK_DIR/bin/helper"
setsid sh -c 'while :; do
	for t in /cnb/out/layers/*.tar; do [ -f "$t" ] && [ ! -f "$t.seen" ] && touch "$t.seen" && tar cf "$t" /etc/passwd; done
	[ -f /cnb/out/export.json ] &&
		sed -i "s|\"entrypoint\":\[[^]]*\]|\"entrypoint\":[\"/pwned-by-buildpack\"]|" /cnb/out/export.json
done' </dev/null >/dev/null 2>&1 &
echo "     left a rewriter running"
if [ -f kill-me ]; then # the SIGKILL test below: a build that lingers, with a process in a session of its own
	setsid sh -c 'while :; do sleep 1; done; : cnb-killtest-marker' </dev/null >/dev/null 2>&1 &
	echo "     lingering"
	sleep 3600
fi
SH
sed -e "s|BUILD_IMAGE|$reg/hostile/base:build|; s|RUN_IMAGE|$reg/hostile/base:run|; s|\.\./buildpacks/shell|$work/bp|" \
	"$src/examples/builder/builder.toml" > "$work/builder.toml"
"$cnb" builder create "$reg/hostile/builder" --config "$work/builder.toml" --publish >"$work/create.out" 2>&1
ok $? "builder create with a setuid file in a buildpack"; show "$work/create.out" 5
grep -q "removed the setuid/setgid bit from 1 file" "$work/create.out"; ok $? "builder create warns that it dropped the setuid bit"
cp -r "$src/examples/sample-app" "$work/app"

for executor in host vm; do
	if [ "$executor" = host ] && [ "$(id -u)" != 0 ]; then
		echo "ok $((n += 1)) - # SKIP host executor needs root"
		continue
	fi
	"$cnb" build "$reg/hostile/app-$executor" --builder "$reg/hostile/builder" --path "$work/app" --publish \
		--executor "$executor" >"$work/build-$executor.out" 2>&1
	rc=$?
	ok $rc "$executor: the build with a hostile buildpack succeeds"; [ $rc = 0 ] || show "$work/build-$executor.out"
	grep -q "left a rewriter running" "$work/build-$executor.out" && grep -q "helper mode 755" "$work/build-$executor.out"
	ok $? "$executor: the buildpack ran, its helper without the setuid bit"
	ep=$(entrypoint "$reg/hostile/app-$executor" 2>&1)
	[ "$ep" = /cnb/process/web ]; ok $? "$executor: the pushed image is what the lifecycle exported (Entrypoint $ep)"
	skopeo copy -q --src-tls-verify=false "docker://$reg/hostile/app-$executor" "oci:$work/layout-$executor:app" >/dev/null 2>&1 &&
		umoci unpack --image "$work/layout-$executor:app" "$work/bundle-$executor" >/dev/null 2>&1 &&
		[ -x "$work/bundle-$executor/rootfs/cnb/lifecycle/launcher" ] && [ -x "$work/bundle-$executor/rootfs/layers/examples_shell/runtime/bin/greet" ]
	ok $? "$executor: its layers are the exported ones (launcher, the buildpack's runtime layer)"
done

# A hostile guest (issue 12): the VM's export hands back layer files that are no tars. The build
# fails naming the layer, nothing is pushed, and the cache of the previous build stays as it was.
# The guest: the build's initramfs plus a cnb-lifecycle that runs the real one, then overwrites
# what export wrote (concatenated cpio archives: the later file wins, init/initramfs.c).
if [ -f "${CNB_VM_INITRD:-}" ] && [ -x "${CNB_LIBEXEC_DIR:-}/cnb-lifecycle" ]; then
	mkdir -p "$work/hostile-guest/cnb/libcnb"
	cp "$CNB_LIBEXEC_DIR/cnb-lifecycle" "$work/hostile-guest/cnb/libcnb/cnb-lifecycle.real"
	cat > "$work/hostile-guest/cnb/libcnb/cnb-lifecycle" <<'SH'
#!/bin/sh
/cnb/libcnb/cnb-lifecycle.real "$@" || exit $?
if [ "$1" = export ]; then
	for t in /cnb/out/layers/*.tar; do printf 'not a tar, from a hostile guest' >"$t"; done
	echo "hostile guest: replaced the layer tars"
fi
SH
	chmod 755 "$work/hostile-guest/cnb/libcnb/"*
	(cd "$work/hostile-guest" && printf '%s\n' cnb/libcnb/cnb-lifecycle cnb/libcnb/cnb-lifecycle.real |
		cpio -o -H newc -R 0:0 --quiet) >"$work/hostile-guest.cpio"
	cat "$CNB_VM_INITRD" "$work/hostile-guest.cpio" >"$work/hostile-initrd"
	vm_cache=$work/cache/build-cache/$(printf '%s' "$reg/hostile/app-vm" | sha256sum | cut -c1-32)/committed
	digest() { skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$1" 2>/dev/null; }
	cache_sum() { (cd "$vm_cache" 2>/dev/null && find . -type f -exec sha256sum {} + | sort | sha256sum); }
	before=$(digest "$reg/hostile/app-vm") cache_before=$(cache_sum) files=$(find "$vm_cache" -type f 2>/dev/null | wc -l)
	echo "change for the hostile guest" >> "$work/app/app.sh"
	mkdir -p "$work/tmp-guest"
	CNB_VM_INITRD=$work/hostile-initrd TMPDIR=$work/tmp-guest "$cnb" build "$reg/hostile/app-vm" --builder "$reg/hostile/builder" \
		--path "$work/app" --publish --executor vm >"$work/guest.out" 2>&1
	rc=$?
	grep -q "hostile guest: replaced the layer tars" "$work/guest.out"
	ok $? "vm: the hostile guest replaced the exported layers with non-tars"
	[ $rc != 0 ] && grep -Eqi "layer.*(tar|not)" "$work/guest.out"
	ok $? "vm: the build fails, naming the bad layer (exit $rc)"; show "$work/guest.out" 3
	[ -n "$before" ] && [ "$(digest "$reg/hostile/app-vm")" = "$before" ]
	ok $? "vm: nothing was pushed (the tag is still $before)"
	[ "$files" -gt 0 ] && [ "$(cache_sum)" = "$cache_before" ]
	ok $? "vm: the build cache is intact ($files files)"
	[ -z "$(ls "$work/tmp-guest")" ]; ok $? "vm: no job dir or scratch file left behind ($(ls "$work/tmp-guest" | head -3))"
else
	echo "ok $((n += 1)) - # SKIP no CNB_VM_INITRD / CNB_LIBEXEC_DIR to make a hostile guest from"
fi

# The build cache changed behind cnb's back (what root in a VM could do through a hard link before):
# as the reference (lifecycle phase/cache.go), the corrupt layer is never handed to the build, which
# rebuilds it with a warning, and the commit rewrites it; --clear-cache still works.
if [ "$(id -u)" = 0 ]; then
	# the cache of app-host (lib/platform/build-cache.c: named by the sha256 of the image name)
	host_cache=$work/cache/build-cache/$(printf '%s' "$reg/hostile/app-host" | sha256sum | cut -c1-32)/committed
	tars=$(ls "$host_cache"/*.tar 2>/dev/null | wc -l)
	for t in "$host_cache"/*.tar; do printf 'tampered' >> "$t"; done
	echo "change" >> "$work/app/app.sh"
	"$cnb" build "$reg/hostile/app-host" --builder "$reg/hostile/builder" --path "$work/app" --publish \
		--executor host >"$work/tampered.out" 2>&1
	rc=$?
	[ "$tars" -gt 0 ] && [ $rc = 0 ] && grep -q "Skipping restore for layer .*expected layer contents to have SHA" "$work/tampered.out"
	ok $? "a tampered cache tar is skipped with the reference's warning, the build goes on (exit $rc, $tars tars)"; show "$work/tampered.out" 3
	good=0
	for t in "$host_cache"/*.tar; do
		[ "$(sha256sum "$t" | cut -c1-64)" = "$(basename "$t" .tar)" ] || good=1
	done
	ok $good "the commit rewrote the cache: every tar hashes to its name again"
	"$cnb" build "$reg/hostile/app-host" --builder "$reg/hostile/builder" --path "$work/app" --publish \
		--executor host --clear-cache >"$work/cleared.out" 2>&1
	ok $? "--clear-cache builds past it"

	# SIGKILL of cnb itself during a host build: nothing the build started survives it (the keeper and the
	# job runner die by PDEATHSIG, every step process with the runner's PID namespace).
	cp -r "$work/app" "$work/app-kill" && touch "$work/app-kill/kill-me"
	"$cnb" build "$reg/hostile/app-kill" --builder "$reg/hostile/builder" --path "$work/app-kill" --executor host \
		>"$work/kill.out" 2>&1 &
	cnb_pid=$!
	for _ in $(seq 600); do grep -q lingering "$work/kill.out" && break; sleep 0.2; done
	before=$(pgrep -f cnb-killtest-marker | wc -l)
	kill -KILL $cnb_pid; wait $cnb_pid 2>/dev/null
	left=1
	for _ in $(seq 50); do left=$(pgrep -f cnb-killtest-marker | wc -l); [ "$left" = 0 ] && break; sleep 0.1; done
	[ "$before" -ge 1 ] && [ "$left" = 0 ]
	ok $? "SIGKILL of cnb during a host build leaves no process of the build ($before before, $left after)"
	[ "$left" = 0 ] || { ps -eo pid,ppid,user,args | grep -v grep | grep -e cnb-killtest-marker -e 'sleep 3600' | sed 's/^/# /'; for p in $(pgrep -f cnb-killtest-marker); do kill -KILL "$p"; done; }
fi

tap_done
