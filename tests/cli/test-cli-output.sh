#!/usr/bin/env bash
# What a user sees, against a local registry: `cnb copy` with CI=true (plain lines, each with a
# UTC timestamp, no escapes; only the digest on stdout), the same on a terminal (`script -qec`:
# progress bar and ANSI escapes), and a build whose last stdout line, and last stderr line, name
# the image and its digest. Prints TAP.
#   test-cli-output.sh CNB_EXE SOURCE_ROOT   (through with-registry.sh)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$(dirname "$0")/../lib/tap.sh"
tap_workdir cli-output
export TMPDIR=$work
esc=$(printf '\033')

"$src/tests/fixtures/make-base-images.sh" "$work/base" >/dev/null || { echo "Bail out! base images"; exit 1; }

CI=true "$cnb" copy -v "oci:$work/base:run" "docker://$reg/cli/plain:run" >"$work/plain.out" 2>"$work/plain.err"; rc=$?
[ $rc = 0 ] && grep -Eqx 'sha256:[0-9a-f]{64}' "$work/plain.out" && [ "$(wc -l <"$work/plain.out")" = 1 ]
ok $? "copy: exit 0, stdout is the digest alone"; [ $rc = 0 ] || show "$work/plain.err"
[ -s "$work/plain.err" ] && ! grep -qv -E '^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3} ' "$work/plain.err" && ! grep -q "$esc" "$work/plain.err"
ok $? "CI=true: every stderr line starts with an HH:MM:SS.mmm timestamp, no escape sequences ($(wc -l <"$work/plain.err") lines)"
show "$work/plain.err" 3

env -u CI script -qec "'$cnb' copy 'oci:$work/base:build' 'docker://$reg/cli/tty:build'" /dev/null >"$work/tty.out" 2>&1; rc=$?
grep -q "$esc\[K" "$work/tty.out" && grep -Eq '\[=+ *\] +[0-9.]+/ *[0-9.]+ MB' "$work/tty.out"
ok $? "on a terminal: a progress bar redrawn with ANSI escapes (exit $rc)"; show "$work/tty.out" 3
env -u CI script -qec "'$cnb' copy 'oci:$work/nothing:here' 'docker://$reg/cli/none'" /dev/null >"$work/ttyerr.out" 2>&1
grep -q "$esc\[31mcnb copy:$esc\[0m" "$work/ttyerr.out"
ok $? "on a terminal: the error is red"; show "$work/ttyerr.out" 2

builder=$("$src/tests/lib/make-test-builder.sh" "$cnb" "$src" "$work" cli 2>"$work/fixture.out") ||
	{ echo "Bail out! builder"; show "$work/fixture.out"; exit 1; }
executor=vm; [ "$(id -u)" = 0 ] && executor=host # the output is the same; host skips a TCG boot
CI=true "$cnb" build "$reg/cli/app" --builder "$builder" --path "$src/examples/sample-app" --publish \
	--executor $executor >"$work/build.out" 2>"$work/build.err"; rc=$?
ref=$(tail -1 "$work/build.out")
[ $rc = 0 ] && [[ $ref =~ ^$reg/cli/app(:latest)?@sha256:[0-9a-f]{64}$ ]] && [ "$(wc -l <"$work/build.out")" = 1 ]
ok $? "build: the one stdout line is the image with its digest ($ref)"; [ $rc = 0 ] || show "$work/build.err"
# (this summary line carries no timestamp, even with CI=true: it is printed by the CLI, not logged)
[ "$(tail -1 "$work/build.err")" = "Successfully built $ref" ]
ok $? "build: the last stderr line is 'Successfully built' with the same reference"
grep -Eq '^[0-9:.]{12} ---> Shell app buildpack$' "$work/build.err" &&
	! head -n -1 "$work/build.err" | grep -qv -E '^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3} ' && ! grep -q "$esc" "$work/build.err"
ok $? "build with CI=true: the buildpack's output passed through, every log line timestamped, no escapes"
tap_done
