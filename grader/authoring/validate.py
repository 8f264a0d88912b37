"""``grader validate``: prove a unit is sound before it reaches students.

- ``course.yaml`` is valid and ``exercises/`` is in sync with ``solutions/``;
  the unit's stubs leave no unused import behind;
- the solutions get full marks, public and hidden; the stubs get 0, every
  test failing; every correct submission of ``styles`` gets full marks;
- every known mistake loses points on the tests that concern it, keeps all
  the others, and so scores strictly between 0 and full marks; the feedback
  names it (its ``hint``) and no mistake it does not make; and, unless the
  catalogue says why they cannot (``public: "the reason"``), the public checks
  lose points on it and name it too, so a student learns of it before the grade;
- every function a task ``covers`` has a public check: with it alone left a
  stub, a public check of its task fails;
- every hint id a mistake names, or a prediction gave during all of this, is
  in the hints catalogue, in every language;
- the nbgrader notebook builds, its test cells pass on the solutions and each
  fails on the stubs;
- every mutant of the solutions (``grader.authoring.mutants``) loses points in
  the hidden suites, or is listed in the unit's ``survivors.yaml`` with why it
  is no mistake (and every entry listed there is still a survivor).
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pyflakes.checker import Checker
from pyflakes.messages import UnusedImport

from ..kit.diagnosis import Mismatch
from ..model.course import CourseError, Unit
from ..model.hints import HintsError, load_hints
from ..model.messages import points_of
from ..model.results import Kind
from ..rendering.feedback import diagnosed, points
from ..rendering.scoring import Score, score_run
from ..running.answers import ANSWERS_FILE
from ..running.answers import NOTEBOOK_CELL as ANSWERS_CELL
from ..running.course_code import load_code
from ..running.pipeline import run_suites
from ..trust.policy import SandboxMode
from .mistakes import Mistake, load_mistakes, materialize, stale_edits
from .mutants import analyse, report
from .release import ReleaseError, source_notebook
from .stubs import make_stub, stale_files


@dataclass
class MistakeVerdict:
    mistake: Mistake
    score: Score
    unexpected_failures: list[str]  # tests outside the mistake's concern that failed
    concerned_failures: list[str]
    diagnosed: list[str] = field(default_factory=list)  # the mistakes the feedback named
    public_score: Score | None = None  # the public checks' verdict, for a mistake they must catch
    public_diagnosed: list[str] = field(default_factory=list)

    def _names_it(self, diagnosed: list[str]) -> bool:
        if not self.mistake.hint:
            return True
        return self.mistake.hint in diagnosed and set(diagnosed) <= {self.mistake.hint, *self.mistake.also}

    @property
    def diagnosis_ok(self) -> bool:
        return self._names_it(self.diagnosed)

    @property
    def public_ok(self) -> bool:
        """The public checks lose points on it and give its hint (when the catalogue asks them to)."""
        if self.public_score is None:
            return True
        return self.public_score.score < self.public_score.max_score and self._names_it(self.public_diagnosed)

    @property
    def ok(self) -> bool:
        return (not self.unexpected_failures and bool(self.concerned_failures)
                and 0 < self.score.score < self.score.max_score and self.diagnosis_ok and self.public_ok)


class Validation:
    """One unit's validation: grades through the usual pipeline, recording every prediction asked for."""

    def __init__(self, unit: Unit, seed: int, sandbox_mode: SandboxMode = "auto") -> None:
        self.unit, self.seed, self.mode = unit, seed, sandbox_mode
        self.code = load_code(unit)
        self.predicted: dict[str, Any] = {}  # every call to the unit's predictions, with the pairs it gave

    def grade(self, path: Path, kind: Kind = "hidden") -> Score:
        run = run_suites(self.unit, path, kind, seed=self.seed, sandbox_mode=self.mode, record=self.predicted,
                         code=self.code)
        return score_run(self.unit, run)

    def hint_ids(self) -> set[str]:
        return {str(mistake) for pairs in self.predicted.values() for mistake, _ in pairs}


