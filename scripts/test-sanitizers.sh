#!/bin/sh
# The unit and integration suites under AddressSanitizer + UndefinedBehaviorSanitizer (clang),
# in their own build directory:
#   scripts/test-sanitizers.sh [meson test args...]     e.g. --suite unit
# The static guest binaries (vmshim: cnb-init, cnb-lifecycle, cnb-launcher) cannot be linked with
# ASan (no static ASan runtime), so the build continues past them (ninja -k 0) and the suites run
# without rebuilding: a test that needs them fails and is listed in the summary, the rest report
# sanitizer findings as failures (UBSan halts on the first error, LSan checks for leaks at exit).
set -u
cd "$(dirname "$0")/.."
build=build-asan
if [ ! -f $build/build.ninja ]; then
	# libcnb.so links with -Wl,--no-undefined: it needs the shared sanitizer runtime, found by rpath.
	# The static one pulled in libm, which libFuzzer (the fuzz targets) needs.
	CC=clang meson setup $build -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_link_args="-shared-libsan -Wl,-rpath,$(clang --print-runtime-dir) -Wl,--push-state,--no-as-needed -lm -Wl,--pop-state" \
		>/dev/null || exit 1
fi
ninja -C $build -k 0 >$build/sanitizer-build.log 2>&1 || {
	echo "some targets did not build (expected: the static guest binaries); see $build/sanitizer-build.log:"
	grep '^FAILED:' $build/sanitizer-build.log | sed 's/^/  /'
}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:verify_asan_link_order=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-print_suppressions=0}
if [ $# -eq 0 ]; then
	set -- --suite unit --suite integration
fi
meson test -C $build --no-rebuild --print-errorlogs "$@"
