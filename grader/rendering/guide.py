"""``grader check``: the student's guide through the public checks.

Tasks in the lesson's order, what passes, the hint for each failure, the
public score so far, and the next step (see ``next_step``): in the first task
that still fails, the function to fix, or else the next stub to implement (in
the order the lesson writes them, ``covers`` in ``course.yaml``). Colours and
symbols on a terminal, words when piped.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ..model.course import Task, Unit
from ..model.messages import Language, Text, points_of, render, t
from ..model.results import Outcome, Practised, Printed, Run
from .feedback import Feedback, points, visibility
from .inert import visible
from .scoring import Score, judged
from .scoring import complete as handed_in


@dataclass(frozen=True)
class Style:
    colour: bool  # ANSI colours and the symbols ✓ and ✗; else words in the student's language

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def mark(self, passed: bool, feedback: Feedback) -> str:
        if self.colour:
            return self.paint("✓", "32") if passed else self.paint("✗", "31")
        words = [feedback.say(t(code)) for code in ("check_cmd.ok", "check_cmd.fail")]
        word = words[0 if passed else 1]
        return word + " " * (max(map(width, words)) - width(word))  # the tasks' titles line up under each other


def width(text: str) -> int:
    """How many columns ``text`` takes on a terminal: two for each wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


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
    if finding is not None and (finding.text.code in ("session.import", "session.import_cell")
                                or finding.text.code.startswith("intake.")):
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
            finding = failures[0].finding
            if finding is not None and finding.text.code != "question.missing":  # answered, but not readably
                return t("check_cmd.fix_answer", question=question)
            return t("check_cmd.answer", question=question)
        wrong = [outcome for outcome in failures if not _stub(outcome)]
        finding = wrong[0].finding if wrong else None
        if finding is not None and finding.text.code == "intake.notebook_missing":
            return t("check_cmd.fix_notebook", module=_unreadable_module(wrong[0]))
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


SHOWN_LINES = 20  # of what one check's calls printed, at most this many lines
SHOWN_CHARACTERS = 2000  # and this many characters are shown under it


def printed_lines(printed: list[Printed], feedback: Feedback, style: Style) -> list[str]:
    """What a check's calls printed, under it: the first lines, each inert, and how much more there was."""
    text = "".join(part.text for part in printed)
    more = sum(part.more for part in printed)
    if not text.strip() and not more:
        return []
    shown = text[:SHOWN_CHARACTERS].splitlines(keepends=True)[:SHOWN_LINES]
    left = more + len(text) - sum(len(line) for line in shown)
    lines = ["       " + feedback.say(t("check_cmd.printed"))]
    lines += ["       " + style.paint("| ", "2") + visible(line.rstrip("\r\n")) for line in shown]
    if left > 0:
        lines.append("       " + style.paint("| ", "2") + feedback.say(t("check_cmd.printed_more", count=left)))
    return lines


def practice_lines(practised: list[Practised], problem: Text | None, feedback: Feedback, style: Style) -> list[str]:
    """The practice answers' verdicts: how many are right, and for each that is not, why, with its hint."""
    if problem is not None:
        return [f" ! {render(problem, feedback.lang, visible)}"]
    if not practised:
        return []
    right = sum(result.right for result in practised)
    mark = style.mark(right == len(practised), feedback)
    lines = [f" {mark} {feedback.say(t('check_cmd.practice', right=right, total=len(practised)))}"]
    for result in practised:
        if result.right or result.finding is None:
            continue
        lines.append(f"     - {render(result.finding.text, feedback.lang, visible)}")
        hint = feedback.hint_of(result.finding)
        if hint:
            lines.append("       " + style.paint(hint, "33"))
    return lines


def open_lines(run: Run, feedback: Feedback, style: Style) -> list[str]:
    """The open questions: how many are answered (they are graded by a person, so nothing more is judged here),
    and which are not yet."""
    if not run.open_answers:
        return []
    answers = list(run.open_answers.values())
    answered = sum(1 for answer in answers if answer.text)
    mark = style.mark(answered == len(answers), feedback)
    lines = [f" {mark} {feedback.say(t('open.check', answered=answered, total=len(answers)))}"]
    lines += [f"     - {feedback.say(t('open.missing', question=answer.question))}" for answer in answers
              if not answer.text]
    return lines


