"""How fast `grader grade-all` grades a class, against `grader grade` once per submission, in the same run.

Generates a class of one unit (default: the course's default): correct submissions in every style, every known mistake,
untouched stubs. Times one `grader grade-all` over all of it, and the plain
baseline of one `grader grade` per submission on a sample (the same mix),
scaled to the class. Prints submissions per second and the ratio. The
similarity pass runs after grading, on its own clock: the grading run here
turns it off, and a second run (every grade up to date) reports its time.

    python benchmarks/bench_batch.py [--size 200] [--sample 20] [--jobs N] [--unit ID] [--repeat 3]

With ``--repeat N`` both timings run N times, interleaved (grade-all, then the
baseline, N times over), and the median and the spread (lowest to highest) of
each figure are printed: this machine is shared, and one run proves little.

Where the time goes, and what each change gave, is in docs/performance.md.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.authoring.mistakes import load_mistakes, materialize  # noqa: E402
from grader.model.course import load_course  # noqa: E402


def make_class(folder: Path, size: int, unit_id: str | None = None) -> list[Path]:
    course = load_course(ROOT).unit(unit_id)
    styles = course.content("styles")
    sources = [course.source_dir, *(sorted(p for p in styles.iterdir() if p.is_dir()) if styles else [])]
    mistakes = load_mistakes(course)
    made = []
    for index in range(size):
        target = folder / f"student{index:04}"
        kind = index % 4
        if kind == 0:
            materialize(course, mistakes[(index // 4) % len(mistakes)], target)
        elif kind == 3 and index % 8 == 3:
            shutil.copytree(course.stubs_dir, target)
        else:
            shutil.copytree(sources[index % len(sources)], target)
        made.append(target)
    return made


def _figure(values: list[float], unit: str, digits: int = 1) -> str:
    """A figure over repeated runs: the median, and the spread when there is more than one run."""
    median = f"{statistics.median(values):.{digits}f}{unit}"
    if len(values) == 1:
        return median
    return f"{median} (median of {len(values)}; {min(values):.{digits}f} to {max(values):.{digits}f})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--unit", default=None)
    parser.add_argument("--repeat", type=int, default=1, help="time everything N times; report median and spread")
    args = parser.parse_args()
    rates: list[float] = []
    baselines: list[float] = []
    ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-class-") as temp:
        folder, out = Path(temp) / "class", Path(temp) / "out"
        folder.mkdir()
        students = make_class(folder, args.size, args.unit)
        unit = ["--unit", args.unit] if args.unit else []
        command = [sys.executable, "-m", "grader", "grade-all", str(folder), "--out", str(out), *unit]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        sample = students[:: max(1, len(students) // args.sample)][: args.sample]
        for _ in range(max(1, args.repeat)):
            started = time.perf_counter()
            subprocess.run([*command, "--force", "--no-similarity"], cwd=ROOT, check=True, capture_output=True)
            batch = time.perf_counter() - started
            started = time.perf_counter()
            for student in sample:
                report = str(Path(temp) / "r.json")
                subprocess.run([sys.executable, "-m", "grader", "grade", str(student), "--json", report, *unit],
                               cwd=ROOT, check=True, capture_output=True)
            per_submission = (time.perf_counter() - started) / len(sample)
            rates.append(args.size / batch)
            baselines.append(per_submission)
            ratios.append(per_submission * args.size / batch)
        again = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
        similarity = re.search(r"^similarity: .* in ([0-9.]+) s", again, re.MULTILINE)
    print(f"class of {args.size}: grade-all {_figure(rates, ' submissions/s')}"
          f" = {_figure([args.size / rate for rate in rates], ' s')} for the class")
    print(f"baseline, `grader grade` once per submission: {_figure(baselines, ' s each', 3)} "
          f"({len(sample)} timed per run)")
    print(f"speed-up: {_figure(ratios, 'x')}")
    if similarity:
        print(f"similarity pass (after grading, on its own): {float(similarity.group(1)):.1f} s for the class")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
