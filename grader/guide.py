"""``grader check``: the student's guide through the public checks.

Tasks in the lesson's order, what passes, the hint for each failure, the
public score so far, and the next step: the first function (in the order the
lesson writes them, from ``covers`` in ``course.yaml``) that is still a stub,
or else the first failing check to fix. Colours and symbols on a terminal,
plain ASCII when piped.
"""

from __future__ import annotations

from dataclasses import dataclass

from .course import Course
from .feedback import Feedback, visibility
from .messages import t
from .runner import Run
from .scoring import Score


@dataclass(frozen=True)
class Style:
    passed: str
    failed: str
    colour: bool

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text


TERMINAL = Style("✓", "✗", True)
PLAIN = Style("ok", "FAIL", False)


def not_implemented(score: Score) -> set[str]:
    """The functions that raised NotImplementedError somewhere in the run."""
    found = set()
    for task in score.tasks:
        for scored in task.tests:
            finding = scored.outcome.finding
            if finding is not None and finding.text.code == "session.not_implemented":
                found.add(str(finding.text.params.get("function", "")))
    return found


def next_function(course: Course, score: Score) -> str:
    stubs = not_implemented(score)
    for task in course.model.tasks:
        for name in task.covers:
            if any(name == s or name.endswith("." + s) or s.endswith("." + name) for s in stubs):
                return name
    return sorted(stubs)[0] if stubs else ""


def guide(course: Course, score: Score, run: Run, path: str, feedback: Feedback, style: Style) -> str:
    say = feedback.say
    title = course.model.name(feedback.lang)
    lines = [style.paint(say(t("check_cmd.title", title=title, path=path)), "1"), ""]
    first_fix = ""
    for task in score.tasks:
        complete = bool(task.tests) and task.passed == len(task.tests) and not task.problem
        mark = style.paint(style.passed, "32") if complete else style.paint(style.failed, "31")
        counts = t("check_cmd.task", title=task.task.name(feedback.lang), passed=task.passed, total=len(task.tests))
        lines.append(f" {mark} {say(counts)}")
        if task.problem:
            lines.append(f"     ! {task.problem}")
        for scored in task.tests:
            outcome = scored.outcome
            if outcome.passed:
                continue
            message = feedback.message(outcome, visibility(task.task, outcome))
            lines.append(f"     - {outcome.name}: {message}")
            hint = feedback.hint(outcome)
            if hint:
                lines.append("       " + style.paint(hint, "33"))
            first_fix = first_fix or outcome.name
    for problem in run.intake_problems.values():
        lines.append(f" ! {say(problem)}")
    lines += ["", say(t("check_cmd.score", score=f"{score.score:g}", max_score=f"{score.max_score:g}"))]
    function = next_function(course, score)
    if function:
        lines.append(style.paint(say(t("check_cmd.next", function=function)), "1"))
    elif first_fix:
        lines.append(style.paint(say(t("check_cmd.fix", test=first_fix)), "1"))
    elif score.score == score.max_score:
        lines.append(style.paint(say(t("check_cmd.done")), "32"))
    return "\n".join(lines)
