#!/usr/bin/env python3
"""An HTTP proxy in front of a test registry that misbehaves on purpose, stdlib only.

  fault-proxy.py UPSTREAM_HOST:PORT PORT_FILE
Forwards everything to UPSTREAM, except:
  - the first GET of each blob larger than 64 KiB is cut after half its bytes (connection closed
    mid-body), so clients must resume (Range) or restart;
  - GET /v2/huge/.../manifests/... answers a 5 MiB JSON document (over any sane manifest limit);
  - GET /v2/malformed/.../manifests/... answers "{not json" as an OCI manifest.
"""
import http.client, http.server, os, sys

upstream, port_file = sys.argv[1], sys.argv[2]
cut_done = set()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, ctype, body):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self):
        if self.path.startswith("/v2/huge/") and "/manifests/" in self.path:
            return self.reply(200, "application/vnd.oci.image.manifest.v1+json",
                              b'{"schemaVersion":2,"x":"' + b"a" * (5 << 20) + b'"}')
        if self.path.startswith("/v2/malformed/") and "/manifests/" in self.path:
            return self.reply(200, "application/vnd.oci.image.manifest.v1+json", b"{not json")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        cut = (self.command == "GET" and "/blobs/sha256:" in self.path and resp.status == 200
               and len(data) > 65536 and self.path not in cut_done)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        if cut:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            if cut:
                cut_done.add(self.path)
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
