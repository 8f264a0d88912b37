"""When each student submitted, for the late policy: from a times file, or from each repository's last commit.

``--submitted-at TIMES.csv``: one row per student, the id (as the submission
is named) then an ISO 8601 time (``2026-12-01T23:59:00+08:00``; a time without
an offset is read in the policy's ``timezone``). A first row whose time does
not read as one is a header. ``--submitted-at git``: the committer time of the
last commit of each submission that is a git repository (GitHub Classroom).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..model.late import LatePolicy, parse_time

MAX_BYTES = 8 << 20  # a times file of a very large class is well under this


@dataclass
class Times:
    """Each student's submission time, and what could not be read (one line each, for the terminal)."""

    times: dict[str, datetime] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read_times_file(path: Path, policy: LatePolicy | None) -> Times:
    """The times in ``path`` (see the module's docstring); raises ``ValueError`` when it cannot be read at all."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"{path} is larger than {MAX_BYTES >> 20} MB")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text") from None
    zone = policy.zone if policy is not None and policy.timezone else None
    found = Times()
    rows = list(csv.reader(io.StringIO(text)))
    for number, row in enumerate(rows, 1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) < 2 or not cells[0]:
            found.problems.append(f"{path.name}:{number}: expected a student id and a time")
            continue
        try:
            moment = parse_time(cells[1], zone)
        except ValueError as error:
            if number == 1:
                continue  # a header
            found.problems.append(f"{path.name}:{number}: {error}")
            continue
        if cells[0] in found.times:
            found.problems.append(f"{path.name}:{number}: {cells[0]} appears again; the later row counts")
        found.times[cells[0]] = moment
    return found


def git_times(submissions: dict[str, Path], seconds: float = 20) -> Times:
    """The committer time of the last commit of each submission that is a git repository.

    A student's repository is data here, never a program: git reads the commit
    with a plumbing command (``cat-file``: no hooks, no pager, no signature
    checks, no index), with the system's and the user's settings out of reach
    and a time limit; the time is parsed here. A commit's time is what the
    student's clock said: the push time (GitHub's) is the one a student cannot set.
    """
    found = Times()
    git = shutil.which("git")
    if git is None:
        found.problems.append("git is not installed: no submission has a time (install git, or give a times file)")
        return found
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1",
                   "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    for student, path in submissions.items():
        if not (path.is_dir() and (path / ".git").exists()):
            found.problems.append(f"{student}: not a git repository")
            continue
        command = [git, "--no-pager", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
                   "-c", "log.showSignature=false", "-c", f"safe.directory={path.resolve()}", "-C", str(path),
                   "cat-file", "commit", "HEAD"]
        try:
            done = subprocess.run(command, capture_output=True, timeout=seconds, env=environment,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            found.problems.append(f"{student}: git took longer than {seconds:g} s")
            continue
        try:
            if done.returncode != 0:
                error = done.stderr.decode("utf-8", "replace").strip()
                raise ValueError(error.splitlines()[-1] if error else "git failed")
            found.times[student] = _committer_time(done.stdout[:1 << 20])
        except ValueError as error:
            found.problems.append(f"{student}: no commit time ({str(error)[:200]})")
    return found


def _committer_time(commit: bytes) -> datetime:
    """The time on a raw commit object's ``committer`` line: ``committer Name <mail> 1764000000 +0800``."""
    header = commit.split(b"\n\n", 1)[0]
    for line in header.split(b"\n"):
        if line.startswith(b"committer "):
            stamp, offset = line.rsplit(b" ", 2)[1:]
            sign = -1 if offset.startswith(b"-") else 1
            hours, minutes = int(offset[1:3]), int(offset[3:5])
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
            return datetime.fromtimestamp(int(stamp), zone)
    raise ValueError("the commit has no committer line")
