#!/usr/bin/env bash
# Usage errors as a user meets them: exit code 2, one clear message on stderr, nothing on stdout,
# nothing contacted (no registry runs here). Prints TAP.
#   test-cli-usage.sh CNB_EXE
set -u
cnb=$1
. "$(dirname "$0")/../lib/tap.sh"
tap_workdir cli-usage
export CI=true
unset NOT_SET_ANYWHERE_X
# usage EXPECTED_STDERR_SUBSTRING ARGS...
usage() {
	local want=$1; shift
	"$cnb" "$@" >"$work/out" 2>"$work/err" </dev/null; local rc=$?
	[ $rc = 2 ] && [ ! -s "$work/out" ] && grep -qF -- "$want" "$work/err"
	local pass=$?
	ok $pass "cnb $*: exit 2, '$want'"
	[ $pass = 0 ] && return
	echo "#   exit $rc (want 2), stderr should hold '$want', stdout be empty"
	sed 's/^/#   err: /' "$work/err" | head -5; sed 's/^/#   out: /' "$work/out" | head -5
}
usage "Usage: cnb COMMAND"
usage "cnb: unknown command 'frobnicate'" frobnicate
export CNB_CONFIG=$work/no-config.toml
usage "cnb build: IMAGE is required" build
usage "a builder is required (--builder, project.toml's [io.buildpacks] builder, or \`cnb config default-builder REF\`)" build app
usage "cnb build: --builder needs a value" build app --builder
usage "cnb build: --publish and --output exclude each other" build app -B b --publish --output oci:$work/x
usage "cnb build: --network takes default or none, not 'foo'" build app -B b --network foo
usage "cnb build: --cpus takes a number from 1 to 64, not '0'" build app -B b --cpus 0
usage "cnb build: --memory takes a size like 512M or 2G, not '3X'" build app -B b --memory 3X
usage "cnb build: --creation-time takes 'now' or seconds since the epoch" build app -B b --creation-time yesterday
usage "cnb build: --creation-time takes 'now' or seconds since the epoch from 0 to 253402300799" build app -B b --creation-time 99999999999999999999
usage "cnb build: --creation-time takes 'now' or seconds since the epoch from 0 to 253402300799" build app -B b --creation-time 253402300800
usage "cnb build: --creation-time takes 'now' or seconds since the epoch from 0 to 253402300799" build app -B b --creation-time -5
usage "cnb build: --max-layer-size takes a size like 512M or 16G, not '-1'" build app -B b --max-layer-size -1
usage "--tag 'bad tag' is neither a tag" build app -B b --tag 'bad tag'
usage "--tag ':x' is neither a tag" build app -B b -t ok,:x
usage "--tag 'reg/x@sha256:$(printf '0%.0s' {1..64})' is neither a tag" build app -B b -t "reg/x@sha256:$(printf '0%.0s' {1..64})"
usage "invalid image name \"a:::b\" for an OCI layout" build a:::b -B b
usage "--path $work/none: No such file or directory" build app -B b --path "$work/none"
usage "--descriptor $work/none.toml: No such file or directory" build app -B b --descriptor "$work/none.toml"
usage "--config $work/builder.toml: No such file or directory" builder create app -c "$work/builder.toml" --output "oci:$work/b"
usage "--config $work/package.toml: No such file or directory" buildpack package "$work/bp.cnb" -c "$work/package.toml" --format file
usage "cnb build: --pull-policy takes always, if-not-present or never" build app -B b --pull-policy sometimes
usage "cnb build: unknown option --frob" build app -B b --frob
usage "cnb build: unknown option --buildr (did you mean --builder?" build app --buildr b
usage "cnb build: unknown option --default-proces=web (did you mean --default-process?" build app -B b --default-proces=web
usage "cnb build: unknown option --sbom-dir (did you mean --sbom-output-dir?" build app -B b --sbom-dir x
usage "cnb build: unknown option -x in -qx" build app -B b -qx
usage "cnb build: --pull-policy takes always, if-not-present or never, not 'sometimes'" build app --builder=b --pull-policy=sometimes
usage "cnb build: --publish is a switch: it takes true or false, not 'maybe'" build app -B b --publish=maybe
usage "cnb build: --uid takes a number from 0 to" build app -B b --uid=abc
usage "--workspace 'rel' must be an absolute directory" build app -B b --workspace rel
usage "--exec-env 'a/b' is not a plain name" build app -B b --exec-env a/b
usage "cnb build: --userns and --interactive need a docker daemon" build app -B b --userns=host
usage "cnb build: --pre-buildpack is not supported yet" build app -B b --pre-buildpack x
usage "cnb build: --cpus takes a number from 1 to 64, not '0'" build app -Bb --cpus=0
usage "cnb config registry-mirrors: add REGISTRY --mirror MIRROR" config registry-mirrors add docker.io
usage "cnb config: unknown setting 'frob'" config frob
printf 'default-builder-image = "ok"\nfrobnicate = 1\n' > "$work/bad-config.toml"
CNB_CONFIG=$work/bad-config.toml usage "cnb: config $work/bad-config.toml:2: not understood" config default-builder
CNB_CONFIG=$work/bad-config.toml usage "cnb: config $work/bad-config.toml:2: not understood" build app -B b
usage "cnb config default-builder: one image reference, or --unset" config default-builder 'a"b'
usage "cnb build: one IMAGE only ('app' and 'other')" build app other -B b
usage "cnb build: --env NOT_SET_ANYWHERE_X: not set in the environment" build app -B b -e NOT_SET_ANYWHERE_X
usage "cnb build: --env-file $work/none: No such file or directory" build app -B b --env-file "$work/none"
usage "executor 'docker' is not vm or host" build app -B b --executor docker
usage "cnb build: --insecure-registry needs a value" build app -B b --insecure-registry
usage "cnb copy: SRC and DST are required" copy a
usage "cnb copy: unexpected argument c" copy a b c
usage "cnb inspect: IMAGE is required" inspect
usage "cnb inspect: --output takes human, json or raw, not 'yaml'" inspect app -o yaml
usage "cnb inspect: --output takes human, json or raw" inspect app --output
usage "cnb sbom download: IMAGE is required" sbom download
usage "cnb sbom download: --output-dir needs a value" sbom download app --output-dir
usage "cnb sbom: unknown subcommand 'upload'" sbom upload app
usage "cnb image rm: NAME is required" image rm
usage "cnb image: unknown subcommand 'frob'" image frob
usage "cnb image ls: --output takes table or json, not 'xml'" images -o xml
usage "cnb builder inspect: BUILDER is required" builder inspect
usage "Usage: cnb builder create IMAGE" builder
usage "cnb builder: unknown subcommand 'frob'" builder frob
usage "cnb builder create: IMAGE and --config are required" builder create app
usage "cnb builder create: --publish and --output exclude each other" builder create app -c f --publish --output oci:$work/y
usage "Usage: cnb run IMAGE" run
usage "cnb run: --network needs a value" run app --network
usage "cnb run: --network takes default or none, not 'foo'" run app --network foo
usage "cnb run: --timeout takes a number of seconds, not 'abc'" run app --timeout abc
usage "cnb run: unknown option --frob" run app --frob
usage "Usage: cnb unpack" unpack onlyone
usage "Usage: cnb cache ls" cache
usage "Usage: cnb cache ls" cache frob
usage "cnb cache prune: --older-than takes a number of days from 0" cache prune --older-than soon
usage "cnb cache prune: --older-than takes a number of days from 0" cache prune --older-than -1
usage "cnb cache prune: --older-than takes a number of days from 0" cache prune --older-than nan
usage "Usage: cnb vm run" vm
usage "Usage: cnb vm run" vm run -- true
usage "cnb vm run: unknown option --frob" vm run --frob
usage "cnb vm run: --rootfs needs a value" vm run --rootfs
usage "cnb vm run: bad value for --network: some" vm run --rootfs / --network some -- true
usage "cnb version: unexpected argument extra" version extra

tap_done
