#!/usr/bin/env python3
"""A docker token server for tests (distribution's token auth protocol), stdlib only.

GET /token?service=S&scope=repository:NAME:ACTIONS... with optional basic auth.
Valid credentials get every action they ask for; anonymous requests get none; wrong credentials get 401.
Tokens are RS256 JWTs signed by `openssl dgst` with the key whose self-signed certificate the
registry trusts (rootcertbundle); the certificate travels in the x5c header.
Every request is appended to --log as "user scope..." so tests can count token fetches.
"""
import argparse, base64, http.server, json, os, subprocess, sys, time, urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--expires", type=int, default=300)
    args = ap.parse_args()
    pem = open(args.cert).read()
    der = base64.b64decode("".join(l for l in pem.splitlines() if l and not l.startswith("-----")))
    header = b64url(json.dumps({"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}).encode())

    def sign(claims):
        payload = header + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.key], input=payload.encode(),
                             capture_output=True, check=True).stdout
        return payload + "." + b64url(sig)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            q = urllib.parse.parse_qs(url.query)
            user = ""
            auth = self.headers.get("Authorization", "")
            if auth:
                try:
                    user, _, password = base64.b64decode(auth.split(" ", 1)[1]).decode().partition(":")
                except Exception:
                    user, password = "", None
                if user != args.user or password != args.password:
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}')
                    return
            scopes = q.get("scope", [])
            with open(args.log, "a") as f:
                f.write("%s %s\n" % (user or "-", " ".join(scopes)))
            access = []
            if user:
                for s in scopes:
                    parts = s.split(":")
                    if len(parts) >= 3 and parts[0] == "repository":
                        access.append({"type": "repository", "name": ":".join(parts[1:-1]),
                                       "actions": parts[-1].split(",")})
            now = int(time.time())
            token = sign({"iss": args.issuer, "sub": user, "aud": q.get("service", [args.service])[0],
                          "exp": now + args.expires, "nbf": now - 10, "iat": now,
                          "jti": b64url(os.urandom(12)), "access": access})
            body = json.dumps({"token": token, "access_token": token, "expires_in": args.expires}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
