"""A unit's questions, graded like its code: every student gets their own numbers, answers are checked with
tolerance, and a wrong answer that a known mistake gives gets that mistake's hint.

- **Variants.** A student's numbers come from a seed derived from the unit and
  the student's id (the same student, the same numbers, always); without an id,
  the default variant. Each question's generator (``parameters`` in the
  questions file; a function of the unit's generators module, shipped) draws
  them from that seed.
- **Keys.** The unit's course code has an ``answers`` module (never shipped):
  for each question id, a function of the numbers returning a ``Key``, the
  right answer and what known mistakes would answer (hint ids).
- **Answers** are data (``answers.yaml``, see ``grader.running.answers``).
  Numbers may be written as numbers or as arithmetic (``1/4``, ``100*101``);
  an expression is a formula in the question's variables. Both are read by
  ``evaluate``: Python's parser, then a walk that allows only numbers, the
  question's names, ``+ - * / // **`` and brackets, computed exactly with
  fractions, within bounds. Student text is never run.

Suites use the two generic tests below (``test_question`` in a hidden suite,
``test_answer_is_well_formed`` in a public one); the kit's plugin gives them
one case per question, weighted as the questions file says.
"""

from __future__ import annotations

import ast
import json
import math
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..model.course import CourseError, Unit
from ..model.errors import Whole
from ..model.messages import Text, t
from ..model.questions import Question, load_questions, variant_seed
from ..model.results import Finding
from ..running.course_code import load_code, load_file
from .diagnosis import Mismatch

MAX_TEXT = 200  # characters of one written answer
MAX_MAGNITUDE = Fraction(10) ** 30  # larger numbers are no answer to these questions
EXPRESSION_POINTS = 8  # where a formula is compared


@dataclass(frozen=True)
class Key:
    """A question's right answer for one student's numbers, and what known mistakes would answer instead.

    ``right`` is a number, a list of numbers (``matrix``), a set of option ids
    (``choice``), or a function of the variables (``expression``). Each of
    ``mistakes`` is ``(hint id, answer of the same form)``.
    """

    right: Any
    mistakes: list[tuple[str, Any]] = field(default_factory=list)
    points: Callable[[np.random.Generator], dict[str, int]] | None = None  # an expression's sample points


def questions_of(unit: Unit) -> list[Question]:
    """The unit's questions that are graded automatically (every kind but ``open``, which a person grades: see
    ``grader.model.questions.open_questions``)."""
    path = unit.content("questions")
    return [question for question in load_questions(path) if question.kind != "open"] if path is not None else []


PRACTICE = "\0practice"  # the practice variant's name in place of a student id: no student id holds a NUL
DRAWS = 100  # of a student's numbers, at most, to find some other than the practice variant's


def parameters(unit: Unit, question: Question, student: str | None) -> dict[str, Any]:
    """The numbers of ``question`` for ``student`` (the default variant for None; the practice variant for
    ``PRACTICE``). A student's numbers are never the practice variant's, whose key every student has: numbers
    drawn equal to them are drawn again, from the same stream (so each id still has one variant)."""
    if question.parameters is None:
        return {}
    generators = load_file(unit, unit.content("generators"), "questions")
    generator = getattr(generators, question.parameters, None) if generators is not None else None
    if generator is None:
        raise CourseError([f"unit {unit.id}: question {question.id}: no generator {question.parameters!r}"])

    def stream(student: str | None) -> np.random.Generator:
        return np.random.default_rng([variant_seed(unit.id, student), zlib.crc32(question.id.encode())])

    rng = stream(student)
    numbers = dict(generator(rng))
    if student == PRACTICE:
        return numbers
    practice = _canonical(dict(generator(stream(PRACTICE))))
    for _ in range(DRAWS):
        if _canonical(numbers) != practice:
            return numbers
        numbers = dict(generator(rng))
    raise CourseError([f"unit {unit.id}: question {question.id}: its generator {question.parameters!r} gave the "
                       f"practice variant's numbers {DRAWS} times in a row: it needs more than one variant, or no "
                       "`parameters`"])


def _canonical(numbers: dict[str, Any]) -> str:
    """Numbers as one text, to compare two variants (arrays as lists, keys sorted)."""
    return json.dumps({str(name): _plain(value) for name, value in numbers.items()}, sort_keys=True, default=repr)


def key_of(unit: Unit, question: Question, numbers: dict[str, Any], code: Any = None) -> Key:
    code = code if code is not None else load_code(unit)
    function = getattr(getattr(code, "answers", None), question.id, None)
    if function is None:
        raise CourseError([f"unit {unit.id}: the answers of its course code have no {question.id}(numbers)"])
    key = function(numbers)
    return key if isinstance(key, Key) else Key(key)


