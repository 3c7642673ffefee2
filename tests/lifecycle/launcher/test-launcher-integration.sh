#!/bin/bash
# Integration tests of the built cnb-launcher on the host (no VM): a fake <layers> and <app> in a
# temp dir, the launcher run directly and through /cnb/process-style symlinks. Speaks TAP.
# Usage: test-launcher-integration.sh <path to cnb-launcher>
set -u
launcher=$(realpath "$1")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnb-launcher-it-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/../../lib/tap.sh"

# run <argv0 path> [args...]: runs with the standard env; sets $out (stdout+stderr) and $rc.
run() {
	out=$(env -i PATH=/cnb/process:/cnb/lifecycle:/usr/bin:/bin CNB_PLATFORM_API="${PLATFORM_API-0.15}" \
		CNB_LAYERS_DIR="$tmp/layers" CNB_APP_DIR="$tmp/app" ${EXTRA_ENV:-} "$@" 2>&1)
	rc=$?
}
expect() { # expect <want rc> <substring> <description>
	local good=0
	[ "$rc" -eq "$1" ] || good=1
	case "$out" in *"$2"*) ;; *) good=1 ;; esac
	ok $good "$3"
	[ $good -eq 0 ] || printf '#   rc=%s, want %s; output:\n%s\n' "$rc" "$1" "$(sed 's/^/#     /' <<<"$out")"
}
write() { # write <path> <mode> <content>
	mkdir -p "$(dirname "$1")" && printf '%s' "$3" >"$1" && chmod "$2" "$1"
}

L=$tmp/layers
write "$L/config/metadata.toml" 644 '
buildpack-default-process-type = "web"
[[buildpacks]]
  id = "acme/node"
  version = "1.0.0"
  api = "0.10"
[[buildpacks]]
  id = "acme/legacy"
  version = "0.1.0"
  api = "0.8"
[[processes]]
  type = "web"
  command = ["hello", "--from-web"]
  args = ["default-arg"]
  direct = true
  buildpack-id = "acme/node"
[[processes]]
  type = "shell"
  command = "echo \"shell:$GREETING:$PROFILE_VAR:$TYPED_PROFILE:$APP_PROFILE:$(pwd)\""
  direct = false
  buildpack-id = "acme/legacy"
[[processes]]
  type = "exit7"
  command = ["sh", "-c", "exit 7"]
  buildpack-id = "acme/node"
[[processes]]
  type = "workdir"
  command = ["pwd"]
  working-dir = "sub"
  buildpack-id = "acme/node"
[[processes]]
  type = "new-shell"
  command = ["hello", "$GREETING"]
  args = ["$PROFILE_VAR"]
  direct = false
  buildpack-id = "acme/node"
[[processes]]
  type = "test-only"
  command = ["hello"]
  buildpack-id = "acme/node"
  exec-env = ["test"]
'
write "$L/acme_node/tools.toml" 644 '[types]
launch = true
'
write "$L/acme_node/tools/bin/hello" 755 '#!/bin/sh
echo "hello $* GREETING=$GREETING EXECD=$EXECD_VAR LAYERS=${CNB_LAYERS_DIR-unset} PROFILE=${PROFILE_VAR-unsourced}"
echo "PATH=$PATH"
'
write "$L/acme_node/tools/env.launch/GREETING" 644 'hi'
write "$L/acme_node/tools/exec.d/10-set" 755 '#!/bin/sh
[ -n "$BPL_FAIL" ] && { echo "exec.d failing on purpose" >&2; exit 4; }
printf "EXECD_VAR = \"from-execd saw %s\"\n" "$GREETING" >&3
'
write "$L/acme_legacy/prof/profile.d/p.sh" 644 'export PROFILE_VAR=from-profile'
write "$L/acme_legacy/prof/profile.d/shell/typed.sh" 644 'export TYPED_PROFILE=typed'
write "$tmp/app/.profile" 644 'export APP_PROFILE=from-app'
mkdir -p "$tmp/app/sub" "$tmp/process"
for t in web shell exit7 workdir test-only new-shell; do ln -s "$launcher" "$tmp/process/$t"; done

# Direct default process through its symlink.
run "$tmp/process/web"
expect 0 "hello --from-web default-arg GREETING=hi EXECD=from-execd saw hi LAYERS=unset PROFILE=unsourced" \
	"web: direct process, layer env, exec.d output, CNB_* stripped, no profile.d"
