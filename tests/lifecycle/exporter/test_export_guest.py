#!/usr/bin/env python3
"""Integration test of `cnb-lifecycle export` (guest half) on the host, no VM: a fake <layers> and
<app>, checked against docs/export-protocol.md with GNU tar."""
import json, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from tap import done, ok, write  # noqa: E402

DRIVER = sys.argv[1]
PREV_SHA = "sha256:" + "ab" * 32


def fixture(root):
    layers, app = os.path.join(root, "layers"), os.path.join(root, "workspace")
    write(f"{layers}/group.toml", '[[group]]\nid = "examples/shell"\nversion = "0.1.0"\napi = "0.10"\n'
          'homepage = "https://example.com"\n\n[[group]]\nid = "other"\nversion = "2.0"\napi = "0.12"\n')
    write(f"{layers}/config/metadata.toml", 'buildpack-default-process-type = "web"\n'
          '[[buildpacks]]\nid = "examples/shell"\nversion = "0.1.0"\napi = "0.10"\n'
          '[[labels]]\nkey = "org.example.a"\nvalue = "1"\n[[labels]]\nkey = "org.example.a"\nvalue = "2"\n'
          '[[processes]]\ntype = "web"\ncommand = ["./run.sh"]\nargs = ["--port", "8080"]\ndirect = true\n'
          'buildpack-id = "examples/shell"\n'
          '[[processes]]\ntype = "worker"\ncommand = ["./work.sh"]\nargs = []\ndirect = true\nbuildpack-id = "other"\n'
          '[[slices]]\npaths = ["public/*", "*.md"]\n[[slices]]\npaths = ["lib"]\n')
    bp = f"{layers}/examples_shell"
    write(f"{bp}/runtime.toml", '[types]\nlaunch = true\n[metadata]\nversion = "1.2"\nn = 3\n')
    write(f"{bp}/runtime/bin/tool", "#!/bin/sh\necho tool\n", 0o755)
    os.symlink("tool", f"{bp}/runtime/bin/alias")
    write(f"{bp}/build-only.toml", '[types]\nbuild = true\n')
    write(f"{bp}/build-only/x", "x")
    write(f"{bp}/deps.toml", '[types]\ncache = true\n[metadata]\nkey = "v1"\n')
    write(f"{bp}/deps/cached", "cached")
    write(f"{bp}/launch.toml", '[[labels]]\nkey = "org.example.a"\nvalue = "1"\n[[slices]]\npaths = ["public/*"]\n')
    write(f"{bp}/store.toml", '[metadata]\ncount = 2\n')
    ob = f"{layers}/other"
    write(f"{ob}/both.toml", '[types]\nlaunch = true\ncache = true\n')
    write(f"{ob}/both/data.txt", "both")
    write(f"{ob}/kept.toml", '[types]\nlaunch = true\n[metadata]\nold = true\n')  # no dir: reused
    write(f"{layers}/analyzed.toml", '[metadata]\n[[metadata.buildpacks]]\nkey = "other"\nversion = "1.0"\n'
          f'[metadata.buildpacks.layers.kept]\nsha = "{PREV_SHA}"\nlaunch = true\n')
    write(f"{app}/README.md", "readme")
    write(f"{app}/public/index.html", "<html>")
    write(f"{app}/public/css/site.css", "body{}")
    write(f"{app}/lib/a.sh", "a")
    write(f"{app}/lib-x/b", "b")
    write(f"{app}/src/main.sh", "main")
    write(f"{app}/src/docs/x.md", "nested md is not *.md")
    write(os.path.join(root, "launcher"), "#!/bin/sh\n", 0o755)
    return layers, app


def run(root, layers, app, out, *extra):
    env = dict(os.environ, CNB_PLATFORM_API="0.15", CNB_USER_ID="1000", CNB_GROUP_ID="1001")
    return subprocess.run([DRIVER, "-layers", layers, "-app", app, "-launcher", os.path.join(root, "launcher"),
                           "-out", out, *extra], env=env, capture_output=True, text=True)


def tar_list(path):
    r = subprocess.run(["tar", "--numeric-owner", "--full-time", "-tvf", path], capture_output=True, text=True,
                       check=True)
    rows = []
    for line in r.stdout.splitlines():
        perm, owner, _size, date, time_, name = line.split(None, 5)
        rows.append((name.split(" -> ")[0], perm, owner, date + " " + time_))
    return rows


