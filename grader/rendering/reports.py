"""Reports of a graded run: a terminal table for people, Gradescope JSON for tools."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..model.messages import render, t
from ..model.results import Run, result_id
from .feedback import Feedback, diagnosed, first_failure, lateness, points, visibility
from .inert import visible
from .open_answers import open_data, open_summary
from .scoring import Score


def _one_line(text: str, width: int = 90) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def table(score: Score, run: Run, title: str, feedback: Feedback | None = None) -> str:
    feedback = feedback or Feedback()
    rows = [("task", "points", "passed", "first failure")]
    for task in score.tasks:
        failure, _ = first_failure(feedback, task, visible)  # a terminal: the student's text shown inert
        rows.append((
            task.task.name(feedback.lang),
            f"{points(task.score)}/{points(task.max_score)}",
            f"{task.passed}/{len(task.tests)}",
            _one_line(failure) or "-",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [title, ""]
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 13)
    lines.append("")
    for problem in [*run.intake_problems.values(), *([run.stopped] if run.stopped is not None else [])]:
        lines.append(f"! {render(problem, feedback.lang, visible)}")
    late = lateness(score, feedback)
    if late:
        lines.append(late)
    lines.append(f"Total: {points(score.score)}/{points(score.max_score)}   (seed {run.seed}, {run.duration:.1f} s)")
    return "\n".join(lines)


def gradescope(score: Score, run: Run, feedback: Feedback | None = None) -> dict[str, Any]:
    """The report in Gradescope's ``results.json`` schema; each test's ``output`` as ``feedback`` explains it.

    ``score`` is after any late penalty (Gradescope takes it over the tests' sum); ``extra_data`` keeps the raw
    score and the penalty apart, and the output says how late and what it cost. Each test's ``extra_data.id``
    (``<task id>::<test name>``, see ``result_id``) names it for tools: its ``name`` is for people, translated.
    Gradescope's schema has ``extra_data`` on a test for such data of one's own.
    """
    feedback = feedback or Feedback()
    say = feedback.say
    tests = []
    any_hidden = False
    for task in score.tasks:
        if task.problem and not task.tests:
            tests.append({"name": f"{task.task.name(feedback.lang)}", "score": 0.0, "max_score": task.max_score,
                          "status": "failed", "output": render(task.problem, feedback.lang),
                          "visibility": task.task.visibility, "extra_data": {"id": task.task.id}})
        for scored in task.tests:
            outcome = scored.outcome
            seen = visibility(task.task, outcome)
            any_hidden = any_hidden or seen == "hidden"
            tests.append({
                "name": f"{task.task.name(feedback.lang)}: {outcome.name}",
                "score": scored.points,
                "max_score": scored.max_points,
                "status": "passed" if outcome.passed and not task.problem else "failed",
                "output": feedback.explain(task, scored),
                "visibility": seen,
                "extra_data": {"id": result_id(task.task.id, outcome.name)},
            })
    summary = [say(t("report.score", score=points(score.score), max_score=points(score.max_score)))]
    late = lateness(score, feedback)
    summary += [late] if late else []
    summary += [say(t("report.problem", problem=p)) for p in run.intake_problems.values()]
    summary += [say(t("report.problem", problem=run.stopped))] if run.stopped is not None else []
    opened = open_summary(run, feedback)
    summary += [opened] if opened else []
    if run.output.strip() and not any_hidden:
        # what the code printed may echo a hidden test's input: shown only when no test is hidden
        summary.append(say(t("report.printed")) + "\n" + run.output[:4000])
    return {
        "score": score.score,
        "max_score": score.max_score,
        "execution_time": round(run.duration, 3),
        "output": "\n".join(summary),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "seed": run.seed,
            "unit": run.unit,
            "student": run.student,
            "grader_version": __version__,
            "language": feedback.lang,
            "isolation_layers": run.layers,
            "intake_problems": {name: str(problem) for name, problem in run.intake_problems.items()},
            "stopped": str(run.stopped) if run.stopped is not None else None,
            "diagnosed_mistakes": diagnosed(score),
            "tasks": {task.task.id: {"score": task.score, "max_score": task.max_score} for task in score.tasks},
            "raw_score": score.raw,
            "late": score.late.as_data() if score.late is not None else None,
            "student_output": run.output[:4000],
            "open": open_data(run),
        },
    }
