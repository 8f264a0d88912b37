"""When each student submitted, for the late policy: from a times file, or from each repository's last commit.

``--submitted-at TIMES.csv``: one row per student, the id (as the submission
is named) then an ISO 8601 time (``2026-12-01T23:59:00+08:00``; a time without
an offset is read in the policy's ``timezone``). A first row whose time does
not read as one is a header. ``--submitted-at git``: the committer time of the
last commit of each submission that is a git repository (GitHub Classroom),
read from the repository's files by ``grader.classwork.commits``: no git runs,
and nothing of the repository configures anything.

Both are read with bounded work: the file is at most ``MAX_BYTES``, each cell
at most ``MAX_CSV_FIELD`` characters and each time at most ``MAX_TIME_TEXT``;
a row or a repository that cannot be used is one problem line naming its
student (or its line), and the others are read on. A time outside the years
1970 to 9000 is no usable time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..model.files import MAX_CSV_FIELD, csv_rows
from ..model.identity import cell_id, key, refusal
from ..model.late import MAX_TIME_TEXT, LatePolicy, parse_time
from ..rendering.inert import visible
from .commits import CommitError, commit_time

MAX_BYTES = 8 << 20  # a times file of a very large class is well under this
MAX_COLUMNS = 8  # of a times file's row read: its id and its time come first


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


def git_times(submissions: dict[str, Path]) -> Times:
    """The committer time of the last commit of each submission that is a git repository, read from its files
    (see ``grader.classwork.commits``). A commit's time is what the student's clock said: the push time
    (GitHub's) is the one a student cannot set."""
    found = Times()
    for student, path in submissions.items():
        if not path.is_dir() or not (path / ".git").exists() and not (path / ".git").is_symlink():
            found.problems.append(f"{visible(student)}: not a git repository")
            continue
        try:
            found.times[student] = commit_time(path)
        except CommitError as error:
            found.problems.append(f"{visible(student)}: no usable commit time ({str(error)[:200]})")
        except (OSError, ValueError, MemoryError) as error:  # a reader's surprise is one student's problem
            found.problems.append(f"{visible(student)}: no usable commit time ({type(error).__name__})")
    return found
