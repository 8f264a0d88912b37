"""The floor under `grade-all`: what grading one submission costs before any check or student code runs.

Two measurements, each the median over many runs in this process's children:

- **pytest's per-test protocol.** A suite shaped like the conv unit's hidden
  suites (4 files, 77 tests, a module-scoped fixture and a function-scoped
  random generator that find the test they serve as the grader's do,
  parametrized cases), with bodies that do
  nothing, run by pytest with the grader's own arguments
  (``grader.running.pipeline.pytest_args``) the way a batch child runs them:
  collected once in a warm parent, then the whole protocol (setup, call,
  teardown, reports) in a forked child per "submission", and again through
  the grader's light protocol (``Collector.pytest_runtest_protocol``). CPU of
  each child, from ``wait4``.
- **The round trips.** A child process answering framed JSON requests on a
  pipe (``grader.trust.wire``'s frames, as the worker does), asked the number
  of times a conv submission asks (``--round-trips``, about 290), with the
  trusted side encoding, writing, waiting with ``select`` and decoding. CPU of
  both sides, per submission: once with both processes free to run on any core,
  once with both on one core, as a batch slot's child and worker run when
  there are cores enough.

    python benchmarks/bench_floor.py [--runs 40] [--round-trips 290]

With two cores, 50 submissions a second leaves 40 ms of CPU per submission for
everything. Compare that budget with the sum of these two floors (and with
what ``bench_batch.py``'s docstring measures for a whole submission).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import select
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from grader.model.course import load_course  # noqa: E402
from grader.running.pipeline import Collector, pytest_args  # noqa: E402
from grader.trust import wire  # noqa: E402

CONFTEST = '''
import zlib
import numpy as np
import pytest


_running = []  # the test running now, as the grader's plugin keeps it for its fixtures


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item):
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


@pytest.fixture  # the grader's module-scoped fixtures are made by its light protocol; this one per test, so too
def floor_submission():
    return object()


@pytest.fixture
def floor_rng():
    return np.random.default_rng([1234, zlib.crc32(_running[-1].nodeid.encode())])
'''

# (file, tests without parameters, parametrized tests x cases): 77 tests in all, as in the conv unit
SHAPE = [("test_relu.py", 1, [(4, 3)]), ("test_filter.py", 6, []), ("test_questions.py", 0, [(1, 8)]),
         ("test_conv_layer.py", 8, [(6, 7)])]


def write_suite(folder: Path) -> list[str]:
    (folder / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    files, count = [], 0
    for name, plain, groups in SHAPE:
        lines = ["import pytest", ""]
        for index in range(plain):
            lines += [f"def test_plain_{index}(floor_submission, floor_rng):",
                      "    assert floor_rng.integers(10) < 10", ""]
            count += 1
        for group, (tests, cases) in enumerate(groups):
            for index in range(tests):
                lines += [f"@pytest.mark.parametrize('case', range({cases}))",
                          f"def test_cases_{group}_{index}(floor_submission, floor_rng, case):",
                          "    assert case >= 0", ""]
                count += cases
        (folder / name).write_text("\n".join(lines), encoding="utf-8")
        files.append(str(folder / name))
    assert count == 77, count
    return files


class ForkedRuns:
    """A plugin that, once collected, runs every test in ``runs`` forked children, one after another."""

    def __init__(self, runs: int, collector: Collector) -> None:
        self.runs, self.collector = runs, collector
        self.cpu: list[float] = []
        self.light: list[float] = []  # the same tests through the grader's light protocol
        self.idle: list[float] = []  # children that fork and leave at once: what a fork costs by itself
        self.tests = 0

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        items = session.items
        self.tests = len(items)
        for _ in range(self.runs):
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            self.idle.append(sum(os.wait4(pid, 0)[2][:2]))
        for _ in range(self.runs):
            for light, times in ((False, self.cpu), (True, self.light)):
                pid = os.fork()
                if pid == 0:
                    os._exit(self._run(items, light))
                _, status, usage = os.wait4(pid, 0)
                if os.waitstatus_to_exitcode(status) != 0:
                    raise RuntimeError("a forked run failed")
                times.append(usage.ru_utime + usage.ru_stime)
        return True

    def _run(self, items: list[pytest.Item], light: bool) -> int:
        """In a forked child: every test, through pytest's protocol or the grader's light one; 0 when all passed
        (and, light, all went through the light protocol)."""
        if not light:  # in this child only: the collector leaves every test to pytest's protocol
            self.collector._may_go_light = lambda item: False  # type: ignore[method-assign]
        try:
            for index, item in enumerate(items):
                following = items[index + 1] if index + 1 < len(items) else None
                if light and not self.collector._may_go_light(item):
                    return 2
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)  # as a batch child does
            return 0 if all(o.passed for o in self.collector.outcomes.values()) else 3
        except BaseException:  # noqa: B036 - a child reports by its status only
            return 1


def pytest_floor(runs: int) -> tuple[float, float, float, int]:
    """Median CPU seconds of pytest's per-test protocol over one submission's tests in a forked child, of the
    grader's light protocol, of a forked child that does nothing, and how many tests."""
    unit = load_course(ROOT).unit()
    with tempfile.TemporaryDirectory(prefix="grader-floor-") as folder:
        files = write_suite(Path(folder))
        collector = Collector()
        plugin = ForkedRuns(runs, collector)
        arguments = [arg if arg != str(unit.root) else folder for arg in pytest_args(unit, files)]
        with contextlib.redirect_stdout(io.StringIO()):
            code = pytest.main(arguments, plugins=[collector, plugin])
        if code not in (0, 5) or not plugin.cpu:
            raise RuntimeError(f"pytest ended with {code}")
    return (statistics.median(plugin.cpu), statistics.median(plugin.light), statistics.median(plugin.idle),
            plugin.tests)


