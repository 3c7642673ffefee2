#!/usr/bin/env python3
"""Lints examples/ci: every YAML file parses, has the shape its system expects (GitHub Actions,
GitLab CI, Kubernetes, Tekton), its shell snippets pass `bash -n`, and every cnb-build option it
uses exists in `cnb build --help` (tests/cli/golden/build.txt). Prints TAP.
  check-ci-files.py SOURCE_ROOT"""
import glob, os, re, subprocess, sys

src = sys.argv[1]
try:
    import yaml
except ImportError:
    print("1..0 # SKIP PyYAML (python3-yaml) not installed")
    sys.exit(77)

n = failed = 0
def ok(cond, what, detail=""):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + f" {n} - {what}")
    if not cond:
        failed += 1
        for line in str(detail).splitlines()[-10:]:
            print("#   " + line)

def bash_n(script):
    script = re.sub(r"\$\{\{[^}]*\}\}", "X", script)  # GitHub expressions
    r = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    return r.returncode == 0, r.stderr

help_text = open(os.path.join(src, "tests/cli/golden/build.txt")).read()
known = set(re.findall(r"--[a-z][a-z-]+", help_text))

OTHER_TOOLS = ("meson", "git ", "git,", "apt-get", "kubectl", "base64", "printf", "options:", "install-deps")

def flags_used(text):
    """Long options on non-comment lines that are not another tool's command line."""
    out = set()
    for line in text.splitlines():
        line = line.split(" #")[0]
        if line.lstrip().startswith("#") or any(t in line for t in OTHER_TOOLS):
            continue
        out |= set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", line))
    return out

ci = os.path.join(src, "examples/ci")
for path in sorted(glob.glob(os.path.join(ci, "*.y*ml"))):
    name = os.path.basename(path)
    text = open(path).read()
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        ok(False, f"{name}: parses", e)
        continue
    ok(len(docs) > 0, f"{name}: parses ({len(docs)} documents)")
    scripts = []
    if name.startswith("github"):
        d = docs[0]
        good = "jobs" in d and (True in d or "on" in d) and all(
            "runs-on" in j and all(("run" in s) != ("uses" in s) for s in j["steps"]) for j in d["jobs"].values())
        ok(good, f"{name}: workflow with on/jobs, each step has exactly one of run/uses")
        scripts = [s["run"] for j in d["jobs"].values() for s in j["steps"] if "run" in s]
    elif name.startswith("gitlab"):
        jobs = {k: v for k, v in docs[0].items() if isinstance(v, dict) and "script" in v}
        ok(len(jobs) > 0 and all(isinstance(j["script"], list) for j in jobs.values()), f"{name}: jobs with a script list")
        scripts = ["\n".join(j.get("before_script", []) + j["script"]) for j in jobs.values()]
    else:
        ok(all({"apiVersion", "kind", "metadata"} <= set(d) and d["metadata"].get("name") for d in docs),
           f"{name}: every object has apiVersion, kind and metadata.name")
        for d in docs:
            if d["kind"] == "Job":
                pod = d["spec"]["template"]["spec"]
                cs = pod.get("initContainers", []) + pod["containers"]
                vols = {v["name"] for v in pod.get("volumes", [])}
                mounts = {m["name"] for c in cs for m in c.get("volumeMounts", [])}
                ok(all(c.get("image") for c in cs) and mounts <= vols and pod.get("restartPolicy") in ("Never", "OnFailure"),
                   f"{name}: Job containers have images, mount declared volumes, restartPolicy fits a Job")
            if d["kind"] == "Task":
                steps = d["spec"]["steps"]
                ok(all(s.get("image") for s in steps), f"{name}: Task steps have images")
                scripts += [s["script"] for s in steps if "script" in s]
    for i, s in enumerate(scripts):
        good, err = bash_n(s)
        ok(good, f"{name}: shell snippet {i + 1} passes bash -n", err)
    unknown = flags_used(text) - known
    ok(not unknown, f"{name}: cnb-build options exist in `cnb build --help`" + (f" (unknown: {sorted(unknown)})" if unknown else ""))

print(f"1..{n}")
sys.exit(1 if failed else 0)
