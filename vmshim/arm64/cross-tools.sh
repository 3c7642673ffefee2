#!/bin/sh
# Cross-compiles the static guest tools (cnb-init, cnb-lifecycle, cnb-launcher) for another
# architecture with a GNU cross compiler (called by meson: one build tree has one target compiler,
# so the guest tools of a foreign architecture are built here, from the same source lists).
#
#   cross-tools.sh check CC
#       Succeeds when CC can link a static program against jansson; else says what to install.
#   cross-tools.sh build CC OBJDIR DEPFILE FLAG... -- TOOL=OUT SRC... -- TOOL=OUT SRC...
#       Compiles every source once (in parallel) into OBJDIR with FLAG... and links each TOOL
#       statically to OUT with its sources. DEPFILE lists every header read (for ninja).
set -eu

cmd=$1
shift
case "$cmd" in
check)
	cc=$1
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "$cc not found: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross (scripts/install-deps.sh)"
		exit 1
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	printf '#include <jansson.h>\nint main(void) { json_decref(json_object()); return 0; }\n' >"$tmp/t.c"
	if ! "$cc" -static -o "$tmp/t" "$tmp/t.c" -ljansson >"$tmp/log" 2>&1; then
		echo "$cc cannot link a static jansson program: dpkg --add-architecture arm64 && apt-get install libjansson-dev:arm64 ($(head -n1 "$tmp/log"))"
		exit 1
	fi
	;;
build)
	cc=$1 objdir=$2 depfile=$3
	shift 3
	flags=""
	while [ "$1" != -- ]; do
		flags="$flags $1"
		shift
	done
	mkdir -p "$objdir"
	# every source once: object name = path without leading ../ and with '/' -> '_'
	all=$(printf '%s\n' "$@" | grep '\.c$' | sort -u)
	export cc objdir flags
	printf '%s\n' "$all" | xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} sh -c \
		'o="$objdir/$(echo "{}" | sed "s,^\(\.\./\)*,,; s,/,_,g").o"; exec $cc $flags -MD -MF "$o.d" -c "{}" -o "$o"'
	first=""
	shift # the first --
	while [ $# -gt 0 ]; do
		out=${1#*=}
		shift
		objs=""
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			objs="$objs $objdir/$(echo "$1" | sed 's,^\(\.\./\)*,,; s,/,_,g').o"
			shift
		done
		[ $# -gt 0 ] && shift
		# shellcheck disable=SC2086
		$cc -static -Wl,--gc-sections -o "$out.tmp" $objs -ljansson
		mv "$out.tmp" "$out"
		[ -n "$first" ] || first=$out
	done
	{
		printf '%s:' "$first"
		cat "$objdir"/*.d | sed -e 's/^[^:]*://' -e 's/\\$//' | tr -s ' \n' '  ' | tr ' ' '\n' | sort -u | \
			grep . | sed 's/^/ /' | tr -d '\n'
		echo
	} >"$depfile"
	;;
*)
	echo "usage: cross-tools.sh check CC | build CC OBJDIR DEPFILE FLAG... -- TOOL=OUT SRC... [-- ...]" >&2
	exit 2
	;;
esac
