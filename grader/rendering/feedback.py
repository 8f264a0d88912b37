"""Feedback for students: each failed test explained, in their language, as its visibility allows.

One renderer serves every report: the terminal table, ``grader check``, the
Gradescope ``output`` fields and the Markdown feedback page, so they always
say the same thing. Pure functions of the score, the run and the unit.

Visibility (from ``course.yaml``, as in Gradescope's schema):
- ``visible``: the full message (where the answer first differs, expected and
  got) and the hint;
- ``after_due_date``: the same in the Gradescope report, which shows it only
  after the due date; the Markdown page, read at once, withholds the details;
- ``hidden``: never an input, an expected value, the student's own values or
  their exception messages; the Markdown page counts hidden tests and gives
  the hints they found, without names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .. import __version__
from ..model.course import Task, Unit, Visibility
from ..model.hints import Hint, load_hints
from ..model.late import describe_duration, describe_time
from ..model.messages import Language, Text, points_of, render, t
from ..model.results import Finding, Outcome, Run
from .inert import code_span
from .scoring import Score, ScoredTest, TaskScore, complete, judged

Quote = Callable[[str], str]  # how a format shows student text inert (see ``inert``); None: as it is


@dataclass(frozen=True)
class Feedback:
    """How to explain results: the language and the unit's hints."""

    lang: Language = "en"
    hints: dict[str, Hint] = field(default_factory=dict)

    @classmethod
    def for_unit(cls, unit: Unit, lang: Language | None = None) -> Feedback:
        path = unit.content("hints")
        return cls(lang or unit.language, load_hints(path) if path is not None else {})

    def say(self, text: Text | str) -> str:
        return render(text, self.lang)

    def hint(self, outcome: Outcome) -> str:
        """The hint for the mistake this failure matches, or ''."""
        return "" if outcome.passed else self.hint_of(outcome.finding)

    def hint_of(self, finding: Finding | None) -> str:
        """The hint for the known mistake ``finding`` names, or ''."""
        mistake = finding.mistake if finding is not None else None
        if mistake is None or mistake not in self.hints:
            return ""
        return self.say(t("hint", hint=self.hints[mistake].hint[self.lang]))

    def message(self, outcome: Outcome, visibility: Visibility, quote: Quote | None = None) -> str:
        """Why the test failed ('' if it passed), without the hint; ``quote`` shows the student's text in it."""
        if outcome.passed:
            return ""
        if outcome.finding is not None:
            return render(outcome.finding.hidden if visibility == "hidden" else outcome.finding.text, self.lang,
                          quote)
        if outcome.status in ("skipped", "xfail"):
            return self.say(t("report.skipped"))
        if outcome.status == "not run":
            return self.say(t("report.not_run"))
        # a failure the test did not explain (an error in the test itself): its text may hold data
        if visibility == "hidden":
            return self.say(t("report.failed"))
        return render(outcome.message or outcome.status, self.lang, quote)

    def explain(self, task: TaskScore, scored: ScoredTest) -> str:
        """The full text of one test's result: message and hint (Gradescope's per-test ``output``)."""
        if task.problem:
            return render(task.problem, self.lang)
        outcome = scored.outcome
        return "\n".join(p for p in (self.message(outcome, visibility(task.task, outcome)), self.hint(outcome)) if p)


def visibility(task: Task, outcome: Outcome) -> Visibility:
    return task.visibility_of(outcome.name)


def first_failure(feedback: Feedback, task: TaskScore, quote: Quote | None = None) -> tuple[str, str]:
    """The first failed test of a task as (what failed, hint), for short reports."""
    if task.problem:
        return render(task.problem, feedback.lang, quote), ""
    for scored in task.tests:
        outcome = scored.outcome
        if not outcome.passed:
            seen = visibility(task.task, outcome)
            name = feedback.say(t("report.hidden_test")) if seen == "hidden" else outcome.name
            return f"{name}: {feedback.message(outcome, seen, quote)}", feedback.hint(outcome)
    return "", ""


def diagnosed(score: Score) -> list[str]:
    """The known mistakes found, most frequent first (each once)."""
    counts: dict[str, int] = {}
    for task in score.tasks:
        for scored in task.tests:
            finding = scored.outcome.finding
            if not scored.outcome.passed and finding is not None and finding.mistake:
                counts[finding.mistake] = counts.get(finding.mistake, 0) + 1
    return sorted(counts, key=lambda m: -counts[m])


def lateness(score: Score, feedback: Feedback) -> str:
    """What the late policy made of the submission's time, in the student's language ('' when nothing applied)."""
    late = score.late
    if late is None:
        return ""
    lang, zone = feedback.lang, late.zone
    due, late_by = describe_time(late.due, zone), describe_duration(late.late_by, lang)
    if late.refused:
        assert late.late_due is not None
        return feedback.say(t("late.refused", late_by=late_by, late_due=describe_time(late.late_due, zone),
                              raw=points(late.raw_score)))
    if not late.late:
        return feedback.say(t("late.on_time", submitted=describe_time(late.submitted_at, zone), due=due))
    if late.in_grace:
        return feedback.say(t("late.grace", late_by=late_by, due=due, grace=describe_duration(late.grace, lang)))
    return feedback.say(t("late.penalty", late_by=late_by, due=due, percent=points(late.percent),
                          penalty=points_of(late.penalty), raw=points(late.raw_score)))