expect 0 "PATH=$L/acme_node/tools/bin:/usr/bin:/bin" "web: layer bin first in PATH, /cnb dirs removed"

run "$tmp/process/web" custom "two words"
expect 0 "hello --from-web custom two words GREETING" "web: user args replace the default args"

run "$tmp/process/exit7"
expect 7 "" "exit code is the process's own"

run "$tmp/process/workdir"
expect 0 "$tmp/app/sub" "working-dir relative to the app dir"

run "$tmp/process/shell"
expect 0 "shell:hi:from-profile:typed:from-app:$tmp/app" "shell process: profile.d, profile.d/<type>, .profile"

# direct = false is honoured for Buildpack API >= 0.9 too (lifecycle launch/launcher.go LaunchProcess).
run "$tmp/process/new-shell"
expect 0 "hello hi from-profile GREETING=hi EXECD=from-execd saw hi LAYERS=unset PROFILE=from-profile" \
	"direct = false, Buildpack API 0.10: through the shell with profile.d, exec.d, tokens expanded"

# No default process: the launcher itself.
run "$launcher" -- hello direct-arg '$GREETING'
expect 0 'hello direct-arg $GREETING GREETING=hi' "launcher -- cmd: direct, args not expanded"
run "$launcher" 'echo "script:$PROFILE_VAR:$GREETING"'
expect 0 "script:from-profile:hi" "launcher cmd: shell script with profile.d"
run "$launcher" echo '$GREETING' 'a  b'
# As in lifecycle launch/bash.go, a token is re-split by `eval echo`: runs of blanks collapse.
expect 0 "hi a b" "launcher cmd args: each token env-expanded"
run "$launcher"
expect 82 "when there is no default process a command is required" "no default process, no command: 82"
run "$launcher" -- no-such-command
expect 82 '"no-such-command" not found in PATH' "unknown command: 82"

# Failures before the exec.
EXTRA_ENV=BPL_FAIL=1 run "$tmp/process/web"
expect 82 "exited with status 4" "exec.d failure: 82"
expect 82 "exec.d failing on purpose" "exec.d stderr is passed through"
run "$tmp/process/test-only"
expect 82 "process type test-only was not found" "process not eligible for CNB_EXEC_ENV=production: 82"
EXTRA_ENV=CNB_EXEC_ENV=test run "$tmp/process/test-only"
expect 0 "hello  GREETING=hi" "eligible with CNB_EXEC_ENV=test"
EXTRA_ENV=CNB_PROCESS_TYPE=shell run "$tmp/process/web"
expect 0 "Warning: CNB_PROCESS_TYPE is not supported" "CNB_PROCESS_TYPE: warning, ignored"

out=$(env -i CNB_LAYERS_DIR="$L" CNB_APP_DIR="$tmp/app" "$tmp/process/web" 2>&1)
rc=$?
expect 11 "CNB_PLATFORM_API is not set" "missing CNB_PLATFORM_API: 11"
PLATFORM_API=0.3 run "$tmp/process/web"
expect 11 "platform API 0.3" "unsupported CNB_PLATFORM_API: 11"

cp -r "$L" "$tmp/bad-layers"
printf '[[buildpacks]]\n  id = "acme/node"\n  api = "0.10"\n[[processes]\n' >"$tmp/bad-layers/config/metadata.toml"
EXTRA_ENV=CNB_LAYERS_DIR=$tmp/bad-layers run "$tmp/process/web"
expect 1 "failed to read metadata: $tmp/bad-layers/config/metadata.toml:4:" "bad metadata.toml: clear error with line"
printf '[[buildpacks]]\n  id = "acme/node"\n  api = "0.2"\n' >"$tmp/bad-layers/config/metadata.toml"
EXTRA_ENV=CNB_LAYERS_DIR=$tmp/bad-layers run "$tmp/process/web"
expect 12 "Buildpack API 0.2" "unsupported buildpack API: 12"
rm "$tmp/bad-layers/config/metadata.toml"
EXTRA_ENV=CNB_LAYERS_DIR=$tmp/bad-layers run "$tmp/process/web"
expect 1 "metadata.toml" "missing metadata.toml: error names the file"

if command -v file >/dev/null; then
	file -L "$launcher" | grep -q 'statically linked'
	ok $? "the launcher is statically linked"
fi

tap_done
