#!/usr/bin/env bash
# Runs a command next to a fresh docker-registry on 127.0.0.1 (random free port, own storage).
#   with-registry.sh [--auth none|htpasswd] -- COMMAND [ARGS...]
# Exports to COMMAND:
#   CNB_TEST_REGISTRY       host:port of the registry
#   CNB_TEST_REGISTRY_DIR   its storage directory (tests corrupt blobs there on purpose)
#   CNB_TEST_REGISTRY_USER / CNB_TEST_REGISTRY_PASSWORD   with --auth htpasswd
# Exits 77 (skip) when docker-registry is not installed.
set -euo pipefail
auth=none
while [ $# -gt 0 ]; do
	case "$1" in
	--auth) auth=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
command -v docker-registry >/dev/null || { echo "1..0 # SKIP docker-registry not installed (scripts/install-deps.sh)"; exit 77; }

work=$(mktemp -d /tmp/cnb-registry-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

auth_yaml=""
if [ "$auth" = htpasswd ]; then
	export CNB_TEST_REGISTRY_USER=cnbtest CNB_TEST_REGISTRY_PASSWORD=s3cret-pw
	htpasswd -Bbn "$CNB_TEST_REGISTRY_USER" "$CNB_TEST_REGISTRY_PASSWORD" > "$work/htpasswd"
	auth_yaml="auth:
  htpasswd:
    realm: cnb-test
    path: $work/htpasswd"
fi

for attempt in 1 2 3 4 5; do
	port=$(free_port)
	cat > "$work/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$auth_yaml
YAML
	docker-registry serve "$work/config.yml" > "$work/registry.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		if curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then break; fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then
		export CNB_TEST_REGISTRY="127.0.0.1:$port" CNB_TEST_REGISTRY_DIR="$work/storage"
		set +e
		"$@"
		rc=$?
		set -e
		exit $rc
	fi
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
	pid=
done
echo "with-registry: docker-registry did not start; log:" >&2
cat "$work/registry.log" >&2
exit 1
