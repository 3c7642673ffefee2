#!/usr/bin/env python3
"""The public headers as a user gets them, and the rules docs/api.md writes for them.

test-api-headers.py CC CXX SRC_INCLUDE BUILD_INCLUDE LIBCNB_SO SYMBOLS_FILE HEADER...
  - each header compiles alone as C99 with -pedantic -Werror (and as C++11, for the extern "C" guards);
  - a header named x.h declares only cnb_x_* functions (common.h: cnb_free; version.h: cnb_version);
  - every options struct cnb_<f>_opts has <F>_OPTS_VERSION, <F>_OPTS_INIT and cnb_<f>_opts_init();
  - every function has a Doxygen comment, and every function returning int documents @return;
  - the functions declared CNB_EXTERN, lib/api/libcnb.sym and the symbols libcnb.so exports are the same set;
  - every public function taking `cnb_error **err` starts with CNB__ERROR_NEVER_NULL(err) (docs/api.md, Errors).
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import done, ok  # noqa: E402

cc, cxx, src_inc, build_inc, libcnb_so, symbols_file = sys.argv[1:7]
headers = sys.argv[7:]
DECL = re.compile(r"(/\*\*(?:(?!\*/).)*\*/\s*)?CNB_EXTERN\s+([^;()]*?)\b(cnb_[a-z0-9_]+)\s*\(", re.S)
OWN_PREFIX = {"common": ("cnb_free",), "version": ("cnb_version",)}


def compiles(compiler, std, name, work):
    src = os.path.join(work, "use-%s.%s" % (name, "cpp" if "++" in std else "c"))
    with open(src, "w") as f:
        f.write("#include <cnb/%s.h>\nint main(void) { return 0; }\n" % name)
    r = subprocess.run([compiler, "-std=" + std, "-pedantic", "-Werror", "-Wall", "-Wextra", "-I", src_inc, "-I",
                        build_inc, "-fsyntax-only", src], capture_output=True, text=True)
    if r.returncode:
        print("# " + r.stderr.replace("\n", "\n# "))
    return r.returncode == 0


declared = set()
with tempfile.TemporaryDirectory() as work:
    for path in headers:
        name = os.path.basename(path)[:-2]
        text = open(path).read()
        ok(compiles(cc, "c99", name, work), "%s.h compiles alone as C99 with -pedantic -Werror" % name)
        if cxx != "none":
            ok(compiles(cxx, "c++11", name, work), "%s.h compiles alone as C++11 with -pedantic -Werror" % name)
        for m in DECL.finditer(text):
            doc, ret, fn = m.group(1), m.group(2).strip(), m.group(3)
            declared.add(fn)
            allowed = OWN_PREFIX.get(name)
            ok(fn in allowed if allowed else fn.startswith("cnb_%s_" % name),
               "%s is declared in the header named after its prefix (%s.h)" % (fn, name))
            ok(doc is not None and (ret != "int" or "@return" in doc),
               "%s has its comment%s" % (fn, " with @return codes" if ret == "int" else ""))
        for opts in re.findall(r"typedef struct (cnb_[a-z0-9_]+)_opts\b", text):
            upper = opts.upper()
            ok("#define %s_OPTS_VERSION " % upper in text and "#define %s_OPTS_INIT" % upper in text and
               re.search(r"\b%s_opts_init\(%s_opts \*opts, unsigned int version\)" % (opts, opts), text),
               "%s_opts has %s_OPTS_VERSION, %s_OPTS_INIT and %s_opts_init(opts, version)" % (opts, upper, upper, opts))
        for struct in re.findall(r"typedef struct cnb_[a-z0-9_]+ \{(.*?)\}", text, re.S):
            fields = [f.strip() for f in struct.split("\n") if f.strip() and not f.strip().startswith(("/**", "*"))]
            bad = [f for f in fields if f.startswith(("unsigned int version", "const", "int", "uint", "void", "cnb_")) and
                   ("," in f.split(";")[0] or "/**<" not in f)]
            ok(not bad, "%s.h: every struct field on its own line with its comment %s" % (name, bad or ""))

exported = set(l.split()[-1].split("@")[0] for l in subprocess.run(
    ["nm", "-D", "--defined-only", libcnb_so], capture_output=True, text=True, check=True).stdout.splitlines()
    if l.split()[-1].startswith("cnb_"))
listed = set(re.findall(r"^\s+(cnb_[a-z0-9_]+);", open(symbols_file).read(), re.M))
ok(declared == exported, "libcnb.so exports exactly the declared functions (only declared: %s; only exported: %s)"
   % (sorted(declared - exported), sorted(exported - declared)))
ok(declared == listed, "libcnb.sym lists exactly the declared functions (only declared: %s; only listed: %s)"
   % (sorted(declared - listed), sorted(listed - declared)))
root = os.path.dirname(os.path.abspath(src_inc))
DEF = re.compile(r"^int (cnb_[a-z0-9][a-z0-9_]*)\(([^{]*)\)\n\{\n\s*(\S[^\n]*)", re.M)
guarded = {}
for top in ("lib", "oci"):
    for dirpath, _, names in os.walk(os.path.join(root, top)):
        for n in names:
            if n.endswith(".c"):
                for m in DEF.finditer(open(os.path.join(dirpath, n)).read()):
                    if "cnb_error **err" in m.group(2):
                        guarded[m.group(1)] = m.group(3).startswith("CNB__ERROR_NEVER_NULL(err);")
ok(guarded and all(guarded.values()) and set(guarded) <= declared,
   "the %d public functions taking err start with CNB__ERROR_NEVER_NULL(err) (not: %s)"
   % (len(guarded), sorted(f for f, g in guarded.items() if not g)))
sys.exit(done())
