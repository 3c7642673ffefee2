# shellcheck shell=sh
# TAP (Test Anything Protocol) for the shell tests, POSIX sh. Every shell test sources it:
#   . "$(dirname "$0")/../lib/tap.sh"
# then reports each test point with ok/check/skip and ends with `tap_done` (the plan line, and the
# exit status meson reads). Anything else a test prints must start with "#": meson warns about
# (and a strict TAP consumer rejects) any other line.

n=0      # test points so far
failed=0 # of which failed

# ok STATUS DESCRIPTION: one test point, passed when STATUS is 0. Lines of DESCRIPTION after the
# first (an error message quoted into it) become diagnostics.
ok() {
	n=$((n + 1))
	tap_first=$2
	case $2 in *'
'*) tap_first=$(printf '%s\n' "$2" | head -n 1) ;; esac
	if [ "$1" = 0 ]; then
		echo "ok $n - $tap_first"
	else
		echo "not ok $n - $tap_first"
		failed=$((failed + 1))
	fi
	case $2 in *'
'*) printf '%s\n' "$2" | tail -n +2 | sed 's/^/#   /' ;; esac
	return 0
}

# check DESCRIPTION CMD...: runs CMD, passed when it exits 0; its output (stdout and stderr) is
# shown as diagnostics when it fails, and left in the file $tap_out when the test sets that.
check() {
	tap_what=$1
	shift
	tap_output=$("$@" 2>&1)
	tap_rc=$?
	[ -z "${tap_out:-}" ] || printf '%s\n' "$tap_output" >"$tap_out"
	ok $tap_rc "$tap_what"
	[ $tap_rc = 0 ] || printf '%s\n' "$tap_output" | tail -n 40 | sed 's/^/#   /'
	return 0
}

# skip REASON: a test point that could not run here.
skip() {
	n=$((n + 1))
	echo "ok $n - # SKIP $1"
}

# show FILE [LINES]: the last LINES (25) lines of FILE as diagnostics, control characters visible.
show() {
	cat -v "$1" | tail -n "${2:-25}" | sed 's/^/#   /'
}

# tap_workdir NAME: $work, a new directory under /tmp removed when the test exits, also holding
# cnb's cache and data (CNB_CACHE_DIR, XDG_DATA_HOME) so that tests never share state.
tap_workdir() {
	work=$(mktemp -d "/tmp/cnb-$1-XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
	export CNB_CACHE_DIR="$work/cache" XDG_DATA_HOME="$work/data"
}

# tap_skip_all REASON: the whole test is skipped (the plan line only); exits.
tap_skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# tap_done: the plan line; the status says whether every test point passed.
tap_done() {
	echo "1..$n"
	[ "$failed" = 0 ]
}