def judge_mistake(unit: Unit, mistake: Mistake, seed: int, sandbox_mode: SandboxMode = "auto",
                  validation: Validation | None = None) -> MistakeVerdict:
    validation = validation or Validation(unit, seed, sandbox_mode)
    public = None
    with tempfile.TemporaryDirectory(prefix="grader-mistake-") as folder:
        path = materialize(unit, mistake, Path(folder) / mistake.name)
        score = validation.grade(path)
        if mistake.public:
            public = validation.grade(path, "public")
    unexpected: list[str] = []
    concerned: list[str] = []
    for task in score.tasks:
        for test in task.tests:
            outcome = test.outcome
            if outcome.passed:
                continue
            label = f"{outcome.file}::{outcome.name}"
            (concerned if mistake.concerns_test(outcome.file, outcome.name) else unexpected).append(
                f"{label}: {outcome.message}")
    return MistakeVerdict(mistake, score, unexpected, concerned, diagnosed(score), public,
                          diagnosed(public) if public is not None else [])


def unchecked_functions(unit: Unit, validation: Validation) -> list[str]:
    """The functions a task ``covers`` that no public check of the task notices missing: the solutions with that
    one function left a stub pass every public check of its task."""
    unchecked = []
    with tempfile.TemporaryDirectory(prefix="grader-one-stub-") as folder:
        for task in unit.tasks:
            if task.module is None:
                continue
            source = (unit.source_dir / f"{task.module}.py").read_text(encoding="utf-8")
            solved = make_stub(source, task.module, only="")  # every region kept: the solution, markers gone
            for function in task.covers:
                if make_stub(source, task.module, only=function) == solved:
                    continue  # no solution region: given code, never a stub for a student to leave
                copy = Path(folder) / f"{task.id}-{function}"
                shutil.copytree(unit.source_dir, copy, ignore=shutil.ignore_patterns("__pycache__"))
                (copy / f"{task.module}.py").write_text(make_stub(source, task.module, only=function),
                                                        encoding="utf-8")
                score = validation.grade(copy, "public")
                tests = next(t.tests for t in score.tasks if t.task.id == task.id)
                if all(test.outcome.passed for test in tests):
                    unchecked.append(f"{task.id}: {function}")
                shutil.rmtree(copy)
    return unchecked


def with_answers(unit: Unit, style: Path, into: Path) -> Path:
    """A style is another way of writing the code: it answers the questions as the solutions do (when it has no
    answers of its own), from a copy, so nothing is written into the style's folder."""
    key = unit.source_dir / ANSWERS_FILE
    if not unit.has_questions or (style / ANSWERS_FILE).exists() or not key.is_file():
        return style
    folder = into / style.name
    shutil.copytree(style, folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(key, folder / ANSWERS_FILE)
    return folder


def unused_imports(source: str, filename: str) -> list[str]:
    """The imports a module never uses (pyflakes), as ``line: name``."""
    checker = Checker(ast.parse(source, filename), filename)
    return [f"{message.lineno}: {message.message_args[0]}" for message in checker.messages
            if isinstance(message, UnusedImport)]


_RUN_CELLS = """
import json, sys
results = []
namespace = {"__name__": "__main__"}
for ident, source in json.load(sys.stdin):
    try:
        exec(compile(source, ident, "exec"), namespace)
        results.append([ident, None])
    except BaseException as error:
        results.append([ident, (type(error).__name__ + ": " + str(error))[:300]])
print(json.dumps(results))
"""


def run_cells(cells: list[tuple[str, str]], timeout: float = 120) -> dict[str, str | None]:
    """Execute notebook cells in order in a fresh interpreter: each cell's error, or None."""
    with tempfile.TemporaryDirectory(prefix="grader-notebook-") as folder:
        done = subprocess.run([sys.executable, "-c", _RUN_CELLS], input=json.dumps(cells), capture_output=True,
                              text=True, timeout=timeout, cwd=folder)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "the cells did not run")
    return {ident: error for ident, error in json.loads(done.stdout.strip().splitlines()[-1])}


