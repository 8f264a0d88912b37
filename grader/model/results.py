"""What a graded run produced, as plain data: the types that scoring and every report read.

Running a submission (``grader.running``) fills these in; rendering
(``grader.rendering``) reads them and never needs to know how they were made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .messages import Text

Kind = Literal["public", "hidden"]  # which suites of a unit ran
TEST_ID_SEPARATOR = "::"


def result_id(task_id: str, test_name: str) -> str:
    """A test's id in a report (``extra_data.id`` of its entry): the same in every language, whatever the task's
    title, unlike the rendered name ``"<task title>: <test name>"``; a task that reports no test (its module
    would not import) has its own id alone."""
    return f"{task_id}{TEST_ID_SEPARATOR}{test_name}"


@dataclass(frozen=True)
class Finding:
    """Why a test failed: the full message, the one safe for hidden tests, and the known mistake if any."""

    text: Text
    hidden: Text
    mistake: str | None = None


@dataclass(frozen=True)
class Printed:
    """What the student's code printed (through ``print``, ``sys.stdout`` or ``sys.stderr``) while the grader
    was ``doing`` one thing in it: the text kept, and how many characters more there were."""

    doing: Text | str  # importing filter.py, Filter(3, 3, 1)...
    text: str
    more: int = 0


@dataclass
class Outcome:
    nodeid: str
    file: str
    name: str
    weight: float = 1.0
    passed: bool = False
    status: str = "not run"
    message: str = ""
    duration: float = 0.0
    finding: Finding | None = None  # why it failed, as data, when the test said so
    printed: list[Printed] = field(default_factory=list)  # what its calls printed (public checks only)


@dataclass(frozen=True)
class Answers:
    """A student's answers as decoded (never run): each answered question's plain value (text, numbers, booleans,
    lists, maps with text keys), and for each answer that could not be read, why (it costs that question only)."""

    values: dict[str, Any]
    refused: dict[str, Text] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenAnswer:
    """A student's answer to an open question, as read (never run): its text ("" when there is none), what ties
    a review to it (``digest``), and whether it was cut at the limit."""

    question: str
    text: str
    digest: str
    points: float  # the question's
    cut: bool = False


@dataclass
class Run:
    outcomes: dict[str, Outcome]
    collection_errors: dict[str, str]  # test file name -> message
    seed: int
    layers: list[str]
    output: str
    intake_problems: dict[str, Text]
    duration: float = 0.0
    unit: str = ""  # the id of the unit whose suites ran
    student: str | None = None  # whose variant was graded (None: the default one)
    stopped: Text | None = None  # why grading was stopped before it finished (its deadline): every task scores 0
    open_answers: dict[str, OpenAnswer] = field(default_factory=dict)  # question id -> the answer, to review
    practice: Answers | None = None  # ``grader check``: the practice answers (None: no practice.yaml)
    practice_problem: Text | None = None  # why practice.yaml cannot be read


@dataclass(frozen=True)
class Practised:
    """How one practice answer fared: right, or the finding that says why not (with a hint id when a known
    mistake gives that answer); ``answered`` is False for a question left out of practice.yaml."""

    question: str
    right: bool
    finding: Finding | None = None
    answered: bool = True
