#!/usr/bin/env python3
"""Extracts the cnb-build command lines of every file in examples/ci, exactly as written there, for
tests/examples/test-ci-commands.sh. Shell snippets (GitHub, GitLab, Tekton scripts) give the text from
`cnb-build` to the end of the command (backslash continuations joined, up to the `)` closing its
`$(`); a Kubernetes container whose image's ENTRYPOINT is cnb-build gives `cnb-build` + its args,
shell-quoted. The Containerfile holds no command line: it gives its ENTRYPOINT instead.
Prints NUL-separated pairs: FILE NAME, then the command (or "ENTRYPOINT <json>").
  ci-commands.py SOURCE_ROOT"""
import glob, json, os, re, shlex, sys
import yaml

def shell_commands(script):
    out = []
    text = re.sub(r"\\\n\s*", " ", script)  # join continuation lines
    for line in text.splitlines():
        code = line.strip()
        if code.startswith("#"):
            continue
        for m in re.finditer(r"(?:^|\$\(|;|&&|\|\|)\s*(cnb-build\s.*)$", code):
            cmd = m.group(1)
            if code[m.start():].lstrip().startswith("$("):
                depth, end = 1, len(cmd)
                for i, c in enumerate(cmd):
                    depth += (c == "(") - (c == ")")
                    if depth == 0:
                        end = i
                        break
                cmd = cmd[:end]
            out.append(cmd.strip())
    return out

def walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)

def yaml_commands(path):
    out = []
    for doc in yaml.safe_load_all(open(path)):
        for node in walk(doc):
            # a container running the cnb image (ENTRYPOINT cnb-build) with args
            if "image" in node and "args" in node and "command" not in node and node.get("name") == "cnb-build":
                out.append("cnb-build " + " ".join(shlex.quote(str(a)) for a in node["args"]))
            for key in ("run", "script"):
                v = node.get(key)
                scripts = v if isinstance(v, list) else [v]
                for s in scripts:
                    if isinstance(s, str):
                        out += shell_commands(s)
    return out

src = sys.argv[1]
for path in sorted(glob.glob(os.path.join(src, "examples/ci/*"))):
    name = os.path.basename(path)
    if name.endswith((".yml", ".yaml")):
        cmds = yaml_commands(path)
    else:
        cmds = ["ENTRYPOINT " + m for m in re.findall(r"^ENTRYPOINT\s+(.*)$", open(path).read(), re.M)]
    if not cmds:
        cmds = ["NONE"]
    for c in cmds:
        sys.stdout.write(name + "\0" + c + "\0")
