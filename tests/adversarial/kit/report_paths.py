"""Kit for attacks: where might the report be written? (Appended before the attack's own code.)"""

import os as _os


def _report_paths():
    """The usual places, and every path given after --json to any process in sight."""
    paths = ["results.json", "/autograder/results/results.json", "/tmp/results.json"]
    for pid in _os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as stream:
                argv = stream.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        paths += [argv[k + 1] for k, arg in enumerate(argv[:-1]) if arg == "--json"]
    return paths
