"""A tiny TAP producer for Python integration tests: ok(cond, what), then done() as the exit code."""
import os

_count = 0
_failed = []


def ok(cond, what):
    global _count
    _count += 1
    # TAP test lines are one line: the rest of a multi-line description becomes "#" diagnostics
    first, *rest = str(what).splitlines() or [""]
    print(("ok" if cond else "not ok") + " %d - %s" % (_count, first))
    for line in rest:
        print("#   " + line)
    if not cond:
        _failed.append(what)
    return cond


def done():
    print("1..%d" % _count)
    return 1 if _failed else 0


def write(path, text, mode=0o644):
    """Creates path (and its parents) with text and mode."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
