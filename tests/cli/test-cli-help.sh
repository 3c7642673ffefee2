#!/usr/bin/env bash
# Golden files for every `--help` of the CLI: the real output, compared byte for byte with
# tests/cli/golden/*.txt (exit code 0, nothing on stderr). Prints TAP.
#   test-cli-help.sh CNB_EXE GOLDEN_DIR
# After changing a help text on purpose, rewrite the goldens and review the diff:
#   CNB_UPDATE_GOLDEN=1 meson test -C build cli-help && git diff tests/cli/golden
set -u
cnb=$1 golden=$2
work=$(mktemp -d /tmp/cnb-cli-help-XXXXXX)
trap 'rm -rf "$work"' EXIT
export CNB_CACHE_DIR=$work/cache XDG_DATA_HOME=$work/data
ln -s "$(cd "$(dirname "$cnb")" && pwd)/$(basename "$cnb")" "$work/cnb-build"
n=0 failed=0
check() { # check NAME CMD...: the output of CMD against golden/NAME.txt
	local name=$1; shift
	n=$((n + 1))
	"$@" >"$work/out" 2>"$work/err"; local rc=$?
	if [ "${CNB_UPDATE_GOLDEN:-}" = 1 ]; then cp "$work/out" "$golden/$name.txt"; fi
	if [ $rc = 0 ] && [ ! -s "$work/err" ] && diff -u "$golden/$name.txt" "$work/out" >"$work/diff" 2>&1; then
		echo "ok $n - $name: ${*#"$cnb"}"
	else
		echo "not ok $n - $name: ${*#"$cnb"} (exit $rc; update: CNB_UPDATE_GOLDEN=1, see the header of $0)"
		sed 's/^/#   /' "$work/err" "$work/diff" | head -40
		failed=$((failed + 1))
	fi
}
check cnb "$cnb" --help
check cnb-h "$cnb" -h
check copy "$cnb" copy --help
check inspect "$cnb" inspect --help
check sbom "$cnb" sbom --help
check sbom-download "$cnb" sbom download --help
check image "$cnb" image --help
check images "$cnb" images --help
check rebase "$cnb" rebase --help
check build "$cnb" build --help
check cnb-build "$work/cnb-build" --help
check run "$cnb" run --help
check builder "$cnb" builder --help
check builder-create "$cnb" builder create --help
check builder-inspect "$cnb" builder inspect --help
check buildpack "$cnb" buildpack --help
check buildpack-package "$cnb" buildpack package --help
check unpack "$cnb" unpack --help
check cache "$cnb" cache --help
check vm "$cnb" vm --help
check vm-run "$cnb" vm run --help
check version "$cnb" version --help
echo "1..$n"
[ $failed = 0 ]
