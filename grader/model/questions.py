"""A unit's questions, as its questions file declares them (course content, shipped to students).

Each question has an id, a text per language with ``{name}`` placeholders,
the name of its parameter generator (a function of the unit's generators
module, also shipped), a weight within the questions task, and a kind:

- ``number``: an integer, or a float within ``tolerance`` (relative and absolute);
- ``choice``: one or several of ``choices`` (option ids), in any order;
- ``expression``: a formula in ``variables``, compared by value at several points;
- ``matrix``: a list (or list of lists) of numbers, each within ``tolerance``;
- ``open``: text, graded by a person against the question's ``rubric`` (``grader review``); its ``points``
  are its own, outside every task: the automatic grading says it awaits review, never scores it.

The answers (and what known mistakes would answer) are course code that never
ships: the unit's ``code/answers.py``, one function per question id.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .course import CourseError, Unit, repeated
from .located import read

QuestionKind = Literal["number", "choice", "expression", "matrix", "open"]
OPEN_PLACEHOLDER = "YOUR ANSWER HERE"  # an open answer cell as nbgrader gives it to a student: no answer yet
MAX_OPEN_CHARACTERS = 20_000  # of one open answer: past it, the answer is cut (and the reviewer told so)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Tolerance(_Strict):
    relative: float = Field(default=1e-9, ge=0)
    absolute: float = Field(default=1e-12, ge=0)

    @field_validator("relative", "absolute", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class RubricItem(_Strict):
    """One thing a reviewer looks for in an open answer: its points when given (a deduction when negative), what
    it is in each language, and the lesson's key words for it (shown to the reviewer, never used to score)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    points: float
    text: dict[Literal["en", "zh"], str]
    keywords: dict[Literal["en", "zh"], list[str]] = Field(default_factory=dict)

    @field_validator("points", mode="before")
    @classmethod
    def _points(cls, value: object) -> object:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("text")
    @classmethod
    def _both(cls, text: dict[str, str]) -> dict[str, str]:
        if "en" not in text:
            raise ValueError("a rubric item needs its text in English (en) at least")
        return text


class Question(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: QuestionKind
    text: dict[Literal["en", "zh"], str]
    parameters: str | None = None  # a generator of the unit's generators module
    weight: float = Field(default=1.0, gt=0)
    tolerance: Tolerance = Tolerance()
    variables: list[str] = Field(default_factory=list)  # an expression's names
    choices: dict[str, dict[Literal["en", "zh"], str]] = Field(default_factory=dict)  # option id -> its text
    points: float | None = Field(default=None, gt=0)  # an open question's points (its rubric's score is capped there)
    rubric: list[RubricItem] = Field(default_factory=list)  # an open question's

    @field_validator("points", mode="before")
    @classmethod
    def _open_points(cls, value: object) -> object:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, value: object) -> object:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("variables")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        bad = [name for name in names if not name.isidentifier()]
        if bad:
            raise ValueError(f"variables must be names: {', '.join(bad)}")
        return names

    def render(self, parameters: dict[str, object], lang: str = "en") -> str:
        """The question's text with this student's numbers, in ``lang`` (English where it has none)."""
        text = self.text.get(lang) or self.text["en"]  # type: ignore[call-overload]
        return text.format(**parameters)


class QuestionsFile(_Strict):
    questions: list[Question] = Field(min_length=1)

    @field_validator("questions")
    @classmethod
    def _distinct(cls, questions: list[Question]) -> list[Question]:
        twice = repeated([q.id for q in questions])
        if twice:
            raise ValueError(f"question ids must be unique; repeated: {', '.join(twice)}")
        for question in questions:
            if question.kind == "choice" and not question.choices:
                raise ValueError(f"{question.id}: a choice question needs `choices`")
            if question.kind == "expression" and not question.variables:
                raise ValueError(f"{question.id}: an expression question needs `variables`")
            if question.kind == "open":
                _open_question(question)
            elif question.rubric or question.points is not None:
                raise ValueError(f"{question.id}: only an open question has `points` and a `rubric`")
        return questions


def _open_question(question: Question) -> None:
    if question.points is None or not question.rubric:
        raise ValueError(f"{question.id}: an open question needs its `points` and a `rubric`")
    if question.parameters or question.variables or question.choices:
        raise ValueError(f"{question.id}: an open question has no `parameters`, `variables` or `choices`")
    twice = repeated([item.id for item in question.rubric])
    if twice:
        raise ValueError(f"{question.id}: rubric item ids must be unique; repeated: {', '.join(twice)}")
    reachable = sum(item.points for item in question.rubric if item.points > 0)
    if reachable < question.points:
        raise ValueError(f"{question.id}: its rubric's items give at most {reachable:g} of its {question.points:g} "
                         "points")


def open_score(question: Question, given: list[str], adjust: float = 0.0) -> float:
    """The points of an open answer given these rubric items and a reviewer's adjustment outside the rubric:
    their sum, within 0 and the question's points."""
    points = sum(item.points for item in question.rubric if item.id in set(given)) + adjust
    return round(max(0.0, min(float(question.points or 0.0), points)), 6)


_LOADED: dict[str, tuple[str, list[Question]]] = {}  # path -> (its text, its questions): read once per text


def load_questions(path: Path) -> list[Question]:
    """The questions of a unit's questions file; one ``CourseError`` line per problem, with its line. Reading and
    checking the file costs tens of milliseconds, and grading asks for it on every submission: a file whose text
    is unchanged is not read again."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CourseError([f"{path}: the questions file cannot be read ({error})"]) from None
    known = _LOADED.get(str(path))
    if known is not None and known[0] == text:
        return list(known[1])
    questions = read(text, str(path), QuestionsFile)[0].questions
    _LOADED[str(path)] = (text, questions)
    return list(questions)


def variant_seed(unit_id: str, student: str | None) -> int:
    """The seed of a student's numbers in a unit: stable, different for every id; the default variant for None."""
    text = f"{unit_id}\0{student if student is not None else ''}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def open_questions(unit: Unit) -> list[Question]:
    """The unit's open questions (``kind: open``), in its questions file's order."""
    path = unit.content("questions")
    return [question for question in load_questions(path) if question.kind == "open"] if path is not None else []


def reachable_score(unit: Unit) -> float:
    """What a student's score can reach once the open answers are reviewed: the unit's points and every open
    question's (what every class output calls the maximum)."""
    return round(unit.max_score + sum(float(question.points or 0.0) for question in open_questions(unit)), 6)


def open_answer_digest(text: str) -> str:
    """What ties a review to an answer: the answer's text with its runs of white space made one space (so that a
    reflowed paragraph is the same answer), hashed."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:20]
