"""Practice questions: the unit's questions with numbers of their own, whose key a student has.

A student's own numbers stay ungraded until their work is graded; to learn the
method before that, they may answer the *practice variant* of each question
that has numbers (``grader questions --practice``), in ``practice.yaml`` beside
their modules, and ``grader check`` judges those answers right or wrong, with
the hint of the known mistake an answer matches. Practice is never scored.

A question without numbers (a formula, a choice) has the same answer for
everyone: it has no practice variant, since its key would be every student's.

The key is computed from the unit's course code where it is present (the
instructor's repository); a student bundle carries it as data (``practice.json``,
written at release), and the answers module itself is never shipped.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import numpy as np

from ..model.course import CourseError, Unit
from ..model.questions import Question
from ..model.results import Answers, Practised
from ..running.course_code import load_code
from .diagnosis import Mismatch
from .questions import PRACTICE, Key, given_answer, judge, key_of, parameters, questions_of, sample_points

PRACTICE_FILE = "practice.yaml"
KEY_FORMAT = 1


def practice_questions(unit: Unit) -> list[Question]:
    """The unit's questions that have a practice variant: those with numbers."""
    return [question for question in questions_of(unit) if question.parameters is not None]


def practice_numbers(unit: Unit, question: Question) -> dict[str, Any]:
    return parameters(unit, question, PRACTICE)


def _data(value: Any) -> Any:
    """A key's value as JSON data that the comparisons read back as they read the original: an exact fraction as
    its text ("7/2"), a set as a sorted list."""
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else str(value)
    if isinstance(value, np.ndarray):
        return _data(value.tolist())
    if isinstance(value, np.generic):
        return _data(value.item())
    if isinstance(value, (set, frozenset)):
        return sorted(str(item) for item in value)
    if isinstance(value, (list, tuple)):
        return [_data(item) for item in value]
    if isinstance(value, dict):
        return {str(name): _data(item) for name, item in value.items()}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    raise TypeError(f"a key holds {type(value).__name__}, which practice.json cannot carry")


def practice_key(unit: Unit, code: Any = None) -> dict[str, Any]:
    """The practice variant's key, as data: per question its numbers, the right answer, the known mistakes'
    answers (with their hint ids) and, for a formula, the points it is compared at."""
    code = code if code is not None else load_code(unit)
    questions = {}
    for question in practice_questions(unit):
        numbers = practice_numbers(unit, question)
        key = key_of(unit, question, numbers, code)
        entry: dict[str, Any] = {"numbers": _data(numbers), "right": _data(key.right),
                                 "mistakes": [[hint, _data(answer)] for hint, answer in key.mistakes]}
        if question.kind == "expression":
            entry["points"] = [{name: _data(value) for name, value in point.items()}
                               for point in sample_points(question, key, 0)]
        questions[question.id] = entry
    return {"format": KEY_FORMAT, "unit": unit.id, "questions": questions}


def practice_key_text(unit: Unit) -> str:
    return json.dumps(practice_key(unit), indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def load_practice_key(unit: Unit) -> dict[str, Any] | None:
    """The practice key: computed from the course code, else read from the bundle's ``practice.json``; None when
    neither is here."""
    if unit.content("code") is not None:
        return practice_key(unit)
    path = unit.content("practice")
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CourseError([f"{unit.shown(path)}: cannot be read: {error}"]) from None
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT or not isinstance(data.get("questions"), dict):
        raise CourseError([f"{unit.shown(path)}: not a practice key of this grader's format {KEY_FORMAT}"])
    return data


def _key(entry: dict[str, Any]) -> Key:
    return Key(entry["right"], [(hint, answer) for hint, answer in entry.get("mistakes", [])])


def _sample_of(entry: dict[str, Any]) -> list[dict[str, Fraction]]:
    return [{name: Fraction(value) for name, value in point.items()} for point in entry.get("points", [])]


def judge_practice(unit: Unit, answers: Answers, key: dict[str, Any]) -> list[Practised]:
    """Each practice question's answer in ``answers`` judged against ``key``, in the questions' order."""
    results = []
    for question in practice_questions(unit):
        entry = key["questions"].get(question.id)
        if entry is None:
            continue
        answered = answers.values.get(question.id) is not None or question.id in answers.refused
        try:
            given = given_answer(question, answers, None, "practice.missing")
            judge(question, given, _key(entry), entry["numbers"], sample=_sample_of(entry))
        except Mismatch as mismatch:
            results.append(Practised(question.id, False, mismatch.finding, answered=answered))
        else:
            results.append(Practised(question.id, True))
    return results
