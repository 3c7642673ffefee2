#!/usr/bin/env python3
"""Unpacks one multi-layer image with `cnb unpack` (real and mapped-xattr, the latter also as an
unprivileged user) and with `umoci unpack`, and compares the trees entry by entry as the guest
sees them. Usage: test-rootfs-vs-umoci.py CNB_EXE"""
import gzip, hashlib, io, json, os, shutil, stat, subprocess, sys, tarfile, tempfile

cnb = os.path.abspath(sys.argv[1])
if os.geteuid() != 0 or not shutil.which("umoci"):
    print("1..0 # SKIP needs root and umoci (the reference tree has real owners)")
    sys.exit(77)
n = 0
failed = 0
def ok(cond, what):
    global n, failed
    n += 1
    failed += not cond
    print(("ok" if cond else "not ok"), n, "-", what, flush=True)

def tar_layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.type = e.get("type", tarfile.REGTYPE)
            ti.mode = e.get("mode", 0o644)
            ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
            ti.mtime = 1700000000
            ti.linkname = e.get("link", "")
            ti.devmajor, ti.devminor = e.get("dev", (0, 0))
            data = e.get("data", b"")
            ti.size = len(data) if ti.type == tarfile.REGTYPE else 0
            t.addfile(ti, io.BytesIO(data) if ti.size else None)
    return buf.getvalue()

D, L, S, H, C, F = tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE
long = "d/" + "x" * 200 + "/" + "y" * 150
layers = [
    [dict(name="etc", type=D, mode=0o755), dict(name="etc/shadow", mode=0o640, gid=42, data=b"root:*:\n"),
     dict(name="home", type=D, mode=0o755), dict(name="home/app", type=D, mode=0o750, uid=1000, gid=1000),
     dict(name="home/app/f", mode=0o600, uid=1000, gid=1000, data=b"app\n"),
     dict(name="usr/bin/sudo", mode=0o4755, data=b"#!/bin/sudo\n"), dict(name="usr/bin/sudoedit", type=H, link="usr/bin/sudo"),
     dict(name="bin", type=S, link="usr/bin"), dict(name="usr/bin/l1", type=S, link="l2"),
     dict(name="usr/bin/l2", type=S, link="/usr/bin/sudo"),
     dict(name="dev", type=D, mode=0o755), dict(name="dev/null", type=C, mode=0o666, dev=(1, 3)),
     dict(name="dev/initctl", type=F, mode=0o600),
     dict(name="var/lib/old", data=b"old\n"), dict(name="var/cache/a", data=b"a\n"), dict(name="var/cache/sub/b", data=b"b\n"),
     dict(name=long, data=b"long name\n")],
    [dict(name="var/lib/.wh.old"), dict(name="var/cache/.wh..wh..opq"), dict(name="var/cache/new", data=b"new\n"),
     dict(name="etc/motd", mode=0o644, uid=1000, data=b"hello\n"), dict(name="usr/bin/gone", data=b"x")],
    [dict(name="usr/bin/.wh.gone"), dict(name="etc/shadow", mode=0o640, gid=42, data=b"root:!:\n"),
     dict(name="usr/bin/sudo2", type=H, link="usr/bin/sudo")],
]

work = tempfile.mkdtemp(prefix="cnb-vs-umoci-")
os.chmod(work, 0o755)
layout = os.path.join(work, "layout")
os.makedirs(os.path.join(layout, "blobs/sha256"))
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs/sha256", h), "wb") as f:
        f.write(data)
    return "sha256:" + h, len(data)
descs, diff_ids = [], []
for i, entries in enumerate(layers):
    raw = tar_layer(entries)
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    data = gzip.compress(raw) if i != 1 else raw
    d, size = blob(data)
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if i != 1 else ""), "digest": d, "size": size})
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
cd, cs = blob(cfg)
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
                  "layers": descs}).encode()
md, ms = blob(man)
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
               "size": ms, "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}, f)
