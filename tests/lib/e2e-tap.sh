# Sourced by e2e scripts run through with-registry.sh: TAP helpers and a scratch dir with its own
# cnb cache, removed on exit.   . e2e-tap.sh NAME   (sets $reg, $work, ok, show)
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
work=$(mktemp -d "/tmp/cnb-$1-XXXXXX")
trap 'rm -rf "$work"' EXIT
export CNB_CACHE_DIR=$work/cache XDG_DATA_HOME=$work/data
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
show() { sed 's/^/#   /' "$1" | tail -"${2:-25}"; }
