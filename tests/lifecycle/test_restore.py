#!/usr/bin/env python3
"""Integration test of `cnb-lifecycle restore` on the host, no VM: a real round trip. A fake
previous build is exported with `cnb-lifecycle export -cache`; this script plays the host
(docs/cache-protocol.md: hashes, analyzed.toml [metadata], cache.json, <hex>.tar); then a fresh
<layers> is restored, every phase running as uid 1000 through setpriv."""
import hashlib, io, json, os, shutil, subprocess, sys, tarfile, tempfile, tomllib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import done, ok, write  # noqa: E402

LC = sys.argv[1]


def chown_r(path):
    for d, dirs, files in os.walk(path):
        for x in [d] + [os.path.join(d, f) for f in dirs + files]:
            os.lchown(x, 1000, 1000)


def run(*argv, api="0.15"):
    env = {"PATH": "/usr/bin:/bin", "CNB_PLATFORM_API": api}
    return subprocess.run(["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", LC, *argv], env=env,
                          capture_output=True, text=True)


def toml_value(v):
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items() if x is not None) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v if x is not None) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v)


GROUP = ('[[group]]\nid = "examples/shell"\nversion = "0.1.0"\napi = "0.10"\n\n'
         '[[group]]\nid = "other"\nversion = "2.0"\napi = "0.12"\n')


def previous_build(root):
    layers = f"{root}/layers"
    write(f"{layers}/group.toml", GROUP)
    write(f"{layers}/config/metadata.toml", '[[buildpacks]]\nid = "examples/shell"\nversion = "0.1.0"\napi = "0.10"\n')
    bp = f"{layers}/examples_shell"
    write(f"{bp}/launch-only.toml", '[types]\nlaunch = true\n[metadata]\nv = "1"\n')
    write(f"{bp}/launch-only/bin/x", "x", 0o755)
    write(f"{bp}/deps.toml", '[types]\ncache = true\n[metadata]\nkey = "v1"\n')
    write(f"{bp}/deps/cached", "cached")
    write(f"{bp}/deps/bin/tool", "#!/bin/sh\n", 0o750)
    os.symlink("../cached", f"{bp}/deps/bin/link")
    write(f"{bp}/both.toml", '[types]\nlaunch = true\ncache = true\n[metadata]\nb = 1\n')
    write(f"{bp}/both/data.txt", "both")
    write(f"{bp}/stale.toml", '[types]\nlaunch = true\ncache = true\n')
    write(f"{bp}/stale/f", "stale")
    write(f"{bp}/corrupt.toml", '[types]\ncache = true\n')
    write(f"{bp}/corrupt/f", "c")
    write(f"{bp}/build-launch.toml", '[types]\nbuild = true\nlaunch = true\n')
    write(f"{bp}/build-launch/f", "bl")
    write(f"{bp}/store.toml", '[metadata]\ncount = 2\n')
    write(f"{layers}/other/launch-cache-new.toml", '[types]\nlaunch = true\ncache = true\n[metadata]\nn = "new"\n')
    write(f"{layers}/other/launch-cache-new/f", "new")
    # the SBOMs the build phase copied under <layers>/sbom (per-layer: buildpack.md "Bill of Materials")
    write(f"{layers}/sbom/launch/examples_shell/launch-only/sbom.cdx.json", '{"launch":"only"}')
    write(f"{layers}/sbom/cache/examples_shell/deps/sbom.syft.json", '{"cached":"deps"}')
    write(f"{root}/workspace/app.sh", "app")
    write(f"{root}/launcher", "#!/bin/sh\n", 0o755)
    chown_r(root)
    r = run("export", "-layers", layers, "-app", f"{root}/workspace", "-launcher", f"{root}/launcher",
            "-out", f"{root}/out", "-cache", "-uid", "1000", "-gid", "1000")
    ok(r.returncode == 0, f"export -cache of the previous build: {r.stderr.strip()}")
    return json.load(open(f"{root}/out/export.json"))


