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

Where the time goes (the conv unit), a class of 400 graded with two jobs,
every process's CPU read from rusage and /proc (the grading children's own,
each zygote's and its workers'): about 49 ms of CPU per submission in all,
both cores busy (400 in about 10 s), of which
- the grading child (trusted), about 27 ms: about 5.5 ms around the tests
  (intake and compiling 1.5, starting the worker 0.6, killing it 0.6, the
  report and the feedback page 0.8, writing both 1.5, its garbage 0.3), and
  about 21 ms in the 77 tests: the light protocol (its floor in
  ``bench_floor.py``: 9 ms for 77 empty tests in a freshly forked child,
  less in a warm one), the trusted half of about 280 round trips (12 to 25 us
  each), and the suites' own work (reference values, random inputs, checks,
  about 7 ms; predictions only for a wrong answer);
- the sandboxed workers, about 18 ms each (12.5 ms user, 5.5 ms system): the
  fork from the zygote, its end and the copying of what it touches (about
  1100 pages; about 7 ms with the imports), the worker's half of the round
  trips (10 to 20 us each), and the student's own code: 8.5 ms of CPU inside
  the requests for a correct submission (measured inside the worker, per
  request);
- the zygotes and the parent, about 2 ms each.
50 submissions a second on two cores leaves 40 ms for everything. What no
trimming removes already comes to about that: the student's code (9), the
worker's fork, imports and end (7), the suites' own work (7), the child's
fixed work (6), the zygote and the parent (4) and the round trips (about 10
as made here; 7.5 at ``bench_floor.py``'s bare floor with both processes on one
core). The goal needs suites that ask the worker for fewer, larger things
(one request where a test now makes ten), not a faster grader: each of those
parts is the lesson's code, the isolation, or the suites' checks.
What was done, in order (a first round):
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
  time; a class of 1000, median of 3: 15.1 -> 17.5 submissions/s.
A second round:
- the zygote imports ``numpy.random`` and ``numpy.fft``, which NumPy loads only
  on first use: every worker whose student draws random weights paid about
  12 ms for it (a class of 400: 23.9 -> 21.6 s);
- one child per slot grades submission after submission, handed to it through
  a pipe, instead of a fork per submission: the fork, and the copy-on-write
  faults of every page a child touches, are paid once per slot (system time
  of a class of 400: 6.7 -> 2.1 s; 21.6 -> 18.4 s);
- live predictions are computed only when a check fails (``Deferred``): a
  right answer costs none (about 7 ms of user time per submission);
- a child collects its cyclic garbage after each submission (about 0.7 ms:
  a long-lived child must not keep every failed test's traceback);
- a class of 1000, median of 3: 17.5 -> 21.1 submissions/s, 13.1x -> 18.3x.
A third round, each change measured by the CPU of each process (A/B runs of a
class of 400, interleaved; wall time alone varies by 10% here and hid most of
them) and each giving the same 400 reports:
- each slot's child, zygote and workers run on one core of their own: a
  round trip is then a switch between two processes on one core, not a wake
  of the other core, which costs the host's work too on a virtual machine
  (about 10% less time, 4% less CPU);
- checks compare with ``np.isclose``'s rule written out (about 10 us a check);
- the zygote runs the unit's helpers once (each worker used to receive and run
  them), and a session looks each helper up once per worker (about 1.5 ms,
  15 round trips);
- a worker forked warm runs the code the intake compiled when it checked the
  submission instead of compiling every module again (about 1.5 ms);
- the fixtures find their test and their grading context without pytest's
  ``request`` and without depending on one another, so a test's fixture
  closure is what it asks for (child CPU about 4.5 ms less);
- ``answers.yaml`` is read with libyaml's parser where PyYAML has it, PyYAML's
  own giving every message (1.3 -> 0.15 ms); wire frames encode with one
  encoder made once; the light protocol decides once per test whether it may
  run it (about 0.4 ms);
- a class of 1000, median of 3: 21.1 -> 30.3 submissions/s (29.4 to 31.3),
  18.3x -> 20.8x one ``grader grade`` (20.7 to 21.3), which got faster too
  (0.85 -> 0.70 s each).
A fourth round:
- the light protocol makes a test's arguments itself where it can (its
  parameters, the grader's fixtures, module-scoped ones once for a module's
  tests in a row, and the course's plain function fixtures, in pytest's
  order), instead of pytest's fixture machinery, which builds a fixture
  definition, signature and all, for every parametrized argument of every
  test; anything else (a teardown, ``request``, autouse, a wider scope, a
  class) still gets pytest's fixtures (child CPU 41.5 -> 35.7 ms a
  submission; ``bench_floor.py``'s light protocol 13.9 -> 9.6 ms); and it
  calls such a test as pytest's ``pytest_pyfunc_call`` would, without the
  hook (about 0.8 ms);
- wire frames are written by a JSON encoder made once, not one built per
  message, and read by the decoder's raw parse (about 7 us less a request on
  each side: workers 14.9 -> 13.1 ms, children about 1.5 ms less);
- the conv reference pads an array by laying it into zeros (``np.pad`` costs
  20 us a call, and the suites pad thousands of times a class), and a forward
  test computes the expected output for a diagnosis only when forward fails
  (it computed it twice a test): child about 2 ms less;
- a batch child no longer keeps every submission it graded: the grading
  context reached the fixtures as a pytest plugin, and pytest keeps every
  registration in a history of its own, so each child held every session it
  had graded (handles, code, output) until it was recycled, and its garbage
  collection grew with them (0.3 -> 1.1 ms over 100 submissions); the context
  now goes through the configuration's stash (child CPU about 2 ms less on
  average, a class of 400 10.7 -> 10.0 s);
- a class of 1000, median of 3: 30.3 -> 39.9 submissions/s (38.8 to 40.0),
  20.8x -> 30.4x one ``grader grade`` (28.9 to 31.4; 0.78 s each). Single
  grading against the round before, interleaved, 6 runs each: ``grader
  grade`` 0.85 -> 0.80 s (median wall), ``grader check`` 0.63 s of CPU
  either way (median of 10).
Tried and left out, no gain beyond the noise: the terminal reporter
unregistered in the children, pytest's capture plugin off, more jobs than
cores, waking on pidfds instead of polling the control group after a kill,
and the zygote's objects frozen out of its workers' garbage collections
(workers' CPU unchanged). Not done: iterating a student's sequence in one
request (about 20 round trips less, but one time limit for many calls of
student code), and deferring the two ``fsync`` of a student's files (0.4 ms
each here, and the durability of results that are done).
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
