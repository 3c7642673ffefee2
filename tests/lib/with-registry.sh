#!/usr/bin/env bash
# Runs a command next to a fresh docker-registry on 127.0.0.1 (random free port, own storage).
#   with-registry.sh [--auth none|htpasswd|token] [--tls | --mtls] -- COMMAND [ARGS...]
# Exports to COMMAND:
#   CNB_TEST_REGISTRY       host:port of the registry
#   CNB_TEST_REGISTRY_DIR   its storage directory (tests corrupt blobs there on purpose)
#   CNB_TEST_REGISTRY_PID   its process (a test may stop it to build offline)
#   CNB_TEST_REGISTRY_USER / CNB_TEST_REGISTRY_PASSWORD   with --auth htpasswd or token
#   CNB_TEST_TOKEN_LOG      with --auth token: one line per token request ("user scope...")
#   CNB_TEST_REGISTRY_CA    with --tls or --mtls: the PEM of the CA (made here by openssl) that signed
#                           the registry's certificate (for 127.0.0.1 and localhost)
#   CNB_TEST_REGISTRY_CA_KEY  its key, for tests that sign more certificates
#   CNB_TEST_CLIENT_CERT / CNB_TEST_CLIENT_KEY   with --mtls: a client certificate the registry requires
# --auth token runs tests/oci/token-server.py (JWTs signed with a key made here by openssl) as the realm.
# Exits 77 (skip) when docker-registry is not installed.
set -euo pipefail
auth=none tls=
while [ $# -gt 0 ]; do
	case "$1" in
	--auth) auth=$2; shift 2 ;;
	--tls|--mtls) tls=${1#--}; shift ;;
	--) shift; break ;;
	*) break ;;
	esac
done
command -v docker-registry >/dev/null || { echo "1..0 # SKIP docker-registry not installed (scripts/install-deps.sh)"; exit 77; }

work=$(mktemp -d /tmp/cnb-registry-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	[ -n "${token_pid:-}" ] && kill "$token_pid" 2>/dev/null && wait "$token_pid" 2>/dev/null || true
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
elif [ "$auth" = token ]; then
	export CNB_TEST_REGISTRY_USER=cnbtest CNB_TEST_REGISTRY_PASSWORD=t0ken-pw CNB_TEST_TOKEN_LOG="$work/token.log"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/token.key" -out "$work/token.crt" -days 2 \
		-subj /CN=cnb-test-token >/dev/null 2>&1
	: > "$CNB_TEST_TOKEN_LOG"
	python3 "$(dirname "$0")/../oci/token-server.py" --port-file "$work/token.port" --key "$work/token.key" \
		--cert "$work/token.crt" --issuer cnb-test-issuer --service cnb-test-registry \
		--user "$CNB_TEST_REGISTRY_USER" --password "$CNB_TEST_REGISTRY_PASSWORD" --log "$CNB_TEST_TOKEN_LOG" &
	token_pid=$!
	for _ in $(seq 1 100); do [ -s "$work/token.port" ] && break; sleep 0.05; done
	[ -s "$work/token.port" ] || { echo "with-registry: token server did not start" >&2; exit 1; }
	auth_yaml="auth:
  token:
    realm: http://127.0.0.1:$(cat "$work/token.port")/token
    service: cnb-test-registry
    issuer: cnb-test-issuer
    rootcertbundle: $work/token.crt"
fi

scheme=http curl_tls=() tls_yaml=""
if [ -n "$tls" ]; then
	# A CA of our own; the server certificate names 127.0.0.1 and localhost (subjectAltName).
	export CNB_TEST_REGISTRY_CA=$work/ca.crt CNB_TEST_REGISTRY_CA_KEY=$work/ca.key
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.crt" -days 2 \
		-subj /CN=cnb-test-ca >/dev/null 2>&1
	openssl req -newkey rsa:2048 -nodes -keyout "$work/server.key" -out "$work/server.csr" \
		-subj /CN=127.0.0.1 >/dev/null 2>&1
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$work/server.ext"
	openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
		-days 2 -extfile "$work/server.ext" -out "$work/server.crt" >/dev/null 2>&1
	scheme=https curl_tls=(--cacert "$work/ca.crt")
	tls_yaml="  tls:
    certificate: $work/server.crt
    key: $work/server.key"
	if [ "$tls" = mtls ]; then
		export CNB_TEST_CLIENT_CERT=$work/client.cert CNB_TEST_CLIENT_KEY=$work/client.key
		openssl req -newkey rsa:2048 -nodes -keyout "$work/client.key" -out "$work/client.csr" \
			-subj /CN=cnb-test-client >/dev/null 2>&1
		openssl x509 -req -in "$work/client.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
			-days 2 -out "$work/client.cert" >/dev/null 2>&1
		curl_tls+=(--cert "$work/client.cert" --key "$work/client.key")
		tls_yaml="$tls_yaml
    clientcas:
      - $work/ca.crt"
	fi
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
$tls_yaml
$auth_yaml
YAML
	docker-registry serve "$work/config.yml" > "$work/registry.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		if curl -s -o /dev/null "${curl_tls[@]}" "$scheme://127.0.0.1:$port/v2/"; then break; fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if curl -s -o /dev/null "${curl_tls[@]}" "$scheme://127.0.0.1:$port/v2/"; then
		export CNB_TEST_REGISTRY="127.0.0.1:$port" CNB_TEST_REGISTRY_DIR="$work/storage" CNB_TEST_REGISTRY_PID=$pid
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
