#!/usr/bin/env bash
# Registry TLS as docker and Go tools do it, against a docker-registry serving HTTPS on 127.0.0.1 with
# a CA made by tests/lib/with-registry.sh (--tls, or --mtls: client certificates required). TAP output.
#   test-oci-tls.sh CNB_EXE tls|mtls
# Trust comes from SSL_CERT_FILE, SSL_CERT_DIR or a certs.d directory ($CNB_CERTS_D here, so the test
# does not touch /etc/docker/certs.d; the default places are covered through $XDG_CONFIG_HOME).
set -uo pipefail
cnb=$1
mode=$2
reg=$CNB_TEST_REGISTRY
port=${reg##*:}
. "$(dirname "$0")/../lib/tap.sh"
command -v umoci >/dev/null || { echo "1..0 # SKIP umoci not installed (scripts/install-deps.sh)"; exit 77; }

work=$(mktemp -d /tmp/cnb-oci-tls-XXXXXX)
trap 'rm -rf "$work"' EXIT
unset SSL_CERT_FILE SSL_CERT_DIR CNB_CERTS_D
export CNB_INSECURE_REGISTRIES= DOCKER_CONFIG=$work/docker HOME=$work/home XDG_CONFIG_HOME=$work/config
export CNB_CACHE_DIR=$work/cache
mkdir -p "$DOCKER_CONFIG" "$HOME" "$XDG_CONFIG_HOME"
umoci init --layout "$work/src" >/dev/null && umoci new --image "$work/src:v1" >/dev/null &&
	umoci insert --image "$work/src:v1" /bin/busybox /bin/busybox >/dev/null
ok $? "fixture image built with umoci"

# run NAME CMD...: runs cnb with a fresh cache; stdout+stderr in $work/NAME.out, exit code in $rc.
run() { local name=$1; shift; rm -rf "$CNB_CACHE_DIR"; "$@" >"$work/$name.out" 2>&1; rc=$?; out=$(cat "$work/$name.out"); }
# roundtrip NAME [ENV=V...] [--]: push the fixture, pull it back, same digest both ways.
roundtrip() {
	local name=$1; shift
	run "$name-push" env "$@" "$cnb" copy oci:"$work/src:v1" "docker://$reg/tls/$name:v1"
	[ $rc = 0 ] || { echo "# push: $out"; return 1; }
	local d1=$out
	run "$name-pull" env "$@" "$cnb" copy "docker://$reg/tls/$name:v1" oci:"$work/$name:v1"
	[ $rc = 0 ] || { echo "# pull: $out"; return 1; }
	[ "$out" = "$d1" ] || { echo "# digests differ: $d1 / $out"; return 1; }
}
certs_d() { # DIR HOST FILES...: a certs.d tree with FILES copied under DIR/HOST/
	local dir=$1 host=$2; shift 2
	rm -rf "$dir" && mkdir -p "$dir/$host" && cp "$@" "$dir/$host/"
}

if [ "$mode" = tls ]; then
	run untrusted "$cnb" inspect "docker://$reg/tls/none:v1"
	[ $rc = 3 ] && [[ $out == *"registry $reg: its TLS certificate is not trusted"* ]] &&
		[[ $out == *"certificate problem"* ]] && [[ $out == *"SSL_CERT_FILE"* ]] &&
		[[ $out == *"/etc/docker/certs.d/$reg/ca.crt"* ]] && [[ $out != *"only speaks HTTP"* ]]
	ok $? "no CA: exit 3, a certificate error naming the host, the cause and how to trust the CA ($out)"

	roundtrip cert-file SSL_CERT_FILE="$CNB_TEST_REGISTRY_CA"
	ok $? "SSL_CERT_FILE: push and pull over HTTPS on 127.0.0.1, same digest"

	mkdir -p "$work/certdir" && cp "$CNB_TEST_REGISTRY_CA" "$work/certdir/my-ca.pem"
	roundtrip cert-dir SSL_CERT_DIR="$work/nowhere:$work/certdir"
	ok $? "SSL_CERT_DIR (a list; files need no hash names, as in Go): push and pull"

	# Extra CAs add to the base bundle, never replace it: the registry's CA in one, an unrelated CA in the other.
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/other.key" -out "$work/other.crt" -days 2 \
		-subj /CN=unrelated-ca >/dev/null 2>&1
	mkdir -p "$work/otherdir" && cp "$work/other.crt" "$work/otherdir/"
	roundtrip file-and-dir SSL_CERT_FILE="$CNB_TEST_REGISTRY_CA" SSL_CERT_DIR="$work/otherdir"
	ok $? "SSL_CERT_FILE and SSL_CERT_DIR together: the bundle is kept beside the directory's CAs"
	certs_d "$work/certs.d" "$reg" "$work/other.crt"
	roundtrip base-kept CNB_CERTS_D="$work/certs.d" SSL_CERT_FILE="$CNB_TEST_REGISTRY_CA"
	ok $? "certs.d CAs add to the base bundle (SSL_CERT_FILE here), not replace it"
	run wrong-ca env CNB_CERTS_D="$work/certs.d" "$cnb" inspect -o raw "docker://$reg/tls/cert-file:v1"
	[ $rc = 3 ] && [[ $out == *"the CAs in $work/certs.d/$reg/ do not sign it"* ]]
	ok $? "certs.d with the wrong CA: the error points at that directory ($out)"

	mkdir -p "$work/hashed" && cp "$CNB_TEST_REGISTRY_CA" "$work/hashed/$(openssl x509 -hash -noout -in "$CNB_TEST_REGISTRY_CA").0"
	roundtrip hashed-dir SSL_CERT_DIR="$work/hashed"
	ok $? "SSL_CERT_DIR made by c_rehash (HASH.0 names): looked up by hash"

	certs_d "$work/certs.d" "$reg" "$CNB_TEST_REGISTRY_CA"
	roundtrip certs-d CNB_CERTS_D="$work/certs.d"
	ok $? "certs.d/HOST:PORT/*.crt: push and pull"

	certs_d "$XDG_CONFIG_HOME/docker/certs.d" "$reg" "$CNB_TEST_REGISTRY_CA"
	roundtrip xdg-certs-d
	ok $? "\$XDG_CONFIG_HOME/docker/certs.d (rootless dockerd's place) is read by default"
	rm -rf "$XDG_CONFIG_HOME/docker"

	certs_d "$work/certs.d" "localhost:$port" "$CNB_TEST_REGISTRY_CA"
	run localhost env CNB_CERTS_D="$work/certs.d" "$cnb" copy oci:"$work/src:v1" "docker://localhost:$port/tls/lh:v1"
	ok $rc "localhost:PORT over HTTPS with certs.d/localhost:PORT ($out)"

	run insecure "$cnb" copy --insecure-registry "$reg" "docker://$reg/tls/cert-file:v1" oci:"$work/insecure:v1"
	ok $rc "--insecure-registry: HTTPS without verification, as docker ($out)"

	cp "$CNB_TEST_REGISTRY_CA" "$work/lonely.cert"
	certs_d "$work/certs.d" "$reg" "$CNB_TEST_REGISTRY_CA" "$work/lonely.cert"
	run half-pair env CNB_CERTS_D="$work/certs.d" "$cnb" inspect "docker://$reg/tls/cert-file:v1"
	[ $rc != 0 ] && [[ $out == *"lonely.cert has no key"*"lonely.key"* ]]
	ok $? "a .cert without its .key is refused by name ($out)"

	run verbose env SSL_CERT_FILE="$CNB_TEST_REGISTRY_CA" "$cnb" copy -v "docker://$reg/tls/cert-file:v1" oci:"$work/v:v1"
	[ $rc = 0 ] && [[ $out == *"registry $reg: https://$reg"* ]] && [[ $out != *"http://$reg"* ]]
	ok $? "a TLS registry on loopback is spoken to over HTTPS, never plain HTTP"
else
	certs_d "$work/certs.d" "$reg" "$CNB_TEST_REGISTRY_CA"
	run no-client env CNB_CERTS_D="$work/certs.d" "$cnb" inspect "docker://$reg/tls/none:v1"
	[ $rc = 3 ] && [[ $out == *"registry $reg wants a client certificate"* ]] &&
		[[ $out == *"$work/certs.d/$reg/"* ]] && [[ $out != *"only speaks HTTP"* ]]
	ok $? "mutual TLS without a client certificate: says a client certificate is wanted and where ($out)"

	cp "$CNB_TEST_CLIENT_CERT" "$work/client.cert"
	cp "$CNB_TEST_CLIENT_KEY" "$work/client.key"
	certs_d "$work/certs.d" "$reg" "$CNB_TEST_REGISTRY_CA" "$work/client.cert" "$work/client.key"
	roundtrip mtls CNB_CERTS_D="$work/certs.d"
	ok $? "mutual TLS with certs.d/HOST:PORT/client.cert + client.key and ca.crt: push and pull"

	certs_d "$work/certs.d" "$reg" "$work/client.cert" "$work/client.key"
	roundtrip mtls-env CNB_CERTS_D="$work/certs.d" SSL_CERT_FILE="$CNB_TEST_REGISTRY_CA"
	ok $? "mutual TLS: client pair from certs.d, CA from SSL_CERT_FILE"
fi
tap_done
