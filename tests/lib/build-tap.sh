# Shell helpers of the build tests and benchmarks, on top of tap.sh (sourced here): command output
# kept per name, digests from the result line, timed builds with their phases. They write into
# $work (tap_workdir).
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

run() { # run NAME CMD...: output in $work/NAME.out, exit code in $rc
	local name=$1; shift
	"$@" >"$work/$name.out" 2>&1; rc=$?
}
digest_of() { sed -n 's/.*@\(sha256:[0-9a-f]\{64\}\)$/\1/p' "$work/$1.out" | tail -1; }

timed() { # timed LABEL CMD...: output in $work/out, wall time in $wall (ms), a TAP line; sets $rc
	local label=$1 start; shift
	start=$(date +%s%N)
	"$@" >"$work/out" 2>&1; rc=$?
	wall=$(( ($(date +%s%N) - start) / 1000000 ))
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

# example_builder NAME BASE_REPO BUILDPACK_DIR [BUILDPACK_ID]: examples/builder/builder.toml on
# $reg/BASE_REPO:{build,run} with the buildpack in BUILDPACK_DIR (id BUILDPACK_ID, default
# examples/shell), published at $reg/NAME.
example_builder() {
	sed -e "s|BUILD_IMAGE|$reg/$2:build|; s|RUN_IMAGE|$reg/$2:run|; s|\.\./buildpacks/shell|$3|" \
		-e "s|examples/shell|${4:-examples/shell}|" "$src/examples/builder/builder.toml" > "$work/builder-${1//\//_}.toml"
	"$cnb" builder create "$reg/$1" --config "$work/builder-${1//\//_}.toml" --publish >"$work/builder.out" 2>&1
}