def answer_key(unit: Unit, student: str | None, code: Any = None) -> dict[str, Any]:
    """A student's right answers, in the form ``answers.yaml`` takes (an expression as its formula's text)."""
    key = {}
    for question in questions_of(unit):
        right = key_of(unit, question, parameters(unit, question, student), code).right
        if question.kind == "choice":
            right = sorted(right)
        elif isinstance(right, Fraction):
            right = float(right) if right.denominator != 1 else int(right)
        key[question.id] = _plain(right)
    return key


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# --- reading an answer ------------------------------------------------------------------------


class AnswerError(Whole, ValueError):
    """An answer that cannot be read; ``text`` says why, in every language."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


MAX_BITS = 2048  # of a fraction's numerator and of its denominator, at every step of reading an answer
MAX_CELLS = 1000  # numbers in a matrix answer


def _bits(value: Fraction) -> int:
    return max(value.numerator.bit_length(), value.denominator.bit_length())


def _bounded(bits: int) -> None:
    """Refuse an operation whose exact result would need more than ``MAX_BITS``: checked before it is computed,
    so that no answer costs more than a few thousand-bit multiplications (``((2/3)^64)^64…`` grows 64-fold a
    level while its value stays small)."""
    if bits > MAX_BITS:
        raise AnswerError(t("answer.too_precise", digits=MAX_BITS * 3 // 10))


def _add(a: Fraction, b: Fraction, sign: int) -> Fraction:
    _bounded(max(a.numerator.bit_length() + b.denominator.bit_length(),
                  b.numerator.bit_length() + a.denominator.bit_length()) + 1)
    _bounded(a.denominator.bit_length() + b.denominator.bit_length())
    return a + b if sign > 0 else a - b


def _multiply(a: Fraction, b: Fraction) -> Fraction:
    _bounded(a.numerator.bit_length() + b.numerator.bit_length())
    _bounded(a.denominator.bit_length() + b.denominator.bit_length())
    return a * b


def _divide(a: Fraction, b: Fraction, floor: bool) -> Fraction:
    _bounded(a.numerator.bit_length() + b.denominator.bit_length())
    _bounded(a.denominator.bit_length() + b.numerator.bit_length())
    return Fraction(a // b) if floor else a / b


_OPERATORS: dict[type, Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: lambda a, b: _add(a, b, 1),
    ast.Sub: lambda a, b: _add(a, b, -1),
    ast.Mult: _multiply,
    ast.Div: lambda a, b: _divide(a, b, floor=False),
    ast.FloorDiv: lambda a, b: _divide(a, b, floor=True),
}


def evaluate(text: Any, names: dict[str, Fraction] | None = None) -> Fraction:
    """The exact value of an arithmetic answer (a number, or a formula in ``names``); raises ``AnswerError``.

    The work is bounded: at most ``MAX_TEXT`` characters, nesting at most 40 deep, powers to small whole
    exponents, and no step whose exact result would need more than ``MAX_BITS`` bits (checked before the step).
    """
    names = names or {}
    if isinstance(text, bool):
        raise AnswerError(t("answer.not_number"))
    if isinstance(text, int):
        if text.bit_length() > MAX_BITS:
            raise AnswerError(t("answer.too_large"))
        value = Fraction(text)
    elif isinstance(text, float):
        if not math.isfinite(text):
            raise AnswerError(t("answer.not_finite"))
        value = Fraction(text)
    elif isinstance(text, str):
        if len(text) > MAX_TEXT:
            raise AnswerError(t("answer.too_long", limit=MAX_TEXT))
        try:
            tree = ast.parse(_as_python(text), mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            raise AnswerError(t("answer.syntax")) from None
        try:
            value = _walk(tree.body, names, 0)
        except (RecursionError, MemoryError, OverflowError):
            raise AnswerError(t("answer.too_deep")) from None
    else:
        raise AnswerError(t("answer.not_number"))
    if abs(value) > MAX_MAGNITUDE:
        raise AnswerError(t("answer.too_large"))
    return value


def _as_python(text: str) -> str:
    """How people write arithmetic, as Python reads it: ``2P`` and ``2(W1 - F)`` multiply, ``^`` raises,
    ``×`` and ``÷`` are ``*`` and ``/``. Only the text changes: it is parsed, never run."""
    text = text.strip().replace("^", "**").replace("×", "*").replace("÷", "/")
    # 2P, 2(x): a number, then a name or a bracket (but 1e3 is a number)
    text = re.sub(r"(?<![A-Za-z_\d.])(\d+(?:\.\d*)?)\s*(?=(?![eE][+-]?\d)[A-Za-z_(])", r"\1*", text)
    return re.sub(r"\)\s*(?=[A-Za-z_\d(])", ")*", text)  # (a)(b), (a)b: a bracket, then a name or a bracket


def _walk(node: ast.AST, names: dict[str, Fraction], depth: int) -> Fraction:
    if depth > 40:
        raise AnswerError(t("answer.too_deep"))
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        number = node.value
        if isinstance(number, float) and not math.isfinite(number):
            raise AnswerError(t("answer.not_finite"))
        value = Fraction(number)  # type: ignore[arg-type]  # an int or a float, as checked
        _bounded(_bits(value))
        return value
    if isinstance(node, ast.Name):
        if not names:  # a word where a number was asked for (minus, "five", 负一)
            raise AnswerError(t("answer.word", name=node.id[:30]))
        if node.id not in names:
            raise AnswerError(t("answer.unknown_name", name=node.id[:30], names=", ".join(names)))
        return names[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _walk(node.operand, names, depth + 1)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, exponent = _walk(node.left, names, depth + 1), _walk(node.right, names, depth + 1)
        if exponent.denominator != 1 or abs(exponent) > 64:
            raise AnswerError(t("answer.power"))
        if base == 0 and exponent < 0:
            raise AnswerError(t("answer.division_by_zero"))
        _bounded(_bits(base) * abs(int(exponent)))
        result = Fraction(base ** int(exponent))
        if abs(result) > MAX_MAGNITUDE:
            raise AnswerError(t("answer.too_large"))
        return result
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _walk(node.left, names, depth + 1), _walk(node.right, names, depth + 1)
        if isinstance(node.op, (ast.Div, ast.FloorDiv)) and right == 0:
            raise AnswerError(t("answer.division_by_zero"))
        result = _OPERATORS[type(node.op)](left, right)
        if abs(result) > MAX_MAGNITUDE:
            raise AnswerError(t("answer.too_large"))
        return result
    raise AnswerError(t("answer.forbidden"))


def read_answer(question: Question, given: Any) -> Any:
    """The answer ``given`` in a form to compare, or ``AnswerError`` saying why it is not one."""
    if question.kind == "number":
        return evaluate(given)
    if question.kind == "matrix":
        return read_matrix(given)
    if question.kind == "choice":
        chosen = given if isinstance(given, list) else [given]
        if not chosen or not all(isinstance(c, (str, int)) and not isinstance(c, bool) for c in chosen):
            raise AnswerError(t("answer.choice_form", options=", ".join(question.choices)))
        picked = {str(c).strip().lower() for c in chosen}
        unknown = sorted(picked - {c.lower() for c in question.choices})
        if unknown:
            raise AnswerError(t("answer.choice_unknown", got=_one_line(", ".join(unknown))[:60],
                                options=", ".join(question.choices)))
        return picked
    if not isinstance(given, str):
        raise AnswerError(t("answer.not_formula", names=", ".join(question.variables)))
    # distinct primes: a formula that reads well and uses only its names evaluates
    evaluate(given, {name: Fraction(prime) for name, prime in zip(question.variables, _PRIMES)})
    return given


_PRIMES = (101, 103, 107, 109, 113, 127, 131, 137, 139, 149)


def _one_line(text: str) -> str:
    """A student's text in a message: on one line (runs of white space, line breaks included, made one space)."""
    return " ".join(text.split())


