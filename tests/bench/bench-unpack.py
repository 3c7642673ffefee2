#!/usr/bin/env python3
"""Benchmark: assembling a >= 200 MB, 6-layer gzip image into the rootfs cache (cold, then warm)
against `umoci unpack` of the same OCI layout. Usage: bench-unpack.py CNB_EXE"""
import gzip, hashlib, io, json, os, random, shutil, subprocess, sys, tarfile, tempfile, time

cnb = os.path.abspath(sys.argv[1])
if os.geteuid() != 0 or not shutil.which("umoci"):
    print("1..0 # SKIP needs root and umoci")
    sys.exit(77)
work = tempfile.mkdtemp(prefix="cnb-bench-unpack-", dir="/var/tmp")
layout = os.path.join(work, "layout")
os.makedirs(os.path.join(layout, "blobs/sha256"))
rnd = random.Random(4)
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(layout, "blobs/sha256", h), "wb").write(data)
    return "sha256:" + h, len(data)
descs, diff_ids, raw_total = [], [], 0
word = [bytes(rnd.getrandbits(8) for _ in range(64)) for _ in range(256)]
for li in range(6):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for fi in range(1500):
            # content from 64-byte words (gzip ~2x), files of 1 KB to 128 KB: a /usr-like mix
            n = rnd.choice([1, 4, 16, 32, 64, 128]) * 16
            data = b"".join(rnd.choice(word) for _ in range(n))
            ti = tarfile.TarInfo("usr/lib/l%d/d%d/f%d" % (li, fi % 40, fi))
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 1700000000
            t.addfile(ti, io.BytesIO(data))
    raw = buf.getvalue()
    raw_total += len(raw)
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    d, s = blob(gzip.compress(raw, 1))
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s})
cd, cs = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode())
md, ms = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs}, "layers": descs}).encode())
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
    "annotations": {"org.opencontainers.image.ref.name": "b"}}]}, open(os.path.join(layout, "index.json"), "w"))
open(os.path.join(layout, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
print("# image: 6 layers, %.0f MB uncompressed" % (raw_total / 1e6))

def timed(argv):
    env = dict(os.environ, CNB_CACHE_DIR=os.path.join(work, "cache"))
    subprocess.run(["sync"])
    t = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, env=env)
    dt = time.monotonic() - t
    if p.returncode:
        print("# %s failed: %s" % (argv, p.stderr))
    return dt, p.returncode
umoci_t, r1 = timed(["umoci", "unpack", "--image", layout + ":b", os.path.join(work, "bundle")])
cold_t, r2 = timed([cnb, "cache", "add", "oci:" + layout + ":b"])
warm_t, r3 = timed([cnb, "cache", "add", "oci:" + layout + ":b"])
unpack_t, r4 = timed([cnb, "unpack", "oci:" + layout + ":b", os.path.join(work, "plain")])
mapped_t, r5 = timed([cnb, "unpack", "--mapped-xattr", "oci:" + layout + ":b", os.path.join(work, "mapped")])
print("# umoci unpack            %6.2f s" % umoci_t)
print("# cnb cache add (cold)    %6.2f s  (ratio cnb/umoci %.2f; includes syncfs)" % (cold_t, cold_t / umoci_t))
print("# cnb cache add (warm)    %6.3f s" % warm_t)
print("# cnb unpack (real)       %6.2f s  (ratio %.2f)" % (unpack_t, unpack_t / umoci_t))
print("# cnb unpack (mapped)     %6.2f s  (ratio %.2f)" % (mapped_t, mapped_t / umoci_t))
ok = raw_total >= 200e6 and not (r1 or r2 or r3 or r4 or r5)
print("%s 1 - unpack benchmark ran on a >= 200 MB image" % ("ok" if ok else "not ok"))
print("1..1")
shutil.rmtree(work)
sys.exit(0 if ok else 1)
