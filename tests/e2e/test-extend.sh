#!/usr/bin/env bash
# End-to-end: image extensions' Dockerfiles applied in the VM (no daemon, no kaniko). Two real
# extensions (tests/e2e/extend-extensions) write, in bin/generate, the Dockerfiles this test passes
# in the platform env; the build runs generate, then extends:
#   - a build.Dockerfile whose RUN writes files, deletes one and sets ENV PATH: the buildpack sees all three;
#   - a run.Dockerfile whose RUN writes a file: it is in the app image (whiteouts and an opaque dir in
#     its layer), the image is labeled io.buildpacks.rebasable=false, `cnb rebase` refuses it;
#   - the second build takes both layers from the cache (no RUN step runs) and gives the same digest;
#   - COPY/ADD from the extensions' build contexts: the buildpack and the app image see the files;
#   - bad Dockerfiles are refused naming the extension, file and line; the host executor refuses.
#   test-extend.sh CNB_EXE SOURCE_ROOT   (run through with-registry.sh)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$src/tests/lib/build-tap.sh"
tap_workdir e2e-extend

push_base_images ext/base || { echo "Bail out! push base images"; exit 1; }
extension_builder ext/builder ext/base "$src/tests/e2e/extend-buildpack" tests/extend-check ||
	{ echo "Bail out! builder create"; sed 's/^/# /' "$work/builder.out"; exit 1; }
cp -r "$src/examples/sample-app" "$work/app"

gen=$work/generated
mkdir -p "$gen/tests_build-ext" "$gen/tests_run-ext"
cat > "$gen/tests_build-ext/build.Dockerfile" <<'EOF'
# an extension's build.Dockerfile (image_extension.md, Dockerfile Requirements)
ARG base_image
FROM ${base_image}

ARG greeting=unset
ARG user_id
ARG group_id
USER root
ENV PATH="/opt/extended/bin:${PATH}"
RUN rm /bin/vi && \
    mkdir -p /opt/extended/bin && \
    echo "$greeting from build.Dockerfile" > /opt/extended/marker
# a comment inside the file, then the exec form
RUN ["/bin/sh", "-c", "printf '#!/bin/sh\\necho ext-tool runs\\n' > /opt/extended/bin/ext-tool && chmod 755 /opt/extended/bin/ext-tool"]
USER ${user_id}:${group_id}
EOF
cat > "$gen/tests_build-ext/extend-config.toml" <<'EOF'
[[build.args]]
  name = "greeting"
  value = "hello"
EOF
cat > "$gen/tests_run-ext/run.Dockerfile" <<'EOF'
ARG base_image
FROM ${base_image}
ARG user_id
ARG group_id
USER root
RUN ["/bin/sh", "-c", "echo run-extended > /run-marker && rm /bin/vi && rm -rf /var/tmp && mkdir /var/tmp && touch /var/tmp/new"]
ENV RUN_EXT=yes
LABEL org.example.extended=true
USER ${user_id}:${group_id}
EOF