def read_matrix(given: Any) -> list[Any]:
    """A vector (a list of numbers) or a matrix (a list of rows, all lists of numbers of one length), read;
    its shape is checked before any number is, and a ragged or deeper list says so."""
    if not isinstance(given, list) or not given:
        raise AnswerError(t("answer.not_list"))
    rows = [isinstance(item, list) for item in given]
    if not any(rows):
        if len(given) > MAX_CELLS:
            raise AnswerError(t("answer.too_many", limit=MAX_CELLS))
        return [evaluate(value) for value in given]
    if not all(rows) or len({len(row) for row in given}) != 1 or not given[0]:
        raise AnswerError(t("answer.ragged"))
    if any(isinstance(value, list) for row in given for value in row):
        raise AnswerError(t("answer.not_list"))
    if len(given) * len(given[0]) > MAX_CELLS:
        raise AnswerError(t("answer.too_many", limit=MAX_CELLS))
    return [[evaluate(value) for value in row] for row in given]


def shape_of(value: Any) -> tuple[int, ...] | None:
    """The shape of a read number, vector or matrix (lists of lists), or None when it is ragged."""
    if not isinstance(value, (list, tuple)):
        return ()
    inner = {shape_of(item) for item in value}
    if len(inner) > 1 or None in inner:
        return None
    below = inner.pop() if inner else ()
    return None if below is None else (len(value), *below)


