#!/usr/bin/env bash
# End-to-end: buildpacks from outside the builder and host directories in the build, as pack users
# write them. In the VM: one build with a buildpack from a directory, one from a .cnb file and one
# from a registry image (each prints that it ran), a service binding the buildpack reads (absent
# from the pushed image, searched in its unpacked layers) and a read-only volume it cannot write;
# then the bash-script sample app (project.toml 0.1, uri group) built and run. With the host
# executor (root): the same extra buildpacks and volumes, the bash-script app as a .zip (its
# project.toml read from the unpacked app), and a project.toml 0.2 with a uri group, its builder, a
# pre group and an inline script buildpack, exclude applied. Bad input fails before any VM boots. Prints TAP.
#   test-buildpack-sources.sh CNB_EXE SOURCE_ROOT   (run through with-registry.sh)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$src/tests/lib/build-tap.sh"
tap_workdir e2e-sources

"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null
for tag in build run; do
	"$cnb" copy "oci:$work/base:$tag" "docker://$reg/src/base:$tag" >/dev/null || { echo "Bail out! push base:$tag"; exit 1; }
done
sed -e "s|BUILD_IMAGE|$reg/src/base:build|; s|RUN_IMAGE|$reg/src/base:run|; s|\.\./buildpacks/shell|$src/examples/buildpacks/shell|" \
	"$src/examples/builder/builder.toml" > "$work/builder.toml"
"$cnb" builder create "$reg/src/builder" --config "$work/builder.toml" --publish >/dev/null || { echo "Bail out! builder create"; exit 1; }
cp -r "$src/examples/sample-app" "$work/app"

extra_bp() { # extra_bp DIR ID: a buildpack that says it ran, reads the binding and tries the volume
	mkdir -p "$1/bin"
	printf 'api = "0.10"\n[buildpack]\nid = "%s"\nversion = "1.0.0"\n[[targets]]\nos = "linux"\narch = "amd64"\n' "$2" > "$1/buildpack.toml"
	printf '#!/bin/sh\nexit 0\n' > "$1/bin/detect"
	cat > "$1/bin/build" <<SH
#!/usr/bin/env bash
echo "EXTRA $2 ran"
root=\${SERVICE_BINDING_ROOT:-/platform/bindings}
[ -f "\$root/ca/type" ] && echo "binding ca: type=\$(cat "\$root/ca/type") secret=\$(cat "\$root/ca/secret")"
if [ -d /data ]; then
	echo "volume says \$(cat /data/hello)"
	if echo x 2>/dev/null > /data/written; then echo "VOLUME WRITTEN"; else echo "volume read-only: write refused"; fi
fi
exit 0
SH
	chmod +x "$1/bin/detect" "$1/bin/build"
}
extra_bp "$work/bp-dir" e2e/from-dir
extra_bp "$work/bp-cnb" e2e/from-cnb
extra_bp "$work/bp-image" e2e/from-image
printf '[buildpack]\nuri = "%s"\n[platform]\nos = "linux"\n' "$work/bp-cnb" > "$work/cnb.toml"
printf '[buildpack]\nuri = "%s"\n[platform]\nos = "linux"\n' "$work/bp-image" > "$work/image.toml"
"$cnb" buildpack package "$work/from-cnb.cnb" --config "$work/cnb.toml" --format file >/dev/null &&
	"$cnb" buildpack package "$reg/src/bp-image:1" --config "$work/image.toml" --publish >/dev/null ||
	{ echo "Bail out! buildpack package"; exit 1; }
mkdir -p "$work/binding" "$work/volume"
printf 'ca-certificates' > "$work/binding/type"
printf 'paketo' > "$work/binding/provider"
printf 'binding-secret-7f3a9c' > "$work/binding/secret"
printf 'hello from the host' > "$work/volume/hello"
# Writable by anyone: only the read-only mount can refuse the build's user (it writes with the host
# directory's permissions, as with pack).
chmod 0777 "$work/volume"
sources=(-b "$work/bp-dir" -b "$work/from-cnb.cnb" -b "docker://$reg/src/bp-image:1" -b examples/shell
	--volume "$work/binding:/platform/bindings/ca" --volume "$work/volume:/data")