def host_side(root, export):
    """What lib/platform does between two builds: hash, label → analyzed.toml, cache dir."""
    sha = {}
    for kind in ("layers", "cache"):
        for f in os.listdir(f"{root}/out/{kind}"):
            sha[f"{kind}/{f}"] = "sha256:" + hashlib.sha256(open(f"{root}/out/{kind}/{f}", "rb").read()).hexdigest()

    def resolve(v):
        if isinstance(v, dict):
            return {k: resolve(x) for k, x in v.items()}
        if isinstance(v, list):
            return [resolve(x) for x in v]
        return sha[v[5:]] if isinstance(v, str) and v.startswith("file:") else v

    label = resolve(export["lifecycle_metadata"])
    cache = {"buildpacks": []}
    os.makedirs(f"{root}/cache-in")
    # the previous image's SBOM layer, staged for the restorer (lib/platform/analyzed-file.c)
    sbom_layer = [l["file"] for l in export["layers"] if l["id"] == "buildpacksio/lifecycle:launch.sbom"]
    ok(len(sbom_layer) == 1 and label["sbom"]["sha"] == sha[sbom_layer[0]], "the launch SBOM layer is exported")
    shutil.copy(f"{root}/out/{sbom_layer[0]}", f"{root}/cache-in/sbom-launch.tar")
    for c in export["cache"]:
        s = sha[c["file"]]
        shutil.copy(f"{root}/out/{c['file']}", f"{root}/cache-in/{s[7:]}.tar")
        if c.get("sbom"):
            cache["sbom"] = {"sha": s}
            continue
        bps = [b for b in cache["buildpacks"] if b["key"] == c["buildpack"]]
        if not bps:
            cache["buildpacks"].append({"key": c["buildpack"], "version": "x", "layers": {}})
            bps = cache["buildpacks"][-1:]
        bps[0]["layers"][c["layer"]] = {"sha": s, "data": c["data"], "launch": c["launch"], "build": c["build"],
                                        "cache": c["cache"]}
    return label, cache


def new_layers(root, label, cache, cache_text=None):
    layers = f"{root}/layers"
    shutil.rmtree(layers)
    write(f"{layers}/group.toml", GROUP)
    if label is not None:
        write(f"{layers}/analyzed.toml", "metadata = " + toml_value(label) + "\n")
    if cache is not None or cache_text is not None:
        write(f"{root}/cache-in/cache.json", cache_text if cache_text is not None else json.dumps(cache))
    elif os.path.exists(f"{root}/cache-in/cache.json"):
        os.unlink(f"{root}/cache-in/cache.json")
    chown_r(root)
    return layers


def restore(root, *extra, api="0.15"):
    return run("restore", "-layers", f"{root}/layers", "-cache-dir", f"{root}/cache-in", *extra, api=api)


def load(path):
    return tomllib.load(open(path, "rb")) if os.path.exists(path) else None


def outside(root):
    """Every path under root except <layers>, with its content: the restorer must not change them."""
    seen = {}
    for d, dirs, files in os.walk(root):
        if d.startswith(f"{root}/layers"):
            continue
        for f in files:
            p = os.path.join(d, f)
            seen[p] = open(p, "rb").read() if not os.path.islink(p) else os.readlink(p)
    return seen