def points(value: float) -> str:
    """A score as people read it: at most two decimals (``6.67``, ``100``); reports for tools keep all of them."""
    return f"{round(value, 2):g}"


def headline(score: float, max_score: float, feedback: Feedback) -> str:
    """The feedback page's headline: the score and the maximum, in bold under the title."""
    return f"**{feedback.say(t('report.score', score=points(score), max_score=points(max_score)))}**"


def with_headline(page: str, score: float, max_score: float, feedback: Feedback) -> str:
    """A page ``markdown`` wrote, its headline saying ``score`` of ``max_score`` (as the reviews of open answers
    make them); the page as it is when it has none. The headline is the page's first bold line, above its first
    section: a line of a student's text is in a code span, in a section, never there."""
    lines = page.split("\n")
    for number, line in enumerate(lines):
        if line.startswith("## "):
            break
        if len(line) > 4 and line.startswith("**") and line.endswith("**"):
            lines[number] = headline(score, max_score, feedback)
            return "\n".join(lines)
    return page


def markdown(unit: Unit, score: Score, run: Run, feedback: Feedback, public: bool = False) -> str:
    """The feedback page of one submission: summary, tasks, what to fix, with hints. ``public``: of the public
    checks (``grader check --feedback``), whose score counts only what they can judge (``scoring.judged``), and
    which says all passes only when all a student must hand in is there (``scoring.complete``).

    The course's own words (titles, hints) are Markdown; everything else in a message (the names of functions and
    values, and whatever the submission put there) is in a code span, every time alike, so that nothing a student
    wrote or printed is live on the page.
    """
    say = feedback.say
    lines = [f"# {say(t('feedback.title', title=unit.name(feedback.lang)))}", ""]
    code, code_max, form = judged(score)
    if public and form:
        said = t("feedback.public_score", score=points(code), max_score=points(code_max), form=points_of(form))
        lines.append(f"**{say(said)}**")
    else:
        lines.append(headline(score.score, score.max_score, feedback))
    if public and run.open_answers:  # graded by a person: here, whether each is there
        answers = list(run.open_answers.values())
        lines += ["", say(t("open.check", answered=sum(1 for a in answers if a.text), total=len(answers)))]
        lines += [f"- {say(t('open.missing', question=a.question))}" for a in answers if not a.text]
    lines.append("")
    late = lateness(score, feedback)
    if late:
        lines += [late, ""]
    problems = [*run.intake_problems.values(), *([run.stopped] if run.stopped is not None else [])]
    for problem in problems:
        lines.append(f"- {render(t('report.problem', problem=problem), feedback.lang, code_span)}")
    if problems:
        lines.append("")
    lines += [f"## {say(t('feedback.tasks'))}", "",
              f"| {say(t('feedback.task'))} | {say(t('feedback.points'))} | {say(t('feedback.tests'))} |",
              "| --- | --- | --- |"]
    for task in score.tasks:
        lines.append(f"| {task.task.name(feedback.lang)} | {points(task.score)}/{points(task.max_score)} "
                     f"| {task.passed}/{len(task.tests)} |")
    lines.append("")
    failures: list[str] = []
    given: list[str] = []  # hints already on the page
    for task in score.tasks:
        if run.stopped is not None and task.problem is run.stopped:
            continue  # said once, above
        if task.problem:
            shown = (code_span(task.problem) if isinstance(task.problem, str)  # a collection error's own text
                     else render(task.problem, feedback.lang, code_span))
            failures.append(f"- **{task.task.name(feedback.lang)}**: {shown}")
            continue
        hidden = [s for s in task.tests if visibility(task.task, s.outcome) == "hidden"]
        for scored in task.tests:
            outcome = scored.outcome
            seen = visibility(task.task, outcome)
            if outcome.passed or seen == "hidden":
                continue
            if seen == "after_due_date":
                failures.append(f"- {code_span(outcome.name)}: {say(t('report.after_due'))}")
                continue
            failures.append(f"- {code_span(outcome.name)}: {feedback.message(outcome, seen, code_span)}")
            hint = feedback.hint(outcome)
            if hint and hint not in given:  # each hint once: the first test that needs it carries it
                given.append(hint)
                failures.append(f"  - {hint}")
        if hidden:
            passed = sum(1 for s in hidden if s.outcome.passed)
            summary = say(t("report.hidden_summary", passed=passed, total=len(hidden)))
            failures.append(f"- **{task.task.name(feedback.lang)}**: {summary}")
            for scored in hidden:
                hint = feedback.hint(scored.outcome)
                if hint and hint not in given:
                    given.append(hint)
                    failures.append(f"  - {hint}")
    lines += [f"## {say(t('feedback.failures'))}", ""]
    missing = sum(1 for answer in run.open_answers.values() if not answer.text)
    if score.score == score.max_score and not failures and not (public and not complete(score, run)):
        lines.append(say(t("feedback.all_pass")))
    elif not failures and public:
        lines.append(say(t("feedback.incomplete", count=missing)))
    else:
        lines += failures
    lines += ["", f"_{say(t('feedback.seed', seed=run.seed, version=__version__))}_", ""]
    return "\n".join(lines)
