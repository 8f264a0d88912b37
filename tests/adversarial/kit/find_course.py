"""Kit for attacks: where is the course? (Appended to a stub before the attack's own code.)"""

import os as _os


def _course_roots():
    """Folders holding a course.yaml: near the working folder, then near the parent's; only if neither has one, a
    bounded walk of / (how long that walk takes depends on the machine's disk, so a course found nearby ends the
    search)."""
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
    if not found:
        walk("/", 6)
    return found
