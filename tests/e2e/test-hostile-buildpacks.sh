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
