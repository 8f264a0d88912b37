"""How long the mutation analysis of a unit takes, against grading one submission in the same run.

Times ``grader mutants --unit UNIT`` (every mutant of the unit's solution regions graded by its hidden suites on
the warm engine of ``grade-all``) and ``grader grade solutions --unit UNIT`` (one submission, cold), alternating
the two, and prints each median, the number of mutants, and what one mutant costs as a share of one cold
``grader grade`` (one process per mutant would be 1.0). The goal: a unit's run within two minutes on two cores.

    python benchmarks/bench_mutants.py [--unit conv] [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(argv: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--unit", default="conv")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mutants = [sys.executable, "-m", "grader", "mutants", "--unit", args.unit]
    grade = [sys.executable, "-m", "grader", "grade", "solutions", "--unit", args.unit]
    timed(grade)  # warm the file cache
    runs: dict[str, list[float]] = {"mutants": [], "grade": []}
    count = 0
    for _ in range(args.repeat):
        seconds, out = timed(mutants)
        runs["mutants"].append(seconds)
        found = re.search(r"mutants: (\d+),", out)
        count = int(found.group(1)) if found else 0
        runs["grade"].append(timed(grade)[0])
    whole, one = statistics.median(runs["mutants"]), statistics.median(runs["grade"])
    print(f"grader mutants --unit {args.unit}: {whole:.1f} s for {count} mutants (median of {args.repeat}; "
          f"{min(runs['mutants']):.1f} to {max(runs['mutants']):.1f})")
    print(f"grader grade solutions: {one:.2f} s")
    if count:
        print(f"one mutant: {whole / count:.3f} s, {whole / count / one:.2f} of a cold grader grade "
              "(the goal: the unit within 120 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
