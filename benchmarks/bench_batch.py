"""How fast `grader grade-all` grades a class, against `grader grade` once per submission, in the same run.

Generates a class of one unit (default: the course's default): correct submissions in every style, every known mistake,
untouched stubs. Times one `grader grade-all` over all of it, and the plain
baseline of one `grader grade` per submission on a sample (the same mix),
scaled to the class. Prints submissions per second and the ratio. The
similarity pass runs after grading, on its own clock: the grading run here
turns it off, and a second run (every grade up to date) reports its time.

    python benchmarks/bench_batch.py [--size 200] [--sample 20] [--jobs N] [--unit ID]
"""

from __future__ import annotations

import argparse
import re
import shutil
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
    styles = course.path(course.model.styles)
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--unit", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-class-") as temp:
        folder, out = Path(temp) / "class", Path(temp) / "out"
        folder.mkdir()
        students = make_class(folder, args.size, args.unit)
        unit = ["--unit", args.unit] if args.unit else []
        command = [sys.executable, "-m", "grader", "grade-all", str(folder), "--out", str(out), *unit]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        started = time.perf_counter()
        subprocess.run([*command, "--force", "--no-similarity"], cwd=ROOT, check=True, capture_output=True)
        batch = time.perf_counter() - started
        again = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
        similarity = re.search(r"^similarity: .* in ([0-9.]+) s", again, re.MULTILINE)
        sample = students[:: max(1, len(students) // args.sample)][: args.sample]
        started = time.perf_counter()
        for student in sample:
            report = str(Path(temp) / "r.json")
            subprocess.run([sys.executable, "-m", "grader", "grade", str(student), "--json", report, *unit],
                           cwd=ROOT, check=True, capture_output=True)
        per_submission = (time.perf_counter() - started) / len(sample)
    baseline = per_submission * args.size
    print(f"class of {args.size}: grade-all {batch:.1f} s = {args.size / batch:.1f} submissions/s")
    print(f"baseline, `grader grade` once per submission: {per_submission:.3f} s each "
          f"= {1 / per_submission:.1f} submissions/s ({baseline:.0f} s for the class, from {len(sample)} timed)")
    print(f"speed-up: {baseline / batch:.1f}x")
    if similarity:
        print(f"similarity pass (after grading, on its own): {float(similarity.group(1)):.1f} s for the class")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
