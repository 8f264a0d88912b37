"""How long `grader grade` takes end to end, against a baseline in the same run.

The baseline is the bare cost of starting Python with NumPy and pytest
imported, which any grading command pays. Prints the median of each and the
ratio; figures from shared machines are noisy, the ratio less so.

    python benchmarks/bench_grade.py [--repeat 7]
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


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report = str(Path(folder) / "results.json")
        cases = {
            "baseline: python -c 'import numpy, pytest'": [sys.executable, "-c", "import numpy, pytest"],
            "grader grade solutions --json": [sys.executable, "-m", "grader", "grade", "solutions", "--json", report],
            "grader grade exercises --json": [sys.executable, "-m", "grader", "grade", "exercises", "--json", report],
        }
        medians = {}
        for name, argv in cases.items():
            timed(argv)  # warm the file cache
            medians[name] = statistics.median(timed(argv) for _ in range(args.repeat))
    baseline = next(iter(medians.values()))
    for name, seconds in medians.items():
        print(f"{name:45} {seconds:6.3f} s   {seconds / baseline:5.2f}x baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
