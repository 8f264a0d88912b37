"""When each student submitted, for the late policy: from a times file, or from each repository's last commit.

``--submitted-at TIMES.csv``: one row per student, the id (as the submission
is named) then an ISO 8601 time (``2026-12-01T23:59:00+08:00``; a time without
an offset is read in the policy's ``timezone``). A first row whose time does
not read as one is a header. ``--submitted-at git``: the committer time of the
last commit of each submission that is a git repository (GitHub Classroom),
read from the repository's files by ``grader.trust.decoding.commits`` in a
sandboxed worker of its own, the repository bound read-only, within
``COMMIT_SECONDS`` (several repositories at a time): no git runs, nothing of
the repository configures anything, and a hostile one costs its own student's
time, no one else's, and never the grader's own process.

Both are read with bounded work: the file is at most ``MAX_BYTES``, each cell
at most ``MAX_CSV_FIELD`` characters and each time at most ``MAX_TIME_TEXT``;
a row or a repository that cannot be used is one problem line naming its
student (or its line), and the others are read on. A time outside the years
1970 to 9000 is no usable time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..model.course import Limits
from ..model.files import MAX_CSV_FIELD, csv_rows
from ..model.identity import cell_id, key, refusal
from ..model.late import MAX_TIME_TEXT, LatePolicy, parse_time, usable
from ..rendering.inert import visible
from ..running.intake import PACKAGE
from ..trust import policy, wire
from ..trust.child import WorkerFailure
from ..trust.policy import SandboxMode
from ..trust.worker import start

MAX_BYTES = 8 << 20  # a times file of a very large class is well under this
MAX_COLUMNS = 8  # of a times file's row read: its id and its time come first
COMMIT_SECONDS = 10.0  # to read one repository's last commit, and of its worker's CPU time
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


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
    first = True
    keys: dict[str, str] = {}  # the key of each id read -> the id as first read
    for number, row in csv_rows(text):
        if row is None:
            found.problems.append(f"{path.name}:{number}: a cell is longer than {MAX_CSV_FIELD >> 10} KiB; "
                                  "row left out")
            first = False
            continue
        cells = [cell.strip() for cell in row[:MAX_COLUMNS]]  # the id and the time: what follows costs nothing
        if not any(cells):
            continue
        header, first = first, False
        if len(cells) < 2 or not cells[0]:
            found.problems.append(f"{path.name}:{number}: expected a student id and a time")
            continue
        try:
            moment = parse_time(cells[1], zone)
        except ValueError as error:
            if header and len(cells[1]) <= MAX_TIME_TEXT and not cells[1][:1].isdigit():
                continue  # a header
            found.problems.append(f"{path.name}:{number}: {error}")
            continue
        student = cell_id(cells[0])
        why = refusal(student)
        if why is not None:
            found.problems.append(f"{path.name}:{number}: {visible(student[:60])} cannot be a student's id: {why}")
            continue
        if key(student) in keys:
            found.problems.append(f"{path.name}:{number}: {visible(student[:60])} appears again; the later row "
                                  "counts")
            found.times.pop(keys[key(student)], None)
        keys[key(student)] = student
        found.times[student] = moment
    return found


def times_of(found: Times, students: list[str]) -> dict[str, datetime]:
    """Each of ``students``' time among ``found``'s, each found by the key of its id (``grader.model.identity``:
    a times file written by hand finds ``Alice`` for ``alice``, and an id typed decomposed for one composed)."""
    by_key = {key(student): moment for student, moment in found.times.items()}
    return {student: by_key[key(student)] for student in students if key(student) in by_key}


def git_times(submissions: dict[str, Path], limits: Limits, mode: SandboxMode = "auto", jobs: int = 1) -> Times:
    """The committer time of the last commit of each submission that is a git repository, each read in a worker
    of its own (see the module's docstring), ``jobs`` at a time. A commit's time is what the student's clock
    said: the push time (GitHub's) is the one a student cannot set."""
    found = Times()
    repositories = {}
    for student, path in submissions.items():
        git = path / ".git"
        if path.is_dir() and git.is_symlink():
            found.problems.append(f"{visible(student)}: no usable commit time (its .git is a link to another place, "
                                  "which is not read)")
        elif not path.is_dir() or not git.exists():
            found.problems.append(f"{visible(student)}: not a git repository")
        else:
            repositories[student] = path
    budget = limits.model_copy(update={"cpu_seconds": min(limits.cpu_seconds, COMMIT_SECONDS)})
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        read = dict(zip(repositories, pool.map(lambda path: commit_of(path, budget, mode), repositories.values())))
    for student, result in read.items():
        if isinstance(result, datetime):
            found.times[student] = result
        else:
            found.problems.append(f"{visible(student)}: no usable commit time ({visible(result[:200])})")
    return found


def commit_of(repository: Path, limits: Limits, mode: SandboxMode = "auto") -> datetime | str:
    """The time of the last commit of ``repository``, read by a worker started on it alone (bound read-only, with
    ``limits``), within ``COMMIT_SECONDS``; or why there is none (one line)."""
    try:
        worker = start(policy.plan(repository, PACKAGE, limits, mode), 4096)
    except (WorkerFailure, OSError) as error:
        return f"its reader could not start: {error}"
    try:
        reply = worker.request(wire.request("commit"), COMMIT_SECONDS, "reading the repository")
    except WorkerFailure as failure:
        return str(failure.text or failure)
    finally:
        worker.kill()
    if "error" in reply:
        record = wire.ErrorRecord.read(reply["error"])
        return f"its reading raised {record.type if record else 'an error'}"
    return _moment(reply["ok"])


def _moment(value: Any) -> datetime | str:
    """The commit time a worker sent (seconds since 1970 and minutes east of UTC), checked; or its one line."""
    if isinstance(value, dict) and set(value) == {"problem"} and isinstance(value["problem"], str):
        return " ".join(value["problem"].split())[:300]
    if not (isinstance(value, dict) and set(value) == {"seconds", "offset"} and type(value["seconds"]) is int
            and type(value["offset"]) is int and abs(value["offset"]) < 24 * 60 and 0 <= value["seconds"] < 1 << 40):
        return "its reader answered what is not a time"
    try:
        moment = usable(EPOCH + timedelta(seconds=value["seconds"]))
    except ValueError as error:
        return str(error)
    return moment.astimezone(timezone(timedelta(minutes=value["offset"])))
