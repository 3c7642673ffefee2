#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs the test suites: unit, integration, e2e.
#   scripts/test.sh            everything but benchmarks
#   scripts/test.sh --suite unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -d build ] || meson setup build
meson compile -C build
meson test -C build --print-errorlogs --no-suite bench "$@"