with open(os.path.join(layout, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
for root, dirs, files in os.walk(work):
    for x in dirs + files:
        os.chmod(os.path.join(root, x), 0o755)

def run(argv, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, **kw)
    if p.returncode:
        print("# %s: %d\n# %s" % (" ".join(argv), p.returncode, p.stderr.strip().replace("\n", "\n# ")))
    return p.returncode

def xattr32(p, name, size=4):
    v = os.getxattr(p, "user.virtfs." + name, follow_symlinks=False)
    return int.from_bytes(v[:size], "little") if len(v) == size else None

def scan(top, mapped):
    out = {}
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            p = os.path.join(root, name)
            rel = os.path.relpath(p, top)
            st = os.lstat(p)
            if mapped:
                mode, uid, gid = xattr32(p, "mode"), xattr32(p, "uid"), xattr32(p, "gid")
                rdev = xattr32(p, "rdev", 8) if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else 0
                link = open(p).read() if stat.S_ISLNK(mode) else None
            else:
                mode, uid, gid, rdev = st.st_mode, st.st_uid, st.st_gid, st.st_rdev if not stat.S_ISREG(st.st_mode) else 0
                link = os.readlink(p) if stat.S_ISLNK(mode) else None
            reg = stat.S_ISREG(mode)
            digest = hashlib.sha256(open(p, "rb").read()).hexdigest() if reg else None
            out[rel] = dict(type=stat.S_IFMT(mode), perm=oct(stat.S_IMODE(mode)) if not stat.S_ISLNK(mode) else "lnk",
                            uid=uid, gid=gid, size=st.st_size if reg else None, sha=digest, link=link, rdev=rdev)
    return out

def compare(label, ours, ref):
    ok(sorted(ours) == sorted(ref), "%s: same entries (%d)" % (label, len(ref)))
    for k in sorted(set(ours) ^ set(ref)):
        print("#   only in %s: %s" % ("ours" if k in ours else "umoci", k))
    diff = [k for k in ref if k in ours and ours[k] != ref[k]]
    ok(not diff, "%s: type, mode, owner, size, content, link target and device match entry by entry" % label)
    for k in diff[:10]:
        print("#   %s\n#     ours  %s\n#     umoci %s" % (k, ours[k], ref[k]))

bundle = os.path.join(work, "umoci-bundle")
ok(run(["umoci", "unpack", "--image", layout + ":v1", bundle]) == 0, "umoci unpack")
ref = scan(os.path.join(bundle, "rootfs"), False)
ok(ref.get("var/cache/new") and "var/cache/a" not in ref and "var/lib/old" not in ref and "usr/bin/gone" not in ref,
   "the reference tree has whiteouts and an opaque directory applied")

real = os.path.join(work, "real")
ok(run([cnb, "unpack", "--real", "oci:" + layout + ":v1", real]) == 0, "cnb unpack --real")
compare("real", scan(real, False), ref)
st1, st2 = os.lstat(os.path.join(real, "usr/bin/sudo")), os.lstat(os.path.join(real, "usr/bin/sudo2"))
ok(st1.st_ino == st2.st_ino and st1.st_nlink == 3, "hardlinks share one inode (3 links)")

mapped = os.path.join(work, "mapped")
ok(run([cnb, "unpack", "--mapped-xattr", "oci:" + layout + ":v1", mapped]) == 0, "cnb unpack --mapped-xattr (as root)")
compare("mapped as root", scan(mapped, True), ref)

# The unprivileged path: the same command as nobody, in a directory nobody can write.
userdir = os.path.join(work, "user")
os.mkdir(userdir)
os.chown(userdir, 65534, 65534)
asuser = os.path.join(userdir, "tree")
env = dict(os.environ, HOME=userdir, XDG_CACHE_HOME=os.path.join(userdir, "cache"))
ok(run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", cnb, "unpack", "oci:" + layout + ":v1", asuser], env=env) == 0,
   "cnb unpack as an unprivileged user (mapped-xattr by default)")
tree = scan(asuser, True)
compare("mapped as nobody", tree, ref)
ok(all(os.lstat(os.path.join(asuser, k)).st_uid == 65534 for k in tree), "every host file belongs to the unprivileged user")
ok(not any(os.lstat(os.path.join(asuser, k)).st_mode & (stat.S_ISUID | stat.S_ISGID) for k in tree), "no real setuid bits on the host")
ok(run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", cnb, "unpack", "--real", "oci:" + layout + ":v1",
        os.path.join(userdir, "t2")], env=env) != 0, "--real as an unprivileged user is refused")

# The cache: assemble twice (second is a hit), list, prune.
cache = os.path.join(work, "cache")
cenv = dict(os.environ, CNB_CACHE_DIR=cache)
p1 = subprocess.run([cnb, "cache", "add", "--mapped-xattr", "oci:" + layout + ":v1"], capture_output=True, text=True, env=cenv)
p2 = subprocess.run([cnb, "cache", "add", "--mapped-xattr", "oci:" + layout + ":v1"], capture_output=True, text=True, env=cenv)
path = p1.stdout.strip()
ok(p1.returncode == 0 and path == p2.stdout.strip() and path.endswith("-mapped"), "cache add twice gives one tree: %s" % path)
chain = diff_ids[0]
for d in diff_ids[1:]:
    chain = "sha256:" + hashlib.sha256((chain + " " + d).encode()).hexdigest()
ok(os.path.basename(path) == chain[7:] + "-mapped", "the tree is named by the OCI chain id")
if path:
    compare("cached tree", scan(path, True), ref)
ls = subprocess.run([cnb, "cache", "ls"], capture_output=True, text=True, env=cenv).stdout
ok(chain[7:26] in ls and "mapped" in ls, "cache ls lists it")
ok(run([cnb, "cache", "prune", "--older-than", "1"], env=cenv) == 0 and os.path.isdir(path), "prune --older-than 1 keeps a fresh tree")
ok(run([cnb, "cache", "prune", "--all"], env=cenv) == 0 and not os.path.exists(path), "prune --all removes it")

shutil.rmtree(work)
print("1..%d" % n)
sys.exit(1 if failed else 0)
