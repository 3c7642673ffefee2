#!/usr/bin/env python3
"""The house rules of lib/README.md, checked on the source tree (issue #18's "facts anyone can check"):
  1. names: the second word of a cnb__ function or type defined in lib/<module>/ or oci/ is that
     module (lib/common, the shared vocabulary, keeps cnb__buf_*, cnb__error_*...);
  2. no two source files call each other;
  3. the code cites public specs, never documents outside the repository;
  4. every shell test sources tests/lib/tap.sh.
Usage: check-house.py SOURCE_ROOT"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import ok, done  # noqa: E402

ROOT = sys.argv[1]
FUNC_DEF = re.compile(r"^(?!static\b)[A-Za-z_][\w \*]*?\b(cnb_{1,2}[a-z0-9_]+)\s*\(", re.M)
TYPE_DEF = re.compile(r"^\}\s*(cnb__[a-z0-9_]+)\s*;", re.M)
CALL = re.compile(r"\b(cnb_{1,2}[a-z0-9_]+)\s*\(")


def sources(*tops, exts=(".c", ".h")):
    for top in tops:
        for d, dirs, names in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [x for x in dirs if x not in ("build",) and not x.startswith(".")]
            for n in sorted(names):
                if n.endswith(exts):
                    p = os.path.join(d, n)
                    yield os.path.relpath(p, ROOT), open(p, encoding="utf-8", errors="replace").read()


def module_of(path):
    parts = path.split("/")
    return "oci" if parts[0] == "oci" else parts[1] if parts[0] == "lib" and len(parts) > 2 else None


def definitions(path, text):
    for m in FUNC_DEF.finditer(text):
        if path.endswith(".c") and not text[m.start():text.find("\n", m.start())].rstrip().endswith(";"):
            yield m.group(1)
    yield from (m.group(1) for m in TYPE_DEF.finditer(text))


code = dict(sources("lib", "oci", "vmshim", "cli"))

bad = []
for path, text in code.items():
    mod = module_of(path)
    if mod in (None, "common"):
        continue
    for name in definitions(path, text):
        if name.startswith("cnb__") and not (name[5:] == mod or name[5:].startswith(mod + "_")):
            bad.append("%s: %s" % (path, name))
ok(not bad, "every cnb__ name in lib/<module>/ and oci/ starts cnb__<module>_\n" + "\n".join(bad[:20]))

defined_in = {}
for path, text in code.items():
    if path.endswith(".c"):
        for name in definitions(path, text):
            defined_in.setdefault(name, path)
calls = {p: {defined_in[n] for n in CALL.findall(t) if defined_in.get(n, p) != p} for p, t in code.items()
         if p.endswith(".c")}
pairs = sorted({tuple(sorted((a, b))) for a in calls for b in calls[a] if a in calls.get(b, ())})
ok(not pairs, "no two files call each other\n" + "\n".join("%s <-> %s" % p for p in pairs))

cites = [p for p, t in code.items() if re.search(r"checklist §|design\.md|\.\./shared", t)]
ok(not cites, "no citation of documents outside the repository\n" + "\n".join(cites))

shell = dict(sources("tests", exts=(".sh",)))
is_test = re.compile(r"(^|/)(test-[^/]*|bench-[^/]*|[^/]*-integration)\.sh$")  # fixtures and helpers are not tests
untapped = [p for p, t in shell.items() if is_test.search(p) and "tap.sh" not in t]
ok(not untapped, "every shell test sources tests/lib/tap.sh\n" + "\n".join(untapped))
sys.exit(done())