def notebook_problems(unit: Unit) -> list[str]:
    """Why the unit's notebook is not sound: its test cells must pass on the solutions and fail on the stubs."""
    try:
        notebook = source_notebook(unit)
    except ReleaseError as error:
        return [str(error)]
    code = [(cell["metadata"]["nbgrader"]["grade_id"], cell["source"], cell["metadata"]["nbgrader"])
            for cell in notebook["cells"] if cell["cell_type"] == "code"]
    solved = run_cells([(ident, source) for ident, source, _ in code])
    def stub(ident: str, source: str) -> str:  # what a student starts from: the answers cell starts empty
        return "ANSWERS = {}\n" if ident == ANSWERS_CELL else make_stub(source, ident)

    stubbed = run_cells([(ident, stub(ident, source) if meta.get("solution") else source)
                         for ident, source, meta in code])
    problems = []
    for ident, _, meta in code:
        if meta.get("solution") and solved.get(ident) is not None:
            problems.append(f"notebook: the answer cell {ident} fails on the solutions: {solved[ident]}")
        if not meta.get("grade"):
            continue
        if solved.get(ident) is not None:
            problems.append(f"notebook: the test cell {ident} fails on the solutions: {solved[ident]}")
        if stubbed.get(ident) is None:
            problems.append(f"notebook: the test cell {ident} passes on the stubs (it tests nothing of the answer)")
    return problems


SAMPLE_STUDENTS = (None, "student-a", "student-b", "student-c", "student-d", "student-e")