def main():
    root = tempfile.mkdtemp(prefix="export-guest-")
    layers, app = fixture(root)
    out = os.path.join(root, "out")
    r = run(root, layers, app, out, "-cache")
    if not ok(r.returncode == 0, "export succeeds (stderr: %s)" % r.stderr.strip()):
        print("1..%d" % n)
        return 1
    with open(os.path.join(out, "export.json")) as f:
        doc = json.load(f)
    print("# export.json:\n# " + json.dumps(doc, indent=1).replace("\n", "\n# "))
    ids = [l["id"] for l in doc["layers"]]
    ok(ids == ["examples/shell:runtime", "other:both", "other:kept", "slice-1", "slice-2", "app",
               "buildpacksio/lifecycle:launcher", "buildpacksio/lifecycle:config",
               "buildpacksio/lifecycle:process-types"], "layers in the documented order: %s" % ids)
    kept = doc["layers"][2]
    ok(kept.get("reuse") == PREV_SHA and "file" not in kept, "launch-only layer without dir reused by sha")
    ok(doc["layers"][0]["created_by"] == "Layer: 'runtime', Created by buildpack: examples/shell@0.1.0",
       "created_by of a buildpack layer")
    files = [l["file"] for l in doc["layers"] if "file" in l]
    ok(files == ["layers/%03d.tar" % i for i in range(len(files))], "files numbered in order")
    ok(doc["env"] == ["CNB_LAYERS_DIR=" + layers, "CNB_APP_DIR=" + app, "CNB_PLATFORM_API=0.15",
                      "CNB_DEPRECATION_MODE=quiet"], "env")
    ok(doc["entrypoint"] == ["/cnb/process/web"] and doc["working_dir"] == app, "entrypoint, working dir")
    ok(doc["path_prefix"] == "/cnb/process:/cnb/lifecycle", "path prefix")
    labels = doc["labels"]
    ok(labels.get("org.example.a") == "2" and labels.get("io.buildpacks.exec-env") == "production",
       "buildpack labels (last wins), exec-env")
    bm = json.loads(labels["io.buildpacks.build.metadata"])
    ok([p["type"] for p in bm["processes"]] == ["web", "worker"] and bm["processes"][0]["buildpackID"] ==
       "examples/shell" and bm["buildpack-default-process-type"] == "web" and
       bm["buildpacks"][0] == {"id": "examples/shell", "version": "0.1.0", "homepage": "https://example.com"},
       "build metadata label")
    # byte shapes of the reference (Go's nil slices and `any`): args null when empty, given ones kept
    ok(bm["processes"][0]["args"] == ["--port", "8080"] and bm["processes"][1]["args"] is None,
       "build metadata: process args as given, null when empty (got %s)" % [p["args"] for p in bm["processes"]])
    ok(labels["io.buildpacks.project.metadata"] == "{}", "project metadata without a file")
    lm = doc["lifecycle_metadata"]
    ok([a["sha"] for a in lm["app"]] == ["file:layers/002.tar", "file:layers/003.tar", "file:layers/004.tar"],
       "app shas")
    ok(lm["launcher"]["sha"] == "file:layers/005.tar" and lm["config"]["sha"] == "file:layers/006.tar" and
       lm["process-types"]["sha"] == "file:layers/007.tar", "lifecycle layer shas")
    bps = lm["buildpacks"]
    ok(bps[0]["key"] == "examples/shell" and bps[0]["layers"]["runtime"] == {
        "sha": "file:layers/000.tar", "data": {"version": "1.2", "n": 3}, "build": False, "launch": True,
        "cache": False} and list(bps[0]["layers"]) == ["runtime"] and bps[0]["store"] == {"metadata": {"count": 2}},
       "buildpack metadata: only launch layers, data, store")
    ok(bps[1]["layers"]["kept"]["sha"] == PREV_SHA and bps[1]["layers"]["kept"]["data"] == {"old": True},
       "reused layer keeps the old sha, new data")
    ok(bps[1]["layers"]["both"]["data"] is None, "a layer without [metadata]: data null, as the reference")
    cache = doc["cache"]
    ok([(c["buildpack"], c["layer"], c["file"]) for c in cache] ==
       [("examples/shell", "deps", "cache/000.tar"), ("other", "both", "layers/001.tar")],
       "cache list: cache-only layer tarred, launch+cache layer shares the image tar")

    def entries(i):
        return tar_list(os.path.join(out, "layers/%03d.tar" % i))

    rt = entries(0)
    names = [e[0] for e in rt]
    bpdir = layers + "/examples_shell"
    ok(names[-5:] == [bpdir, bpdir + "/runtime", bpdir + "/runtime/bin", bpdir + "/runtime/bin/alias",
                      bpdir + "/runtime/bin/tool"], "runtime layer entries, parents first, sorted: %s" % names)
    parts = layers.split("/")
    ok(names[:-4] == ["/".join(parts[:i]) for i in range(2, len(parts) + 1)] + [bpdir],
       "all ancestors of the layer dir first")
    ok(all(e[3] == "1980-01-01 00:00:01" for e in rt), "mtimes are 1980-01-01T00:00:01Z")
    ok(all(e[2] == "1000/1001" for e in rt if e[0].startswith(bpdir + "/")), "layer contents owned by uid:gid")
    ok(rt[-2][1].startswith("l"), "symlink recorded as a link")
    for i, want_files in ((2, {"README.md", "public", "public/css", "public/css/site.css", "public/index.html"}),
                          (3, {"lib", "lib/a.sh"}),
                          (4, {"lib-x", "lib-x/b", "public", "src", "src/main.sh", "src/docs", "src/docs/x.md"})):
        names = [e[0] for e in entries(i)]
        inside = {x[len(app) + 1:] for x in names if x.startswith(app + "/")}
        ok(inside == want_files, "app layer %d holds %s (got %s)" % (i, sorted(want_files), sorted(inside)))
        ok(names == sorted(names) and app in names, "app layer %d sorted by path, with the app dir" % i)
    launcher = entries(5)
    ok([(e[0], e[1], e[2]) for e in launcher] == [("/cnb", "drwxr-xr-x", "0/0"), ("/cnb/lifecycle", "drwxr-xr-x", "0/0"),
       ("/cnb/lifecycle/launcher", "-rwxr-xr-x", "0/0")], "launcher layer")
    ok([e[0] for e in entries(6)][-2:] == [layers + "/config", layers + "/config/metadata.toml"], "config layer")
    pt = subprocess.run(["tar", "--numeric-owner", "-tvf", os.path.join(out, "layers/007.tar")], capture_output=True,
                        text=True).stdout
    ok("/cnb/process/web -> /cnb/lifecycle/launcher" in pt and "/cnb/process/worker -> /cnb/lifecycle/launcher"
       in pt and "0/0" in pt, "process-types layer")
    ok(all(line.startswith("lrwxr-xr-x") for line in pt.splitlines() if "/cnb/process/" in line),
       "process-types symlinks have mode 0755, as the reference writes them:\n# " + pt.replace("\n", "\n# "))
    ok(subprocess.run(["tar", "-tf", os.path.join(out, "cache/000.tar")], capture_output=True, text=True).stdout
       .splitlines()[-1] == bpdir + "/deps/cached", "cache tar")

    # reproducible: a second export gives byte-identical tars
    out2 = os.path.join(root, "out2")
    run(root, layers, app, out2, "-cache")
    same = all(open(os.path.join(out, d, f), "rb").read() == open(os.path.join(out2, d, f), "rb").read()
               for d in ("layers", "cache") for f in os.listdir(os.path.join(out, d)))
    ok(same, "second export: byte-identical tars")

    # errors
    os.remove(layers + "/analyzed.toml")
    r = run(root, layers, app, out)
    ok(r.returncode == 62 and "cannot reuse 'other:kept', previous image has no metadata" in r.stderr,
       "missing previous layer: exit 62 (%s)" % r.stderr.strip())
    ok(not os.path.exists(os.path.join(out, "export.json")), "no export.json after a failed export")
    write(f"{layers}/other/kept.toml", '[types]\nlaunch = true\ncache = true\n')
    r = run(root, layers, app, out)
    ok(r.returncode == 62 and "cache=true but has no contents" in r.stderr, "cache=true without dir: exit 62")
    os.remove(f"{layers}/other/kept.toml")
    r = run(root, layers, app, out, "-process-type", "nope")
    ok(r.returncode == 62 and "process type 'nope' was not found" in r.stderr, "unknown -process-type")
    env = dict(os.environ)
    env.pop("CNB_PLATFORM_API", None)
    r = subprocess.run([DRIVER, "-layers", layers, "-app", app, "-out", out], env=env, capture_output=True, text=True)
    ok(r.returncode == 11, "no CNB_PLATFORM_API: exit 11")
    r = run(root, layers, app, out, "extra")
    ok(r.returncode == 3, "positional argument: exit 3")
    subprocess.run(["rm", "-rf", root])
    return done()


sys.exit(main())