# with_dockerfiles DIR: the platform env that has the extensions write DIR's Dockerfiles (a generated dir)
with_dockerfiles() {
	local d
	dfenv=()
	for d in "$1"/*/; do
		[ -f "$d/build.Dockerfile" ] && dfenv+=(-e "EXT_BUILD_DOCKERFILE=$(cat "$d/build.Dockerfile")")
		[ -f "$d/extend-config.toml" ] && dfenv+=(-e "EXT_BUILD_CONFIG=$(cat "$d/extend-config.toml")")
		[ -f "$d/run.Dockerfile" ] && dfenv+=(-e "EXT_RUN_DOCKERFILE=$(cat "$d/run.Dockerfile")")
	done
}
build() { # build NAME [FLAGS...]: the app built with the Dockerfiles of $gen
	local name=$1; shift
	with_dockerfiles "$gen"
	run "$name" "$cnb" build "$reg/ext/app" --builder "$reg/ext/builder" --path "$work/app" --publish "${dfenv[@]}" "$@"
}
build_other() { # build_other NAME IMAGE GENERATED [FLAGS...]
	local name=$1 image=$2; with_dockerfiles "$3"; shift 3
	run "$name" "$cnb" build "$reg/ext/$image" --builder "$reg/ext/builder" --path "$work/app" --publish "${dfenv[@]}" "$@"
}
build build1 --report-json "$work/report1.json"
ok $rc "a build with a build.Dockerfile and a run.Dockerfile succeeds in the VM"; [ $rc = 0 ] || show "$work/build1.out" 40
grep -q "RUN rm /bin/vi" "$work/build1.out" && grep -q "RUN echo run-extended" "$work/build1.out"
ok $? "both Dockerfiles' RUN steps ran (their output streams to the user)"
grep -q " build marker: hello from build.Dockerfile$" "$work/build1.out"
ok $? "the buildpack sees the file the build.Dockerfile's RUN wrote (with the extend-config.toml arg)"
grep -E "EXTEND|extend\]|marker:|env:|deleted|running as" "$work/build1.out" | sed 's/^/# /' 
grep -q " build env: ext-tool runs$" "$work/build1.out"
ok $? "the buildpack gets the build.Dockerfile's ENV PATH (other variables are filtered, as the lifecycle does)"
grep -q " deleted file: gone$" "$work/build1.out" && grep -q " running as: 1000:1000$" "$work/build1.out"
ok $? "the file its RUN deleted is gone for the buildpack, which still runs as the CNB user"
d1=$(digest_of build1)

skopeo inspect --tls-verify=false --config "docker://$reg/ext/app" > "$work/config.json" 2>"$work/inspect.err"
skopeo inspect --tls-verify=false --config "docker://$reg/ext/base:run" > "$work/run-config.json" 2>>"$work/inspect.err"
python3 - "$work/config.json" "$work/run-config.json" > "$work/labels.out" 2>&1 <<'PY'
import json, sys
cfg, run = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
c = cfg["config"]
assert c["Labels"]["io.buildpacks.rebasable"] == "false", c["Labels"]
assert c["Labels"]["org.example.extended"] == "true"
env = dict(e.split("=", 1) for e in c["Env"])
assert env["RUN_EXT"] == "yes", env
assert c["User"] == "1000:1000", c["User"]
n = len(run["rootfs"]["diff_ids"])
assert cfg["rootfs"]["diff_ids"][:n] == run["rootfs"]["diff_ids"], "run image layers first"
md = json.loads(c["Labels"]["io.buildpacks.lifecycle.metadata"])
assert md["runImage"]["topLayer"] == cfg["rootfs"]["diff_ids"][n], (md["runImage"], "the extended layer is the run image's top")
PY
ok $? "the app image: run image layers, then the extended layer; rebasable=false, ENV, LABEL, USER reset"; show "$work/labels.out" 10

rm -rf "$work/unpacked"
"$cnb" unpack "docker://$reg/ext/app" "$work/unpacked" >"$work/unpack.out" 2>&1
[ "$(cat "$work/unpacked/run-marker" 2>/dev/null)" = run-extended ] && [ ! -e "$work/unpacked/bin/vi" ] &&
	[ -e "$work/unpacked/bin/ls" ] && [ -e "$work/unpacked/var/tmp/new" ] && [ ! -e "$work/unpacked/opt/extended" ]
ok $? "the run.Dockerfile's file is in the app image, its deletion applied, the build extension is not"; show "$work/unpack.out" 5
skopeo copy -q --src-tls-verify=false "docker://$reg/ext/app" "oci:$work/layout:app" >"$work/copy.out" 2>&1
python3 - "$work/layout" "$work/run-config.json" > "$work/layer.out" 2>&1 <<'PY'
import json, sys, tarfile, os
lay = sys.argv[1]
idx = json.load(open(os.path.join(lay, "index.json")))
blob = lambda d: os.path.join(lay, "blobs", *d.split(":"))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
n = len(json.load(open(sys.argv[2]))["rootfs"]["diff_ids"])
names = tarfile.open(blob(man["layers"][n]["digest"])).getnames()
print(names)
assert "run-marker" in names and "bin/.wh.vi" in names and "var/tmp/.wh..wh..opq" in names, names
assert not any(x.startswith(("proc/", "dev/")) for x in names)
PY
ok $? "the extended layer holds the new file, a .wh. whiteout and an opaque directory marker"; show "$work/layer.out" 5

run rebase "$cnb" rebase "$reg/ext/app"
[ $rc != 0 ] && grep -q "rebasable=false" "$work/rebase.out"
ok $? "cnb rebase refuses the extended image without --force"

build build2 --report-json "$work/report2.json"
d2=$(digest_of build2)
[ $rc = 0 ] && [ "$d1" = "$d2" ] && ! grep -q "RUN rm /bin/vi\|RUN echo run-extended" "$work/build2.out" &&
	[ "$(grep -c "from the cache" "$work/build2.out")" = 2 ] && grep -q " build marker: hello from build.Dockerfile$" "$work/build2.out"
ok $? "a second build takes both extended layers from the cache (no RUN step) and gives the same digest"; [ $rc = 0 ] || show "$work/build2.out" 20

sed -i 's/^ENV RUN_EXT=yes$/ENV RUN_EXT=changed/' "$gen/tests_run-ext/run.Dockerfile"
build build3
[ $rc = 0 ] && grep -q "RUN echo run-extended" "$work/build3.out" && ! grep -q "RUN rm /bin/vi" "$work/build3.out"
ok $? "changing the run.Dockerfile runs it again, the build.Dockerfile's layer stays cached"; [ $rc = 0 ] || show "$work/build3.out" 20

envonly=$work/generated-env
mkdir -p "$envonly/tests_env-only"
printf 'ARG base_image\nFROM ${base_image}\nENV PATH=/opt/env-only/bin:${PATH}\n' > "$envonly/tests_env-only/build.Dockerfile"
build_other envonly envonly "$envonly"
[ $rc = 0 ] && grep -q "not on PATH (/opt/env-only/bin:" "$work/envonly.out" && ! grep -q "EXTEND build image (executor" "$work/envonly.out"
ok $? "a build.Dockerfile without RUN changes the build's PATH without a VM run or a layer"; [ $rc = 0 ] || show "$work/envonly.out" 10

net=$work/generated-net
mkdir -p "$net/tests_net"
printf 'ARG base_image\nFROM ${base_image}\nARG build_id\nRUN echo "interfaces $build_id:" $(grep -o "^ *[a-z0-9]*:" /proc/net/dev | tr -d " :")\n' \
	> "$net/tests_net/build.Dockerfile"
build_other net1 net "$net"
build_other net2 net "$net" --network none
grep -q "interfaces [0-9a-f-]*: .*eth0" "$work/net1.out" && grep -q "interfaces [0-9a-f-]*: lo$" "$work/net2.out"
ok $? "RUN steps get the network, and only loopback with --network none (ARG build_id: never cached)"
grep -h "interfaces" "$work/net1.out" "$work/net2.out" | sed 's/^/# /'

# COPY from the extensions' build contexts (image_extension.md: context.build/ over context/, context/ for run).
cp=$work/generated-copy
mkdir -p "$cp/tests_build-ext" "$cp/tests_run-ext"
printf 'ARG base_image\nFROM ${base_image}\nCOPY hello.txt /opt/hello.txt\nWORKDIR /opt\nCOPY --chown=1000:1000 ["tree", "tree/"]\n' \
	> "$cp/tests_build-ext/build.Dockerfile"
printf 'ARG base_image\nFROM ${base_image}\nARG user_id\nARG group_id\nUSER root\nADD run-hello.txt /srv/\nUSER ${user_id}:${group_id}\n' \
	> "$cp/tests_run-ext/run.Dockerfile"
build_other copy1 copy "$cp" -e "EXT_BUILD_CONTEXT=hello from the context" -e "EXT_RUN_CONTEXT=run context"
grep -q " copied: hello from the context tree: 1000:1000 nested link: /etc/passwd$" "$work/copy1.out"
ok $? "the buildpack sees what COPY took from context.build/ (a file, a tree --chown'd, a symlink kept as one)"
grep "copied:\|COPY\|copy listing\|layer:" "$work/copy1.out" | sed 's/^/# /'; [ $rc = 0 ] || show "$work/copy1.out" 20
rm -rf "$work/unpacked-copy"
"$cnb" unpack "docker://$reg/ext/copy" "$work/unpacked-copy" >"$work/unpack-copy.out" 2>&1
[ "$(cat "$work/unpacked-copy/srv/run-hello.txt" 2>/dev/null)" = "run context" ] && [ ! -e "$work/unpacked-copy/opt/hello.txt" ]
ok $? "a run.Dockerfile's ADD puts the context/ file in the app image"; show "$work/unpack-copy.out" 5
build_other copy2 copy "$cp" -e "EXT_BUILD_CONTEXT=changed context" -e "EXT_RUN_CONTEXT=run context"
[ $rc = 0 ] && grep -q " copied: changed context tree" "$work/copy2.out" && ! grep -q "EXTEND build image: .*from the cache" "$work/copy2.out" &&
	grep -q "EXTEND run image: .*from the cache" "$work/copy2.out"
ok $? "another context content is another cache key: the build.Dockerfile runs again, the run one is cached"; [ $rc = 0 ] || show "$work/copy2.out" 20

esc=$work/generated-escape
mkdir -p "$esc/tests_build-ext"
printf 'ARG base_image\nFROM ${base_image}\nCOPY etc-link/passwd /stolen\n' > "$esc/tests_build-ext/build.Dockerfile"
build_other escape copy "$esc" -e "EXT_BUILD_CONTEXT=x"
[ $rc = 6 ] && grep -q "line 3: COPY: no such file in the build context (symlinks are not followed): etc-link/passwd" "$work/escape.out" &&
	! grep -q "root:x:0" "$work/escape.out"
ok $? "a COPY source through a symlink in the context is not followed out of it"; show "$work/escape.out" 4
printf 'ARG base_image\nFROM ${base_image}\nCOPY --chown=nobody-here hello.txt /x\n' > "$esc/tests_build-ext/build.Dockerfile"
build_other chown copy "$esc" -e "EXT_BUILD_CONTEXT=x"
[ $rc = 6 ] && grep -q "line 3: COPY --chown: no such user in the image's /etc/passwd: nobody-here" "$work/chown.out"
ok $? "COPY --chown with a user the image does not have fails naming it"; show "$work/chown.out" 4

# Refusals: before any VM starts, naming the extension, the file and the line.
bad=$work/generated-bad
mkdir -p "$bad/tests_bad"
printf 'ARG base_image\nFROM ${base_image}\nRUN true\nCOPY x /x\n' > "$bad/tests_bad/build.Dockerfile"
build_other bad bad "$bad"
[ $rc = 6 ] && grep -q "extension tests/build-ext: build.Dockerfile line 4: COPY needs a build context" "$work/bad.out"
ok $? "a COPY without a build context fails the build naming extension, file and line (exit $rc)"; show "$work/bad.out" 3
printf 'FROM ${base_image}\nRUN true\n' > "$bad/tests_bad/build.Dockerfile"
build_other bad2 bad "$bad"
[ $rc = 6 ] && grep -q "must begin with ARG base_image" "$work/bad2.out"
ok $? "a build.Dockerfile without the ARG base_image preamble is refused"; show "$work/bad2.out" 3
printf 'ARG base_image\nFROM ${base_image}\nRUN echo failing step; exit 3\n' > "$bad/tests_bad/build.Dockerfile"
build_other bad3 bad "$bad"
[ $rc = 6 ] && grep -q "build.Dockerfile line 3: RUN failed (exit 3)" "$work/bad3.out" && grep -q "failing step" "$work/bad3.out"
ok $? "a failing RUN step fails the build with its line and exit code"; show "$work/bad3.out" 5
run bad4 "$cnb" build "$reg/ext/bad" --builder "$reg/ext/builder" --path "$work/app" --publish -e EXT_BUILD_SYMLINK=/etc/passwd
[ $rc != 0 ] && grep -q "build.Dockerfile" "$work/bad4.out" && ! grep -q "root:x:0" "$work/bad4.out"
ok $? "a Dockerfile that is a symlink is refused, never followed"; show "$work/bad4.out" 3

if [ "$(id -u)" = 0 ]; then
	sed -i 's/^ENV RUN_EXT=changed$/ENV RUN_EXT=host/' "$gen/tests_run-ext/run.Dockerfile"
	build host --executor host
	[ $rc != 0 ] && grep -q "host executor cannot contain: use the vm executor" "$work/host.out"
	ok $? "the host executor refuses RUN steps it cannot contain, with a clear message"; show "$work/host.out" 3
else
	skip "host executor needs root"
fi

tap_done
