# Shell helpers of the build tests and benchmarks, on top of tap.sh (sourced here): command output
# kept per name, digests from the result line, timed builds with their phases. They write into
# $work (tap_workdir).
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

run() { # run NAME CMD...: output in $work/NAME.out, exit code in $rc
	local name=$1; shift
	"$@" >"$work/$name.out" 2>&1; rc=$?
}
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); } # ms START_NS: milliseconds since START_NS
digest_of() { sed -n 's/.*@\(sha256:[0-9a-f]\{64\}\)$/\1/p' "$work/$1.out" | tail -1; }

timed() { # timed LABEL CMD...: output in $work/out, wall time in $wall (ms), a TAP line; sets $rc
	local label=$1 start; shift
	start=$(date +%s%N)
	"$@" >"$work/out" 2>&1; rc=$?
	wall=$(ms "$start")
	ok $rc "$label: ${wall} ms wall"; [ $rc = 0 ] || show "$work/out" 10
}

phases() { # phases REPORT_JSON: "phase=ms ... boot=ms [added=N reused=N]"
	python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
layers = r.get("layers") or {}
print(" ".join(f"{k}={v}" for k, v in r["phases_ms"].items()), f"boot={r['executor']['boot_ms']}",
      f"added={layers.get('added')} reused={layers.get('reused')}")
PY
}

# push_base_images REPO: the test base images (tests/fixtures/make-base-images.sh) at $reg/REPO:build
# and $reg/REPO:run. Needs $cnb, $src, $reg.
push_base_images() {
	"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null || return 1
	local tag
	for tag in build run; do "$cnb" copy "oci:$work/base:$tag" "docker://$reg/$1:$tag" >/dev/null || return 1; done
}

# builder_toml BASE_REPO BUILDPACK_DIR BUILDPACK_ID: examples/builder/builder.toml on $reg/BASE_REPO:{build,run}
# with the buildpack in BUILDPACK_DIR, on stdout.
builder_toml() {
	sed -e "s|BUILD_IMAGE|$reg/$1:build|; s|RUN_IMAGE|$reg/$1:run|; s|\.\./buildpacks/shell|$2|" \
		-e "s|examples/shell|$3|" "$src/examples/builder/builder.toml"
}

# example_builder NAME BASE_REPO BUILDPACK_DIR [BUILDPACK_ID]: builder_toml's builder (BUILDPACK_ID
# default examples/shell), published at $reg/NAME.
example_builder() {
	builder_toml "$2" "$3" "${4:-examples/shell}" > "$work/builder-${1//\//_}.toml"
	"$cnb" builder create "$reg/$1" --config "$work/builder-${1//\//_}.toml" --publish >"$work/builder.out" 2>&1
}

# extension_builder NAME BASE_REPO BUILDPACK_DIR BUILDPACK_ID: example_builder plus the image extensions
# of tests/e2e/extend-extensions, which write the Dockerfiles given in the platform env
# (EXT_BUILD_DOCKERFILE, EXT_BUILD_CONFIG, EXT_BUILD_SYMLINK, EXT_RUN_DOCKERFILE).
extension_builder() {
	local toml=$work/builder-${1//\//_}.toml
	builder_toml "$2" "$3" "$4" > "$toml"
	cat >> "$toml" <<TOML
[[extensions]]
  uri = "$src/tests/e2e/extend-extensions/build-ext"
[[extensions]]
  uri = "$src/tests/e2e/extend-extensions/run-ext"
[[order-extensions]]
  [[order-extensions.group]]
    id = "tests/build-ext"
    version = "0.1.0"
  [[order-extensions.group]]
    id = "tests/run-ext"
    version = "0.1.0"
TOML
	"$cnb" builder create "$reg/$1" --config "$toml" --publish >"$work/builder.out" 2>&1
}