# Bad input: a clear error, and no VM (each fails within seconds, before the lifecycle starts).
nbad=0
bad() { # bad NAME PATTERN ARGS...
	local name=$1 pattern=$2; shift 2
	nbad=$((nbad + 1))
	run "bad-$nbad" "$cnb" build "$reg/src/bad" --builder "$reg/src/builder" --path "$work/app" --publish "$@"
	[ $rc != 0 ] && grep -q -- "$pattern" "$work/bad-$nbad.out" && ! grep -q "DETECT, RESTORE" "$work/bad-$nbad.out"
	ok $? "refused before the VM: $name (exit $rc)"; grep -q -- "$pattern" "$work/bad-$nbad.out" || show "$work/bad-$nbad.out" 5
}
printf 'not a tar' > "$work/junk.cnb"
mkdir -p "$work/old-api/bin" "$work/windows/bin"
printf 'api = "0.1"\n[buildpack]\nid = "e2e/old"\nversion = "1"\n' > "$work/old-api/buildpack.toml"
printf 'api = "0.10"\n[buildpack]\nid = "e2e/win"\nversion = "1"\n[[targets]]\nos = "windows"\narch = "amd64"\n' > "$work/windows/buildpack.toml"
mkdir -p "$work/untyped"
bad "missing buildpack path" "no-such-dir" -b "$work/no-such-dir"
bad ".cnb that is not a buildpackage" "not a buildpackage" -b "$work/junk.cnb"
bad "image that is not a buildpackage" "not a buildpackage" -b "docker://$reg/src/base:run"
bad "buildpack API not supported" "0.1" -b "$work/old-api"
bad "buildpack for another target" "windows\|no target" -b "$work/windows"
bad "registry urn" "registry" -b "urn:cnb:registry:example/bp"
bad "volume inside /layers" "/layers belongs to the lifecycle" --volume "$work/volume:/layers/x"
bad "volume inside /workspace" "/workspace belongs" --volume "$work/volume:/workspace"
bad "volume inside /cnb" "/cnb belongs" --volume "$work/volume:/cnb/x"
bad "binding without type" "needs a \`type\` file" --volume "$work/untyped:/platform/bindings/x"
mkdir -p "$work/badproj" && cp "$work/app/app.sh" "$work/badproj/"
printf '[[build.buildpacks]]\nuri = "missing-bp/"\n' > "$work/badproj/project.toml"
bad "project.toml uri that is not in the app" "missing-bp" --path "$work/badproj"
printf '[[build.buildpacks]]\nuri = "../bp-dir"\n' > "$work/badproj/project.toml"
bad "project.toml uri leaving the app" "inside the app" --path "$work/badproj"
ln -s "$work/bp-dir" "$work/badproj/linked-bp"
printf '[[build.buildpacks]]\nuri = "linked-bp"\n' > "$work/badproj/project.toml"
bad "project.toml uri through a symlink" "not through a symlink" --path "$work/badproj"

