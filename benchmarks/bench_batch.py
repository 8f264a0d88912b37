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

Where the time goes (the conv unit), a class of 400 graded with two jobs:
both cores busy in the steady state (vmstat: about 5% idle), about 88 ms of
CPU per submission in all, of which
- the trusted side, about 59 ms (``time``'s user and system time of grade-all,
  which does not count the sandboxed workers; the parent's start, about 1.5 s,
  is a part of it): pytest's per-test fixture machinery, the test bodies with
  their reference values and checks, the trusted half of about 290 round
  trips, the report and the feedback page;
- the sandboxed workers, about 29 ms each (21 ms user, 8 ms system; the
  children's times of each zygote, read from /proc): the fork from the zygote
  and the copying of what it touches, the student's modules compiled and
  imported, the worker's half of the round trips (JSON framing, arrays
  decoded and encoded), and the student's own arithmetic;
- the zygotes themselves, about 2 ms.
``bench_floor.py`` measures the floors under all of that, with no check and no
student code: pytest's protocol over 77 empty tests in a forked child, about
32 ms (the grader's light protocol: about 16 ms); 290 framed round trips,
both sides, about 15 to 25 ms. 50 submissions a second on two cores leaves
40 ms for everything: the worker alone takes 29, and the floors of the
trusted side about as much again, so the goal would need another design
(several submissions' tests sharing one protocol run, or round trips
batched, which changes how suites talk to the worker), not more trimming.
What was done, in order:
- fixtures that every test of a module shares are made once per module, not
  once per test (child CPU 104 -> 94 ms, a class of 100, one job);
- a failed test's report is built from the finding the grader already
  recorded, not from pytest's long traceback rendering;
- a method call on a student's object is one round trip (look up and call)
  once its type's method is known, not two (314 -> 288 requests);
- process sweeps poll with a short backoff instead of sleeping a fixed slice
  (child wall 153 -> 131 ms);
- each test runs through a light protocol of the grader's own
  (``Collector.pytest_runtest_protocol``: pytest's setup state and
  ``item.runtest``, the outcome recorded without building reports; pytest's
  whole protocol for skip and xfail marks): a child's CPU 75 -> 58 ms of user
  time; a class of 1000, median of 3: 15.1 -> 17.5 submissions/s;
- the zygote imports ``numpy.random`` and ``numpy.fft``, which NumPy loads only
  on first use: every worker whose student draws random weights paid about
  12 ms for it (a class of 400: 23.9 -> 21.6 s);
- one child per slot grades submission after submission, handed to it through
  a pipe, instead of a fork per submission: the fork, and the copy-on-write
  faults of every page a child touches, are paid once per slot (system time
  of a class of 400: 6.7 -> 2.1 s; 21.6 -> 18.4 s);
- live predictions are computed only when a check fails (``Deferred``): a
  right answer costs none (about 7 ms of user time per submission);
- together, a class of 1000, median of 3: 17.5 -> 22.2 submissions/s,
  13.1x -> 17.0x one ``grader grade``;
- a child collects its cyclic garbage after each submission (about 0.8 ms:
  a long-lived child must not keep every failed test's traceback); the same
  benchmark on the final code, later and on a busier machine (the baseline
  ``grader grade`` 0.85 s instead of 0.78): 21.1 submissions/s (19.8 to 21.4),
  18.3x (16.4 to 20.0).
Tried and left out, no gain beyond the noise (this machine's runs of one
class vary by about 10%): the terminal reporter unregistered in the children,
pytest's capture plugin off, each child and its slot's zygote pinned to one
core, more jobs than cores, waking on pidfds instead of polling the control
group after a kill, and a cheaper ``request`` fixture (pytest builds one per
use; patched for the experiment only).
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