def question_problems(unit: Unit, code: Any) -> tuple[list[str], set[str]]:
    """Why the unit's questions are not sound, and the hint ids their keys use.

    For the default variant and a few students: every question has numbers, a
    key, and a right answer that is judged right; every known wrong answer is
    judged wrong with its own hint (or with none, where two mistakes answer
    alike). ``solutions/answers.yaml`` holds the default variant's key.
    """
    from ..kit.questions import answer_key, judge, key_of, parameters, questions_of

    problems: list[str] = []
    used: set[str] = set()
    questions = questions_of(unit)
    for student in SAMPLE_STUDENTS:
        for question in questions:
            numbers = parameters(unit, question, student)
            key = key_of(unit, question, numbers, code)
            right = answer_key(unit, student, code)[question.id]
            who = f"question {question.id} ({student or 'default variant'})"
            try:
                judge(question, right, key, numbers)
            except Mismatch as failure:
                problems.append(f"{who}: the key's own answer is judged wrong: {failure.finding.text}")
                continue
            answers = [(mistake, _written(question, answer)) for mistake, answer in key.mistakes]
            for mistake, answer in answers:
                used.add(mistake)
                try:
                    judge(question, answer, key, numbers)
                except Mismatch as failure:
                    alike = {m for m, a in answers if a == answer}
                    if failure.finding.mistake != mistake and len(alike) == 1:
                        problems.append(f"{who}: the answer of {mistake} ({answer}) is named "
                                        f"{failure.finding.mistake or 'no mistake'}")
    solutions = unit.source_dir / "answers.yaml"
    try:
        given = yaml.safe_load(solutions.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        given = {}
    expected = answer_key(unit, None, code)
    stale = sorted(q for q in expected if given.get(q) != expected[q])
    if stale:
        problems.append(f"{solutions.relative_to(unit.root)} is out of date ({', '.join(stale)}): run "
                        f"`grader questions --unit {unit.id} --key` and keep its answers there")
    return problems, used


def _written(question: Any, answer: Any) -> Any:
    """A key's answer as a student would write it in answers.yaml."""
    if question.kind == "choice":
        return sorted(answer)
    if isinstance(answer, (set, tuple)):
        return list(answer)
    return answer


def style_problems(unit: Unit, say: Any = print) -> list[str]:
    """Correct submissions written independently (the solutions and each style) must not look alike to the
    similarity pass: students who wrote them would be flagged as copies. The rule is the pass's own (its default
    threshold), so it is as fair to a unit of twenty lines as to one of two hundred. Needs copydetect (the
    ``batch`` extra); without it, said and skipped."""
    from ..classwork.discovery import Entry
    from ..classwork.similarity import DEFAULT_THRESHOLD, available, compare_class

    styles = unit.content("styles")
    correct = [Entry("solutions", unit.source_dir)]
    correct += [Entry(path.name, path) for path in sorted(styles.iterdir()) if path.is_dir()] if styles else []
    if len(correct) < 2 or not unit.modules:
        return []
    if not available():
        say("  styles: not compared (copydetect is not installed: python3 -m pip install 'convgrader[batch]')")
        return []
    flagged = compare_class(unit, correct, DEFAULT_THRESHOLD).pairs
    say(f"  styles: {len(correct)} correct submissions, {len(flagged)} pairs alike to the similarity pass")
    return [f"the correct submissions {pair.a} and {pair.b} look alike to the similarity pass ({pair.similarity:.2f}, "
            f"flagged from {DEFAULT_THRESHOLD:.2f}: {', '.join(pair.functions[:4]) or 'their code'}): students who "
            "wrote them would be flagged as copies; write one of them otherwise" for pair in flagged]


def validate_unit(unit: Unit, seed: int, mode: SandboxMode, say: Any = print, mutants: bool = True) -> list[str]:
    """Every check above for one unit (the mutants unless told not to); returns the problems found (none: the
    unit is sound)."""
    problems: list[str] = []
    validation = Validation(unit, seed, mode)
    say(f"Validating unit {unit.id}: {unit.name()} (seed {seed})")

    for module in unit.modules:
        path = unit.stubs_dir / f"{module}.py"
        unused = unused_imports(path.read_text(encoding="utf-8"), path.name) if path.is_file() else []
        if unused:
            problems.append(f"{unit.course.model.stubs}/{path.name} imports what it never uses ({', '.join(unused)}):"
                            " an import only a solution region needs belongs inside that region")

    for kind in ("hidden", "public"):
        solutions = validation.grade(unit.source_dir, kind)  # type: ignore[arg-type]
        stubs = validation.grade(unit.stubs_dir, kind)  # type: ignore[arg-type]
        passing = [t.outcome.name for task in stubs.tasks for t in task.tests if t.outcome.passed]
        say(f"  {kind}: solutions {points(solutions.score)}/{points(solutions.max_score)}, "
            f"stubs {points(stubs.score)}/{points(stubs.max_score)}")
        if solutions.score != solutions.max_score:
            failing = [t.outcome.name for task in solutions.tasks for t in task.tests if not t.outcome.passed]
            problems.append(f"the solutions do not get full marks from the {kind} suites: {', '.join(failing[:5])}")
        if stubs.score != 0 or passing:
            problems.append(f"{kind} tests pass on the untouched stubs: {', '.join(passing) or '(score not 0)'}")

    if unit.content("readme") is not None and unit.content("readme_zh") is None:
        problems.append(f"the student README has no Chinese version ({unit.shown(unit.folder)}/student.zh.md): "
                        "every document a student reads comes in both languages")
    unchecked = unchecked_functions(unit, validation)
    say(f"  public checks: {'every covered function has one' if not unchecked else 'MISSING for some functions'}")
    problems += [f"no public check of task {entry} notices it left a stub: every function a task covers needs a "
                 "public check, or students learn of a mistake in it only from the grade" for entry in unchecked]

    styles = unit.content("styles")
    with tempfile.TemporaryDirectory(prefix="grader-styles-") as copies:
        for style in sorted(p for p in styles.iterdir() if p.is_dir()) if styles is not None else []:
            graded = with_answers(unit, style, Path(copies))
            for kind in ("hidden", "public"):
                score = validation.grade(graded, kind)  # type: ignore[arg-type]
                say(f"  style {style.name}, {kind}: {points(score.score)}/{points(score.max_score)}")
                if score.score != score.max_score:
                    problems.append(f"the correct style {style.name} loses points in the {kind} suites")
    problems += style_problems(unit, say)

    try:  # a catalogue that cannot be read is its own problems; the rest of the unit is checked as usual
        mistakes = load_mistakes(unit)
        stale = stale_edits(unit)
    except CourseError as error:
        problems += error.problems
        mistakes, stale = [], {}
    problems += stale.values()  # each stale mistake said once; the others are judged
    for mistake in mistakes:
        if mistake.name in stale:
            say(f"  BAD mistake {mistake.name}: its edits no longer apply to the solutions")
            continue
        verdict = judge_mistake(unit, mistake, seed, mode, validation)
        mark = "ok " if verdict.ok else "BAD"
        public = verdict.public_score
        shown = f"; public {points(public.score)}/{points(public.max_score)}" if public is not None else ""
        say(f"  {mark} mistake {mistake.name}: {points(verdict.score.score)}/{points(verdict.score.max_score)} "
            f"({len(verdict.concerned_failures)} tests catch it{shown})")
        if not verdict.ok:
            detail = "; ".join(verdict.unexpected_failures[:3]) or "no test catches it"
            if not verdict.diagnosis_ok:
                detail = f"the feedback names {verdict.diagnosed or 'nothing'}, not {mistake.hint}"
            elif not verdict.public_ok:
                given = str(points_of(public.score)) if public else "? points"
                detail = (f"the public checks give {given} and name "
                          f"{verdict.public_diagnosed or 'nothing'} (they should lose points and name {mistake.hint})")
            problems.append(f"mistake {mistake.name}: {detail}")

    used = validation.hint_ids() | {m.hint for m in mistakes if m.hint} | {a for m in mistakes for a in m.also}
    if unit.has_questions:
        found, asked = question_problems(unit, validation.code)
        problems += found
        used |= asked
        say(f"  questions: {'keys right, known wrong answers named' if not found else 'NOT sound'}")
    hints_path = unit.content("hints")
    try:
        hints = load_hints(hints_path) if hints_path is not None else {}
    except HintsError as error:
        problems.append(str(error))
        hints = {}
    missing = sorted(used - set(hints))
    if missing:
        problems.append(f"hint ids used by mistakes or predictions but missing from the hints catalogue: "
                        f"{', '.join(missing)}")
    say(f"  hints: {len(used)} ids in use, {len(missing)} missing from the catalogue")

    if unit.model.notebook is not None:
        found = notebook_problems(unit)
        say(f"  notebook: {'test cells pass on the solutions and fail on the stubs' if not found else 'NOT sound'}")
        problems += found

    if mutants and unit.modules:
        analysis = analyse(unit, seed, mode)
        report(analysis, say)
        problems += analysis.problems()
    return problems


def validate(units: list[Unit], seed: int, mode: SandboxMode, mutants: bool = True) -> int:
    """``grader validate``: every unit given; exit status 0 when all are sound, 1 otherwise."""
    problems: list[str] = []
    course = units[0].course
    stale = stale_files(course.source_dir, course.stubs_dir)
    if stale:
        problems.append(f"{course.model.stubs}/ is out of date ({', '.join(stale)}): run `grader stubs`")
    print(f"course.yaml valid; {course.model.stubs}/ {'STALE' if stale else 'in sync'}")
    for unit in units:
        try:
            problems += [f"{unit.id}: {problem}" for problem in validate_unit(unit, seed, mode, mutants=mutants)]
        except CourseError as error:
            problems += [f"{unit.id}: {problem}" for problem in error.problems]
    if problems:
        print("\nThe course is NOT sound:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"\nThe course is sound ({', '.join(unit.id for unit in units)}).")
    return 0