check_sources() { # check_sources NAME IMAGE: the build's output and the pushed image
	local name=$1 image=$2 ran=1
	for id in e2e/from-dir e2e/from-cnb e2e/from-image; do grep -q "EXTRA $id ran" "$work/$name.out" || ran=0; done
	[ $rc = 0 ] && [ $ran = 1 ] && grep -q -- "---> Shell app buildpack" "$work/$name.out"
	ok $? "$name: buildpacks from a directory, a .cnb file and an image run with the builder's"; [ $rc = 0 ] || show "$work/$name.out"
	grep -q "binding ca: type=ca-certificates secret=binding-secret-7f3a9c" "$work/$name.out"
	ok $? "$name: the buildpack reads the service binding"
	grep -q "volume says hello from the host" "$work/$name.out" && grep -q "volume read-only: write refused" "$work/$name.out" &&
		[ ! -e "$work/volume/written" ]
	ok $? "$name: the read-only volume is readable and cannot be written"
	rm -rf "$work/layout-$name" "$work/bundle-$name"
	skopeo copy -q --src-tls-verify=false "docker://$image" "oci:$work/layout-$name:x" >"$work/$name-unpack.out" 2>&1 &&
		umoci unpack --image "$work/layout-$name:x" "$work/bundle-$name" >>"$work/$name-unpack.out" 2>&1 &&
		[ -f "$work/bundle-$name/rootfs/workspace/app.sh" ] &&
		! grep -rqa "binding-secret-7f3a9c\|hello from the host" "$work/bundle-$name/rootfs" &&
		! grep -qa "binding-secret-7f3a9c" "$work/layout-$name"/blobs/sha256/* &&
		! zgrep -qa "binding-secret-7f3a9c" "$work/layout-$name"/blobs/sha256/* 2>/dev/null
	ok $? "$name: neither the binding nor the volume is in any layer of the pushed image"; show "$work/$name-unpack.out" 5
}

run vm "$cnb" build "$reg/src/app" --builder "$reg/src/builder" --path "$work/app" --publish "${sources[@]}"
check_sources vm "$reg/src/app"
skopeo inspect --tls-verify=false --config "docker://$reg/src/builder" > "$work/builder-after.json" 2>&1 &&
	! grep -q "e2e/from-dir" "$work/builder-after.json"
ok $? "the builder image is not changed"

cp -r "$src/tests/fixtures/bash-script-app" "$work/bash-script"
run bash-script "$cnb" build "$reg/src/bash-script" --builder "$reg/src/builder" --path "$work/bash-script" --publish
[ $rc = 0 ] && grep -q -- "---> Bash Script buildpack" "$work/bash-script.out"
ok $? "the bash-script sample app builds with its app-local buildpack (project.toml 0.1, uri)"; [ $rc = 0 ] || show "$work/bash-script.out"
run bash-script-run "$cnb" run "docker://$reg/src/bash-script"
[ $rc = 0 ] && grep -q "^Hello from the bash-script sample app$" "$work/bash-script-run.out"
ok $? "the bash-script sample app runs"; [ $rc = 0 ] || show "$work/bash-script-run.out"

if [ "$(id -u)" = 0 ]; then
	rm -f "$work/volume/written"
	tar -czf "$work/bp-dir.tgz" -C "$work/bp-dir" .
	run host "$cnb" build "$reg/src/app-host" --builder "$reg/src/builder" --path "$work/app" --publish --executor host "${sources[@]}"
	check_sources host "$reg/src/app-host"
	run host-rw "$cnb" build "$reg/src/app-rw" --builder "$reg/src/builder" --path "$work/app" --publish --executor host \
		-b "$work/bp-dir.tgz" --volume "$work/volume:/data:rw" --volume "$work/binding:/bindings/ca" -e SERVICE_BINDING_ROOT=/bindings
	[ $rc = 0 ] && grep -q "EXTRA e2e/from-dir ran" "$work/host-rw.out" && grep -q "VOLUME WRITTEN" "$work/host-rw.out" && [ -f "$work/volume/written" ] &&
		grep -q "binding ca: type=ca-certificates" "$work/host-rw.out"
	r=$?; ok $r "host: a buildpack from a .tgz runs; a :rw volume is writable; SERVICE_BINDING_ROOT moves the bindings"; [ $r = 0 ] || show "$work/host-rw.out"

	(cd "$work/bash-script" && zip -qr "$work/bash-script.zip" .)
	run bash-zip "$cnb" build "$reg/src/bash-zip" --builder "$reg/src/builder" --path "$work/bash-script.zip" --publish --executor host
	[ $rc = 0 ] && grep -q -- "---> Bash Script buildpack" "$work/bash-zip.out"
	r=$?; ok $r "host: a .zip app's project.toml and its uri buildpack are read from the unpacked app"; [ $r = 0 ] || show "$work/bash-zip.out"

	mkdir -p "$work/app02"
	cp "$work/app/app.sh" "$work/app02/"
	cp -r "$work/bp-dir" "$work/app02/local-bp"
	cat > "$work/app02/project.toml" <<'TOML'
[_]
schema-version = "0.2"
id = "e2e/app02"

[io.buildpacks]
builder = "REGISTRY/src/builder"
exclude = ["local-bp"]

[[io.buildpacks.pre.group]]
id = "e2e/inline"
  [io.buildpacks.pre.group.script]
  api = "0.10"
  shell = "/bin/bash"
  inline = "echo \"INLINE pre ran in $PWD\""

[[io.buildpacks.group]]
uri = "local-bp"

[[io.buildpacks.group]]
id = "examples/shell"
TOML
	sed -i "s|REGISTRY|$reg|" "$work/app02/project.toml"
	run project02 "$cnb" build "$reg/src/app02" --path "$work/app02" --publish --executor host
	pre=$(grep -n "INLINE pre ran in /workspace" "$work/project02.out" | cut -d: -f1)
	dir=$(grep -n "EXTRA e2e/from-dir ran" "$work/project02.out" | cut -d: -f1)
	shell=$(grep -n -- "---> Shell app buildpack" "$work/project02.out" | cut -d: -f1)
	[ $rc = 0 ] && [ -n "$pre" ] && [ -n "$dir" ] && [ -n "$shell" ] && [ "$pre" -lt "$dir" ] && [ "$dir" -lt "$shell" ]
	r=$?; ok $r "host: project.toml 0.2 (its builder, an inline pre buildpack, a uri group) runs them in order"
	[ $r = 0 ] || show "$work/project02.out"
	[ -f "$work/bundle-host/rootfs/workspace/app.sh" ] && rm -rf "$work/bundle-02" && skopeo copy -q --src-tls-verify=false \
		"docker://$reg/src/app02" "oci:$work/layout-02:x" >/dev/null 2>&1 && umoci unpack --image "$work/layout-02:x" "$work/bundle-02" >/dev/null 2>&1 &&
		[ -f "$work/bundle-02/rootfs/workspace/app.sh" ] && [ ! -e "$work/bundle-02/rootfs/workspace/local-bp" ]
	ok $? "host: project.toml's exclude keeps the app-local buildpack out of the image"
else
	skip "host executor needs root"
fi

tap_done
