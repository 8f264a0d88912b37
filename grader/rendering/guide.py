"""``grader check``: the student's guide through the public checks.

Tasks in the lesson's order, what passes, the hint for each failure, the
public score so far, and the next step (see ``next_step``): in the first task
that still fails, the function to fix, or else the next stub to implement (in
the order the lesson writes them, ``covers`` in ``course.yaml``). Colours and
symbols on a terminal, words when piped.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.course import Task, Unit
from ..model.messages import Language, Text, render, t
from ..model.results import Outcome, Run
from .feedback import Feedback, points, visibility
from .inert import visible
from .scoring import Score


@dataclass(frozen=True)
class Style:
    colour: bool  # ANSI colours and the symbols ✓ and ✗; else words in the student's language

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def mark(self, passed: bool, feedback: Feedback) -> str:
        if self.colour:
            return self.paint("✓", "32") if passed else self.paint("✗", "31")
        return feedback.say(t("check_cmd.ok" if passed else "check_cmd.fail"))


TERMINAL = Style(True)
PLAIN = Style(False)


def _stub(outcome: Outcome) -> str:
    """The function whose stub this failure ran into, or ''."""
    finding = outcome.finding
    if finding is not None and finding.text.code == "session.not_implemented":
        return str(finding.text.params.get("function", ""))
    return ""


def _short(name: str) -> str:
    """``Scaler.__init__`` -> ``init``, ``map_each`` -> ``map_each``: how test names mention a function."""
    return name.rpartition(".")[2].strip("_")


def _covered(task: Task, name: str) -> str:
    """The entry of the task's ``covers`` that ``name`` (a qualified name from student code) is, or ''."""
    for entry in task.covers:
        if name == entry or entry.endswith("." + name) or name.endswith("." + entry):
            return entry
    return ""


def culprit(task: Task, outcome: Outcome) -> str:
    """The function to change for a failed check: where the student's code raised, when that is one of the
    task's functions; else the function the test's name speaks of; else the task's first function."""
    finding = outcome.finding
    raised_in = str(finding.text.params.get("function", "")) if finding is not None else ""
    if raised_in and _covered(task, raised_in):
        return _covered(task, raised_in)
    words = outcome.name.split("[")[0].removeprefix("test_")
    named = [entry for entry in task.covers if f"_{_short(entry)}_" in f"_{words}_"]
    return max(named, key=lambda entry: len(_short(entry))) if named else task.covers[0]


def _unreadable_module(outcome: Outcome) -> str:
    """The module this failure could not even import (a syntax error, a missing file...), or ''."""
    finding = outcome.finding
    if finding is not None and (finding.text.code == "session.import" or finding.text.code.startswith("intake.")):
        return str(finding.text.params.get("module", ""))
    return ""


def next_step(score: Score, lang: Language = "en") -> Text | None:
    """What to do next: in the first task (in the lesson's order) that still fails, fix the function of its
    first failing check, or, when only stubs are left there, implement the first of them (in ``covers`` order).
    Checks come after the checks of what they rely on, so the first failure is the one to fix first.
    """
    for task in score.tasks:
        failures = [scored.outcome for scored in task.tests if not scored.outcome.passed]
        if task.problem:
            return t("check_cmd.fix_task", task=task.task.name(lang))
        if not failures:
            continue
        if task.task.questions:  # one test per question, named by its id: test_...[question_id]
            question = failures[0].name.partition("[")[2].rstrip("]") or failures[0].name
            return t("check_cmd.answer", question=question)
        wrong = [outcome for outcome in failures if not _stub(outcome)]
        if wrong and _unreadable_module(wrong[0]):
            return t("check_cmd.fix_module", module=_unreadable_module(wrong[0]))
        if wrong:
            return t("check_cmd.fix", function=culprit(task.task, wrong[0]), test=wrong[0].name)
        stubs = {_stub(outcome) for outcome in failures}
        for entry in task.task.covers:
            if any(_covered(task.task, stub) == entry for stub in stubs):
                return t("check_cmd.next", function=entry)
        return t("check_cmd.next", function=sorted(stubs)[0])
    return None


def guide(unit: Unit, score: Score, run: Run, path: str, feedback: Feedback, style: Style) -> str:
    say = feedback.say
    title = unit.name(feedback.lang)
    lines = [style.paint(say(t("check_cmd.title", title=title, path=path)), "1"), ""]
    for task in score.tasks:
        complete = bool(task.tests) and task.passed == len(task.tests) and not task.problem
        mark = style.mark(complete, feedback)
        counts = t("check_cmd.task", title=task.task.name(feedback.lang), passed=task.passed, total=len(task.tests))
        lines.append(f" {mark} {say(counts)}")
        if task.problem and task.problem is not run.stopped:  # a stopped run's reason is said once, below
            lines.append(f"     ! {render(task.problem, feedback.lang, visible)}")
        for scored in task.tests:
            outcome = scored.outcome
            if outcome.passed:
                continue
            message = feedback.message(outcome, visibility(task.task, outcome), visible)
            lines.append(f"     - {outcome.name}: {message}")
            hint = feedback.hint(outcome)
            if hint:
                lines.append("       " + style.paint(hint, "33"))
    for problem in [*run.intake_problems.values(), *([run.stopped] if run.stopped is not None else [])]:
        lines.append(f" ! {render(problem, feedback.lang, visible)}")
    lines += ["", say(t("check_cmd.score", score=points(score.score), max_score=points(score.max_score)))]
    step = next_step(score, feedback.lang) if run.stopped is None else None
    if step is not None:
        lines.append(style.paint(say(step), "1"))
    elif not run.intake_problems and score.score == score.max_score:
        lines.append(style.paint(say(t("check_cmd.done")), "32"))
    return "\n".join(lines)
