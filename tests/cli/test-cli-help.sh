#!/usr/bin/env bash
# Golden files for every `--help` of the CLI: the real output, compared byte for byte with
# tests/cli/golden/*.txt (exit code 0, nothing on stderr). Prints TAP.
#   test-cli-help.sh CNB_EXE GOLDEN_DIR
# After changing a help text on purpose, rewrite the goldens and review the diff:
#   CNB_UPDATE_GOLDEN=1 meson test -C build cli-help && git diff tests/cli/golden
set -u
cnb=$1 golden=$2
. "$(dirname "$0")/../lib/tap.sh"
tap_workdir cli-help
ln -s "$(cd "$(dirname "$cnb")" && pwd)/$(basename "$cnb")" "$work/cnb-build"
golden() { # golden NAME CMD...: the output of CMD against golden/NAME.txt
	local name=$1; shift
	"$@" >"$work/out" 2>"$work/err"; local rc=$?
	if [ "${CNB_UPDATE_GOLDEN:-}" = 1 ]; then cp "$work/out" "$golden/$name.txt"; fi
	if [ $rc = 0 ] && [ ! -s "$work/err" ] && diff -u "$golden/$name.txt" "$work/out" >"$work/diff" 2>&1; then
		ok 0 "$name: ${*#"$cnb"}"
	else
		ok 1 "$name: ${*#"$cnb"} (exit $rc; update: CNB_UPDATE_GOLDEN=1, see the header of $0)"
		sed 's/^/#   /' "$work/err" "$work/diff" | head -40
	fi
}
golden cnb "$cnb" --help
golden cnb-h "$cnb" -h
golden copy "$cnb" copy --help
golden inspect "$cnb" inspect --help
golden sbom "$cnb" sbom --help
golden sbom-download "$cnb" sbom download --help
golden image "$cnb" image --help
golden images "$cnb" images --help
golden rebase "$cnb" rebase --help
golden build "$cnb" build --help
golden cnb-build "$work/cnb-build" --help
golden run "$cnb" run --help
golden builder "$cnb" builder --help
golden builder-create "$cnb" builder create --help
golden builder-inspect "$cnb" builder inspect --help
golden buildpack "$cnb" buildpack --help
golden buildpack-package "$cnb" buildpack package --help
golden unpack "$cnb" unpack --help
golden cache "$cnb" cache --help
golden config "$cnb" config --help
golden vm "$cnb" vm --help
golden vm-run "$cnb" vm run --help
golden version "$cnb" version --help
tap_done