def _flat(value: Any) -> list[Any]:
    return [cell for item in value for cell in _flat(item)] if isinstance(value, (list, tuple)) else [value]


# --- comparing ---------------------------------------------------------------------------------


def _close(a: Fraction, b: Any, question: Question) -> bool:
    b = Fraction(b) if not isinstance(b, Fraction) else b
    tolerance = question.tolerance
    return bool(abs(a - b) <= max(Fraction(tolerance.absolute), Fraction(tolerance.relative) * abs(b)))


def _same(question: Question, got: Any, right: Any, numbers: dict[str, Any], sample: list[dict[str, Fraction]]) -> bool:
    """Whether the read answer ``got`` is the answer ``right``."""
    if question.kind == "number":
        return _close(got, right, question)
    if question.kind == "choice":
        return bool(got == {str(c).lower() for c in right})
    if question.kind == "matrix":
        expected = _plain(right)
        shape = shape_of(got)
        return shape is not None and shape == shape_of(expected) and all(
            _close(a, b, question) for a, b in zip(_flat(got), _flat(expected)))
    for point in sample:
        try:
            if evaluate(got, point) != evaluate(right, point):
                return False
        except AnswerError:
            return False
    return True


def sample_points(question: Question, key: Key, seed: int) -> list[dict[str, Fraction]]:
    rng = np.random.default_rng([seed, zlib.crc32(question.id.encode()), 7])
    draw = key.points or (lambda rng: {name: int(rng.integers(1, 30)) for name in question.variables})
    return [{name: Fraction(value) for name, value in draw(rng).items()} for _ in range(EXPRESSION_POINTS)]


def judge(question: Question, given: Any, key: Key, numbers: dict[str, Any], seed: int = 0,
          sample: list[dict[str, Fraction]] | None = None) -> None:
    """Raise a ``Mismatch`` (with the known mistake's hint when one explains the answer) unless it is right.
    A formula is compared at ``sample`` when given, else at the points drawn from ``seed``."""
    what = question.id
    try:
        got = read_answer(question, given)
    except AnswerError as error:
        raise Mismatch(Finding(t("question.malformed", question=what, reason=error.text),
                               t("question.malformed", question=what, reason=error.text))) from None
    if sample is None:
        sample = sample_points(question, key, seed) if question.kind == "expression" else []
    if _same(question, got, key.right, numbers, sample):
        return
    explained = {mistake for mistake, answer in key.mistakes if _same(question, got, answer, numbers, sample)}
    shown = given if isinstance(given, (int, float, str)) else json.dumps(given, ensure_ascii=False)
    shown = _one_line(str(shown))[:80]
    raise Mismatch(Finding(t("question.wrong", question=what, got=shown), t("question.wrong.hidden", question=what),
                           explained.pop() if len(explained) == 1 else None))


# --- the generic tests -------------------------------------------------------------------------


def given_answer(question: Question, answers: Any, problem: Text | None, missing: str = "question.missing") -> Any:
    """The answer to ``question`` among decoded ``answers`` (``grader.running.answers.Answers``), or a
    ``Mismatch`` saying why there is none: the answers cannot be read (``problem``), this one cannot be read
    (its own reason: it costs this question only), or it is not there (``missing``, the message that says so)."""
    if problem is not None:
        text = t("question.unreadable", question=question.id, reason=problem)
        raise Mismatch(Finding(text, text))
    if answers is not None and question.id in answers.refused:
        text = t("question.malformed", question=question.id, reason=answers.refused[question.id])
        raise Mismatch(Finding(text, text))
    given = answers.values.get(question.id) if answers is not None else None
    if given is None:
        text = t(missing, question=question.id)
        raise Mismatch(Finding(text, text))
    return given


def _answers_or_fail(grading: Any, question: Question) -> Any:
    intake = grading.session.intake
    return given_answer(question, intake.answers, intake.answers_problem)


def test_answer_is_well_formed(question: Question, grading: Any) -> None:
    """Public: the question is answered, in a form it can be graded in (its correctness needs the key)."""
    given = _answers_or_fail(grading, question)
    try:
        read_answer(question, given)
    except AnswerError as error:
        text = t("question.malformed", question=question.id, reason=error.text)
        raise Mismatch(Finding(text, text)) from None


def test_question(question: Question, grading: Any) -> None:
    """Hidden: the answer is right for this student's numbers."""
    given = _answers_or_fail(grading, question)
    numbers = parameters(grading.unit, question, grading.student)
    key = key_of(grading.unit, question, numbers, grading.code)
    judge(question, given, key, numbers, grading.seed)
