#!/bin/sh
# Builds the libFuzzer targets with clang + ASan/UBSan in build-fuzz and fuzzes each for a while.
#   scripts/fuzz.sh [-t SECONDS] [TARGET...]     (targets: tests/fuzz/fuzz_*.c, e.g. reference)
# Each target starts from its seed corpus (tests/fuzz/corpus-NAME, never written to) and grows a
# working corpus in build-fuzz/fuzz-corpus/NAME; crashes land in build-fuzz/fuzz-artifacts/NAME/.
# Exit status: non-zero when any target found something. A crash reproduces with
#   build-fuzz/tests/fuzz/fuzz_NAME build-fuzz/fuzz-artifacts/NAME/crash-...
set -eu
cd "$(dirname "$0")/.."
seconds=60
while getopts t: opt; do
	case $opt in
	t) seconds=$OPTARG ;;
	*) echo "usage: $0 [-t SECONDS] [TARGET...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
build=build-fuzz
if [ ! -f $build/build.ninja ]; then
	CC=clang meson setup $build -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' >/dev/null
fi
targets=${*:-$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')}
for t in $targets; do
	ninja -C $build tests/fuzz/fuzz_$t >/dev/null
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=
for t in $targets; do
	seeds=tests/fuzz/corpus-$(echo "$t" | tr _ -)
	work=$build/fuzz-corpus/$t
	artifacts=$build/fuzz-artifacts/$t
	mkdir -p "$work" "$artifacts"
	log=$build/fuzz-$t.log
	extra=
	[ "$t" = layer_apply ] && extra="-max_len=65536 -dict=tests/fuzz/fuzz.dict"
	echo "== fuzz_$t: ${seconds}s, seeds $seeds"
	# shellcheck disable=SC2086
	if $build/tests/fuzz/fuzz_$t -max_total_time="$seconds" -timeout=25 \
		-artifact_prefix="$artifacts/" -print_final_stats=1 $extra "$work" "$seeds" >"$log" 2>&1; then
		grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$log" || true
	else
		echo "   FAILED: see $log and $artifacts"
		grep -E 'ERROR|invariant|escape|SUMMARY' "$log" | head -n 5
		failed="$failed $t"
	fi
done
[ -z "$failed" ] || { echo "targets with findings:$failed"; exit 1; }
