"""A warm grading process, as a Dask worker keeps one (``grader.classwork.dask_worker``):

    python -m grader.classwork.serve COURSE UNIT --out OUT [--jobs N] [--sandbox MODE]

It collects the unit's hidden suites once and grades as the local executor does (a child forked per slot from
this warm process, a zygote per slot), but the submissions arrive while it runs: one job a line on its standard
input, JSON with ``id``, ``student``, ``path``, ``fingerprint``, ``submitted_at``, ``seed`` and ``lang``. Each
job's outputs go to ``OUT/<id>/``; then a line on its standard output says so, ``{"id": ..., "failure": null}``
(or the reason it could not be graded). It ends when its input ends (whoever asked is gone), stopping what it
was grading.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..model.course import load_course
from ..model.messages import text_of_data
from ..rendering.feedback import Feedback
from ..rendering.inert import visible
from .local import Job, LocalExecutor

MAX_LINE = 1 << 20  # a request is a few hundred bytes; a line longer than this is not one


@dataclass
class LineFeed:
    """Jobs arriving on a file descriptor, a JSON line each (see the module's docstring)."""

    fd: int
    out: Path
    pending: bytes = b""

    def take(self) -> list[Job] | None:
        try:
            chunk = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return []
        except OSError:
            chunk = b""
        if not chunk:
            return None
        self.pending += chunk
        jobs = []
        while b"\n" in self.pending:
            line, _, self.pending = self.pending.partition(b"\n")
            job = self.job_of(line)
            if job is not None:
                jobs.append(job)
        if len(self.pending) > MAX_LINE:
            os.write(2, b"grader serve: a request longer than a line may be was dropped\n")
            self.pending = b""
        return jobs

    def job_of(self, line: bytes) -> Job | None:
        try:
            data = json.loads(line)
            ident = str(data["id"])
            if not ident.isalnum():
                raise ValueError(f"the id {ident!r} is not letters and digits")
            moment, refused = data.get("submitted_at"), data.get("refused")
            return Job(str(data["student"]), Path(data["path"]), str(data["fingerprint"]), self.out / ident,
                       datetime.fromisoformat(moment) if moment else None, data.get("seed"), data.get("lang"),
                       text_of_data(refused) if refused is not None else None)
        except (ValueError, KeyError, TypeError) as error:
            # to the process's own standard error: while the suites run, sys.stderr is pytest's
            os.write(2, f"grader serve: a request was not understood ({visible(str(error)[:200])})\n".encode())
            return None


@dataclass
class ServedExecutor(LocalExecutor):
    """The local executor, fed jobs while it runs, saying on ``answers`` (a file descriptor) as each is done."""

    answers: int = 1

    def finished(self, index: int, failure: str | None) -> None:
        job = self.todo[index]
        line = json.dumps({"id": job.folder.name, "failure": failure}) + "\n"
        try:
            os.write(self.answers, line.encode())
        except OSError:
            pass  # no one reads the answers any more: the end of the requests ends this process
        self.graded.clear()  # a long life: nothing is kept of the jobs done
        self.failed.clear()


def claim_cores(jobs: int) -> tuple[list[int] | None, list[int]]:
    """Cores of their own for ``jobs`` slots, as the local executor pins its slots (``local.slot_cores``), and the
    files whose locks hold them; (None, []) when this machine has not that many cores free.

    Several Dask workers on one machine each keep a grading process, and none knows the others: each claims a
    core by locking ``grader-core-<n>.lock`` in the temporary folder, and the lock goes with the process that
    holds it, however it ends. Pinned, a grading child and its sandboxed worker hand each other a request on one
    core (see docs/performance.md).
    """
    try:
        usable = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None, []
    held: list[int] = []
    files: list[int] = []
    for core in usable:
        try:
            fd = os.open(os.path.join(tempfile.gettempdir(), f"grader-core-{core}.lock"), os.O_RDWR | os.O_CREAT,
                         0o600)
        except OSError:
            continue  # another user's, say
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        held.append(core)
        files.append(fd)
        if len(held) == jobs:
            return held, files
    for fd in files:
        os.close(fd)
    return None, []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.classwork.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("course", help="the course's folder (as packed for a grader elsewhere)")
    parser.add_argument("unit", help="the unit to grade")
    parser.add_argument("--out", required=True, help="each job's outputs go to OUT/<id>/")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    parser.add_argument("--sandbox", default="auto", help="the sandbox's mode (as grader grade --sandbox)")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="let the system place the slots (default: each on a core no other grading process "
                             "here has claimed, when there are cores enough)")
    args = parser.parse_args(argv)
    unit = load_course(Path(args.course)).unit(args.unit)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # our own copies of the request and answer pipes: nothing the grading does with 0 and 1 reaches them
    requests, answers = os.dup(0), os.dup(1)
    cores, claims = claim_cores(max(1, args.jobs)) if args.pin else (None, [])
    os.set_blocking(requests, False)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    executor = ServedExecutor(unit, out, None, max(1, args.jobs), Feedback.for_unit(unit), args.sandbox,
                              feed=LineFeed(requests, out), pin=bool(cores), cores=cores,
                              private_fds=[requests, answers, *claims],
                              answers=answers)
    try:
        executor.serve()
    except KeyboardInterrupt:
        return 130
    except RuntimeError as error:  # the hidden suites cannot be collected
        print(f"grader serve: {visible(str(error))}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
