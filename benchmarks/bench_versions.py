"""Grading speed now against an earlier revision, in the same run: the ratio says whether a change slowed it.

Checks out ``--before`` (a git revision) into a temporary worktree and times,
alternating between the two trees so that the machine's load falls on both
alike: ``grader grade`` of the default unit's solutions and of its stubs
(median of ``--repeat``), and ``grader grade-all`` over the same generated
class (``--size`` submissions, built by each tree's own benchmarks/bench_batch.py
class maker from the same mix), each run alternating with the other tree's.

    python benchmarks/bench_versions.py --before c0e6e04 [--repeat 7] [--size 100]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MAKE_CLASS = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, str(Path(sys.argv[1]) / "benchmarks"))
from bench_batch import make_class
make_class(Path(sys.argv[2]), int(sys.argv[3]))
"""


def timed(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="the git revision to compare with")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-versions-") as temp:
        before = Path(temp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(before), args.before], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            trees = {"before": before, "now": ROOT}
            report = str(Path(temp) / "r.json")
            times: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
            classes = {}
            for name, tree in trees.items():
                classes[name] = Path(temp) / f"class-{name}"
                subprocess.run([sys.executable, "-c", MAKE_CLASS, str(tree), str(classes[name]), str(args.size)],
                               check=True, capture_output=True)
            for _ in range(args.repeat):
                for name, tree in trees.items():
                    grade = [sys.executable, "-m", "grader", "grade"]
                    for case, path in (("grade solutions", "solutions"), ("grade exercises", "exercises")):
                        times[name].setdefault(case, []).append(timed([*grade, path, "--json", report], tree))
            commands = {name: [sys.executable, "-m", "grader", "grade-all", str(classes[name]), "--out",
                               str(Path(temp) / f"out-{name}"), "--force"] for name in trees}
            for name, tree in trees.items():
                timed(commands[name], tree)  # warm
            for _ in range(max(1, args.repeat // 3)):  # alternating, as the single grades are
                for name, tree in trees.items():
                    times[name].setdefault("grade-all", []).append(timed(commands[name], tree))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, capture_output=True)
    print(f"{'':20} {'before':>10} {'now':>10} {'now/before':>11}")
    for case in times["now"]:
        old, new = statistics.median(times["before"][case]), statistics.median(times["now"][case])
        print(f"{case:20} {old:9.3f}s {new:9.3f}s {new / old:10.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
