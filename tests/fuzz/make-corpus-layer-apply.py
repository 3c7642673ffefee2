#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_layer_apply: <flag byte><layer>[\\nCNB-NEXT-LAYER\\n<layer>...].
Flag bit 0: mapped-xattr form; bits 1-2: claimed media type (none, tar, tar+gzip, tar+zstd).
Seeds cover every entry type, compressions, whiteouts, and the escapes the target checks for
(through absolute and relative symlinks to the canaries, '..', hardlinks out of the tree)."""
import gzip, io, os, subprocess, sys, tarfile

SEP = b"\nCNB-NEXT-LAYER\n"
CANARY = "/tmp/cnb-fuzz-canary"
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus-layer-apply")


def tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            name, kind = e[0], e[1]
            arg = e[2] if len(e) > 2 else None
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            ti.mode = 0o755 if kind == "dir" else 0o644
            data = None
            if kind == "file":
                data = (arg or "content\n").encode()
                ti.size = len(data)
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
            elif kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, arg
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, arg
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
            elif kind == "chr":
                ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 1, 3
            elif kind == "xattr":
                data = b"x"
                ti.size = 1
                ti.pax_headers = {"SCHILY.xattr.user.test": "v", "SCHILY.xattr.user.virtfs.uid": "0",
                                  "SCHILY.xattr.security.capability": "c"}
            elif kind == "setuid":
                data = b"#!/bin/sh\n"
                ti.size, ti.mode, ti.uid, ti.gid = len(data), 0o4755, 1000, 1000
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def zstd(b):
    return subprocess.run(["zstd", "-q", "-c"], input=b, stdout=subprocess.PIPE, check=True).stdout


BASIC = [("etc", "dir"), ("etc/passwd", "file", "root:x:0:0::/root:/bin/sh\n"), ("bin", "dir"),
         ("bin/sh", "file", "#!"), ("bin/ash", "hard", "bin/sh"), ("usr/bin/env", "file"),
         ("lib", "sym", "usr/lib"), ("etc/abs", "sym", "/etc/passwd"), ("dev/null", "chr"), ("run/fifo", "fifo"),
         ("x", "xattr"), ("su", "setuid"), ("./a/./b//c", "file"), ("/rooted", "file"), ("", "dir")]

seeds = {
    "basic-real": (0, [tar(BASIC)]),
    "basic-mapped": (1, [tar(BASIC)]),
    "basic-gzip": (4, [gzip.compress(tar(BASIC), mtime=0)]),
    "basic-zstd-mapped": (7, [zstd(tar(BASIC))]),
    "whiteouts": (1, [tar(BASIC + [("keep", "dir"), ("keep/a", "file"), ("gone", "dir"), ("gone/b", "file")]),
                      tar([("gone/.wh..wh..opq", "file", ""), ("gone/new", "file"), ("etc/.wh.passwd", "file", ""),
                           ("keep/.wh.a", "file", ""), (".wh.nothing", "file", "")])]),
    "whiteout-dotdot": (0, [tar([("a", "dir"), ("a/f", "file"), ("a/.wh..", "file", "")])]),
    "whiteout-dotdot-root": (1, [tar([(".wh..", "file", "")])]),
    "whiteout-dot": (1, [tar([("d/f", "file"), ("d/.wh..", "file", "")])]),
    "whiteout-hides-dotdot": (0, [tar([("a/f", "file"), ("a/.wh...", "file", "")])]),
    "whiteout-hides-dotdot-root": (1, [tar([(".wh...", "file", "")])]),
    "escape-abs-symlink": (1, [tar([("esc", "sym", CANARY), ("esc/file", "file", "pwned"), ("esc/dir/new", "file")])]),
    "escape-abs-symlink-real": (0, [tar([("esc", "sym", CANARY + "/dir"), ("esc/inner", "file", "pwned")])]),
    "escape-rel-symlink": (0, [tar([("up", "sym", "../canary"), ("up/file", "file", "pwned"), ("up/new", "dir")])]),
    "escape-two-layers": (1, [tar([("esc", "sym", CANARY)]), tar([("esc/file", "file", "pwned"), ("esc/.wh.file", "file", "")])]),
    "escape-symlink-dir-replace": (0, [tar([("d", "dir"), ("d/x", "file")]), tar([("d", "sym", "../canary"), ("d/x", "file", "pwned")])]),
    "escape-dotdot": (0, [tar([("../canary/file", "file", "pwned")])]),
    "escape-hardlink": (0, [tar([("h", "hard", "../canary/file"), ("h2", "hard", CANARY + "/file")])]),
    "escape-hardlink-via-symlink": (1, [tar([("s", "sym", CANARY), ("h", "hard", "s/file")])]),
    "escape-root-symlink": (0, [tar([(".", "sym", CANARY), ("file", "file", "pwned")])]),
    "escape-whiteout-through-symlink": (0, [tar([("s", "sym", CANARY), ("s/.wh.file", "file", ""), ("s/.wh..wh..opq", "file", "")])]),
    "replace-file-with-dir": (1, [tar([("p", "file"), ("p", "dir"), ("p/q", "file"), ("p", "file")])]),
    "hardlink-chain": (0, [tar([("a", "file"), ("b", "hard", "a"), ("c", "hard", "b"), ("a", "hard", "a"), ("d", "hard", "missing")])]),
    "empty": (2, [b""]),
}

os.makedirs(out, exist_ok=True)
for name, (flags, layers) in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([flags]) + SEP.join(layers))