ANSWERER = textwrap.dedent('''
    import json, os, struct, sys
    header = struct.Struct(">Q")
    pending = bytearray()
    def read(size):
        while len(pending) < size:
            chunk = os.read(0, 1 << 16)
            if not chunk:
                os._exit(0)
            pending.extend(chunk)
        data = bytes(pending[:size])
        del pending[:size]
        return data
    while True:
        (size,) = header.unpack(read(header.size))
        request = json.loads(read(size))
        body = json.dumps({"ok": {"$h": request["obj"] + 1, "t": "ndarray", "q": "x"}}).encode()
        os.write(1, header.pack(len(body)) + body)
''')


def round_trip_floor(round_trips: int, runs: int, core: int | None = None) -> float:
    """Median CPU seconds, both sides, of ``round_trips`` framed requests and replies on pipes; with ``core``, both
    processes run on that core alone, as a batch slot's child and worker do."""
    if core is not None:
        free = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {core})  # the answerers inherit it
        try:
            return round_trip_floor(round_trips, runs)
        finally:
            os.sched_setaffinity(0, free)
    starts = []
    for _ in range(5):  # an answerer asked nothing: its start and end, left out below
        idle = subprocess.Popen([sys.executable, "-I", "-S", "-c", ANSWERER], stdin=subprocess.PIPE)
        assert idle.stdin is not None
        idle.stdin.close()
        _, _, usage = os.wait4(idle.pid, 0)
        idle.returncode = 0
        starts.append(usage.ru_utime + usage.ru_stime)
    startup = statistics.median(starts)
    totals = []
    request = {"op": "callattr", "obj": 7, "name": "forward", "args": {"$tuple": [{"$h": 3, "t": "ndarray", "q": ""}]},
               "kwargs": {"$dict": []}}
    for _ in range(runs):
        child = subprocess.Popen([sys.executable, "-I", "-S", "-c", ANSWERER], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE)
        assert child.stdin is not None and child.stdout is not None
        write, read = child.stdin.fileno(), child.stdout.fileno()
        before = resource.getrusage(resource.RUSAGE_SELF)
        for _ in range(round_trips):
            os.write(write, wire.frame(request))
            pending = b""
            while len(pending) < wire.HEADER.size:
                select.select([read], [], [], 5)
                pending += os.read(read, 1 << 16)
            (size,) = wire.HEADER.unpack(pending[: wire.HEADER.size])
            body = pending[wire.HEADER.size :]
            while len(body) < size:
                select.select([read], [], [], 5)
                body += os.read(read, 1 << 16)
            wire.decode(json.loads(body)["ok"], lambda ident, kind, label: (ident, kind, label))
        mine = resource.getrusage(resource.RUSAGE_SELF)
        child.stdin.close()
        _, _, answering = os.wait4(child.pid, 0)  # its own CPU, to the microsecond
        child.returncode = 0
        trusted = (mine.ru_utime - before.ru_utime) + (mine.ru_stime - before.ru_stime)
        totals.append(trusted + answering.ru_utime + answering.ru_stime - startup)
    return statistics.median(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="forked runs (and round-trip runs) to take the median of")
    parser.add_argument("--round-trips", type=int, default=290, help="requests per submission (conv: about 290)")
    args = parser.parse_args()
    started = time.monotonic()
    protocol, light, idle, tests = pytest_floor(args.runs)
    trips = round_trip_floor(args.round_trips, max(args.runs // 4, 5))
    usable = sorted(os.sched_getaffinity(0))
    pinned = round_trip_floor(args.round_trips, max(args.runs // 4, 5), usable[-1]) if len(usable) > 1 else None
    print(f"pytest's protocol, {tests} tests with empty bodies, in a forked child: {protocol * 1000:.1f} ms of CPU "
          f"per submission ({protocol / tests * 1e6:.0f} us a test; a child that does nothing: {idle * 1000:.1f} ms)")
    print(f"the grader's light protocol, the same tests: {light * 1000:.1f} ms ({light / tests * 1e6:.0f} us a test)")
    print(f"{args.round_trips} round trips, both sides: {trips * 1000:.1f} ms of CPU per submission "
          f"({trips / args.round_trips * 1e6:.0f} us each)")
    if pinned is not None:
        print(f"the same, both processes on one core (as a batch slot runs): {pinned * 1000:.1f} ms "
              f"({pinned / args.round_trips * 1e6:.0f} us each)")
    cores = os.cpu_count() or 1
    best = min(trips, pinned) if pinned is not None else trips
    print(f"together: {(protocol + trips) * 1000:.1f} ms (light, the cheaper round trips: "
          f"{(light + best) * 1000:.1f} ms); 50 submissions/s on {cores} cores allows "
          f"{cores / 50 * 1000:.0f} ms for everything  ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