def guide(unit: Unit, score: Score, run: Run, path: str, feedback: Feedback, style: Style,
          practice: list[Practised] | None = None, practice_problem: Text | None = None,
          offer_practice: bool = False) -> str:
    """The whole of ``grader check``'s report. ``practice``: the practice answers' verdicts (None: no
    practice.yaml), or ``practice_problem`` when it could not be read; ``offer_practice``: the unit has practice
    questions, to point to when the student has not answered them."""
    say = feedback.say
    title = unit.name(feedback.lang)
    lines = [style.paint(say(t("check_cmd.title", title=title, path=path)), "1"), ""]
    # what stops a module from being read or imported at all, first, once: each check it stops points up here
    for problem in run.intake_problems.values():
        lines.append(f" ! {render(problem, feedback.lang, visible)}")
    unreadable = set(run.intake_problems)  # modules whose failure to import is told already
    for task in score.tasks:
        for scored in task.tests:
            module = _unreadable_module(scored.outcome)
            if module and module not in unreadable:
                unreadable.add(module)
                lines.append(f" ! {feedback.message(scored.outcome, visibility(task.task, scored.outcome), visible)}")
    for task in score.tasks:
        complete = bool(task.tests) and task.passed == len(task.tests) and not task.problem
        mark = style.mark(complete, feedback)
        counts = t("check_cmd.task_questions" if task.task.questions else "check_cmd.task",
                   title=task.task.name(feedback.lang), passed=task.passed, total=len(task.tests))
        lines.append(f" {mark} {say(counts)}")
        if task.problem and task.problem is not run.stopped:  # a stopped run's reason is said once, below
            lines.append(f"     ! {render(task.problem, feedback.lang, visible)}")
        again: dict[str, list[str]] = {}  # per module: checks of this task that failed for a failure told already
        for scored in task.tests:
            outcome = scored.outcome
            if outcome.passed:
                printed = printed_lines(outcome.printed, feedback, style)
                if printed:
                    lines += [f"     + {outcome.name}: {say(t('check_cmd.passes'))}", *printed]
                continue
            module = _unreadable_module(outcome)
            if module and not outcome.printed:
                again.setdefault(module, []).append(outcome.name)
                continue
            message = feedback.message(outcome, visibility(task.task, outcome), visible)
            lines.append(f"     - {outcome.name}: {message}")
            hint = feedback.hint(outcome)
            if hint:
                lines.append("       " + style.paint(hint, "33"))
            lines += printed_lines(outcome.printed, feedback, style)
        for module, names in again.items():
            lines.append(f"     - {say(t('check_cmd.same_import', tests=', '.join(names), module=module))}")
    if run.stopped is not None:
        lines.append(f" ! {render(run.stopped, feedback.lang, visible)}")
    lines += open_lines(run, feedback, style)
    lines += practice_lines(practice or [], practice_problem, feedback, style)
    lines += ["", public_score(score, feedback)]
    if any(task.task.questions for task in score.tasks):
        lines.append(say(t("check_cmd.questions_form")))
        if offer_practice and practice is None and practice_problem is None:
            lines.append(say(t("check_cmd.practice_offer")))
    step = next_step(score, feedback.lang) if run.stopped is None else None
    if step is not None:
        lines.append(style.paint(say(step), "1"))
    elif handed_in(score, run):
        lines.append(style.paint(say(t("check_cmd.done")), "32"))
    elif not run.intake_problems and run.stopped is None:  # the code passes; answers are missing
        missing = sum(len(task.tests) - task.passed for task in score.tasks if task.task.questions)
        missing += sum(1 for answer in run.open_answers.values() if not answer.text)
        lines.append(style.paint(say(t("check_cmd.answers_missing", count=missing)), "1"))
    return "\n".join(lines)


def public_score(score: Score, feedback: Feedback) -> str:
    """The public score as the public checks can judge it: the points of the code's checks; the questions' points
    are named apart (only their answers' form is checked here), and never counted as earned."""
    code, code_max, form = judged(score)
    if not form:
        return feedback.say(t("check_cmd.score", score=points(code), max_score=points(code_max)))
    if not code_max:
        return feedback.say(t("check_cmd.score_none", form=points_of(form)))
    return feedback.say(t("check_cmd.score_judged", score=points(code), max_score=points(code_max),
                          form=points_of(form)))