def main():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("1..0 # SKIP needs root and setpriv to run as uid 1000")
        return 0
    root = tempfile.mkdtemp(prefix="cnb-restore-")
    os.chmod(root, 0o755)
    try:
        export = previous_build(root)
        label, cache = host_side(root, export)
        by_name = {(b["key"]): b for b in cache["buildpacks"]}
        shell = by_name["examples/shell"]["layers"]
        ok(set(shell) == {"deps", "both", "stale", "corrupt"}, f"cache layers exported: {sorted(shell)}")
        # the cache's stale layer differs from the image's (a tar exists under the other name)
        other = "sha256:" + "0" * 64
        shutil.copy(f"{root}/cache-in/{shell['stale']['sha'][7:]}.tar", f"{root}/cache-in/{other[7:]}.tar")
        shell["stale"]["sha"] = other
        with open(f"{root}/cache-in/{shell['corrupt']['sha'][7:]}.tar", "wb") as f:
            f.write(b"not a tar" * 100)
        # launch+cache layer of "other" absent from the image: restored from the cache only for Platform >= 0.14
        for b in label["buildpacks"]:
            if b["key"] == "other":
                b["layers"].pop("launch-cache-new", None)

        layers = new_layers(root, label, cache)
        before = outside(root)
        r = restore(root)
        ok(r.returncode == 0, f"restore exits 0: {r.stderr.strip()}")
        bp = f"{layers}/examples_shell"
        ok(load(f"{bp}/launch-only.toml") == {"metadata": {"v": "1"}},
           f"launch-only: metadata only, no [types]: {load(f'{bp}/launch-only.toml')}")
        ok(not os.path.exists(f"{bp}/launch-only"), "launch-only: no contents")
        ok(load(f"{bp}/deps.toml") == {"metadata": {"key": "v1"}}, "cache-only layer: metadata from the cache")
        ok(open(f"{bp}/deps/cached").read() == "cached", "cache-only layer: contents")
        ok(os.readlink(f"{bp}/deps/bin/link") == "../cached", "cache-only layer: symlink")
        ok(os.stat(f"{bp}/deps/bin/tool").st_mode & 0o7777 == 0o750, "cache-only layer: file mode kept")
        ok(os.stat(f"{bp}/deps/cached").st_uid == 1000, "restored files belong to the CNB user")
        ok(load(f"{bp}/both.toml") == {"metadata": {"b": 1}} and open(f"{bp}/both/data.txt").read() == "both",
           "launch+cache layer with equal shas: metadata and contents")
        ok(not os.path.exists(f"{bp}/stale") and not os.path.exists(f"{bp}/stale.toml"),
           "launch+cache layer whose cache sha differs: neither metadata nor contents")
        ok(not os.path.exists(f"{bp}/corrupt") and not os.path.exists(f"{bp}/corrupt.toml"),
           "corrupt cache tar: nothing restored")
        ok("corrupt" in r.stderr, f"corrupt cache tar: a warning: {r.stderr.strip()}")
        ok(not os.path.exists(f"{bp}/build-launch.toml"), "launch+build (no cache): nothing")
        ok(load(f"{bp}/store.toml") == {"metadata": {"count": 2}}, "store.toml from the image metadata")
        ok(open(f"{bp}/store.toml").read() == "[metadata]\ncount = 2\n", "store.toml: no leading blank line")
        ok(open(f"{layers}/other/launch-cache-new/f").read() == "new" and
           load(f"{layers}/other/launch-cache-new.toml") == {"metadata": {"n": "new"}},
           "Platform 0.15: launch+cache layer absent from the image restored from the cache")
        ok(open(f"{bp}/launch-only.sbom.cdx.json").read() == '{"launch":"only"}',
           "a launch layer's SBOM comes back from the previous image's SBOM layer")
        ok(open(f"{bp}/deps.sbom.syft.json").read() == '{"cached":"deps"}',
           "a cache layer's SBOM comes back from the cache's SBOM layer")
        ok(not os.path.exists(f"{layers}/sbom"), "<layers>/sbom is removed again")
        ok(outside(root) == before, "nothing written outside <layers>")

        new_layers(root, label, cache)
        r = restore(root, api="0.13")
        ok(r.returncode == 0 and not os.path.exists(f"{layers}/other/launch-cache-new"),
           "Platform 0.13: launch+cache layer absent from the image is not restored")

        # --clear-cache: platform.md "restorer" <skip-layers>, "creator" <skip-restore>: store.toml only
        new_layers(root, label, cache)
        r = restore(root, "-skip-layers")
        ok(r.returncode == 0 and load(f"{bp}/store.toml") == {"metadata": {"count": 2}},
           f"-skip-layers: store.toml still restored ({r.stderr.strip()})")
        ok(sorted(os.listdir(bp)) == ["store.toml"] and sorted(os.listdir(f"{layers}/other")) == [] and
           not os.path.exists(f"{layers}/sbom"),
           f"-skip-layers: no layer metadata nor contents: {sorted(os.listdir(bp))}")
        new_layers(root, label, cache)
        r = restore(root, "-skip-layers=false")
        ok(r.returncode == 0 and os.path.exists(f"{bp}/deps/cached"), "-skip-layers=false restores layers")

        new_layers(root, label, None, cache_text="{not json")
        r = restore(root)
        ok(r.returncode == 0, f"corrupt cache.json: exit 0 ({r.stderr.strip()})")
        ok("cache" in r.stderr and load(f"{bp}/launch-only.toml") == {"metadata": {"v": "1"}}
           and not os.path.exists(f"{bp}/deps"), "corrupt cache.json: a warning, image metadata still restored")

        # a cache tar that tries to escape <layers>
        evil = io.BytesIO()
        with tarfile.open(fileobj=evil, mode="w", format=tarfile.USTAR_FORMAT) as t:
            data = b"pwned"
            ti = tarfile.TarInfo(f"{bp}/deps/../../../escaped")
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        with open(f"{root}/cache-in/{shell['deps']['sha'][7:]}.tar", "wb") as f:
            f.write(evil.getvalue())
        new_layers(root, label, cache)
        r = restore(root)
        ok(r.returncode == 0 and not os.path.exists(f"{root}/escaped") and not os.path.exists(f"{bp}/deps")
           and not os.path.exists(f"{bp}/deps.toml"), f"hostile cache tar: refused, warning only ({r.stderr.strip()})")

        new_layers(root, None, None)
        r = restore(root)
        ok(r.returncode == 0 and sorted(os.listdir(layers)) == ["group.toml"],
           "no analyzed.toml, no cache.json: nothing to restore")

        r = subprocess.run([LC, "restore", "-layers", layers], capture_output=True, text=True,
                           env={"CNB_PLATFORM_API": "0.15"})
        ok(r.returncode != 0 and "root" in r.stderr, "refuses to run as root")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return done()


sys.exit(main())
