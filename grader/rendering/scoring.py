"""Scoring: points per task from ``course.yaml``, spread over the task's tests.

Pure functions of the collected outcomes. A test earns its share only when it
passed explicitly; a task whose suite did not even collect earns nothing.
Given the submission's time, the unit's late policy (if it has one) takes its
penalty from the raw score; the tasks keep their raw scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..model.course import Task, Unit
from ..model.late import Lateness, assess
from ..model.messages import Text
from ..model.results import Outcome, Run


@dataclass
class ScoredTest:
    outcome: Outcome
    points: float
    max_points: float


@dataclass
class TaskScore:
    task: Task
    score: float
    max_score: float
    tests: list[ScoredTest] = field(default_factory=list)
    problem: str | Text = ""  # why the task could not be tested at all (a message, or a collection error's text)

    @property
    def passed(self) -> int:
        return sum(1 for t in self.tests if t.outcome.passed)

    @property
    def first_failure(self) -> str:
        """The task's problem, or its first failed test and why (in English: for logs and tests)."""
        if self.problem:
            return str(self.problem)
        for test in self.tests:
            if not test.outcome.passed:
                return f"{test.outcome.name}: {test.outcome.message or test.outcome.status}"
        return ""


@dataclass
class Score:
    tasks: list[TaskScore]
    late: Lateness | None = None  # how late, and what it cost (None: on time by default, no policy or no time)

    @property
    def raw(self) -> float:
        """The points the tests earned, before any late penalty."""
        return round(sum(t.score for t in self.tasks), 6)

    @property
    def score(self) -> float:
        return self.late.score if self.late is not None else self.raw

    @property
    def penalty(self) -> float:
        return self.late.penalty if self.late is not None else 0.0

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tasks), 6)


def score_run(unit: Unit, run: Run, submitted_at: datetime | None = None) -> Score:
    """The run's points, task by task; with ``submitted_at``, less the unit's late penalty (if it has a policy)."""
    tasks = []
    for task in unit.tasks:
        outcomes = [o for o in run.outcomes.values() if o.file == task.tests]
        problem: str | Text = run.stopped or run.collection_errors.get(task.tests, "")
        if not outcomes and not problem:
            problem = "no tests ran for this task"
        total_weight = sum(o.weight for o in outcomes)
        scored = []
        for outcome in outcomes:
            share = task.points * outcome.weight / total_weight if total_weight else 0.0
            earned = share if outcome.passed and not problem else 0.0
            scored.append(ScoredTest(outcome, round(earned, 6), round(share, 6)))
        passed_weight = sum(o.weight for o in outcomes if o.passed)
        earned_total = 0.0 if problem or not total_weight else task.points * passed_weight / total_weight
        tasks.append(TaskScore(task, round(earned_total, 6), task.points, scored, problem))
    score = Score(tasks)
    policy = unit.model.late
    if policy is not None and submitted_at is not None:
        score.late = assess(policy, submitted_at, score.raw, score.max_score)
    return score


def judged(score: Score) -> tuple[float, float, float]:
    """What the public checks of a submission can judge: the points of the tasks of code and their maximum, and
    the points of the tasks of questions, of which the checks see only the form (their key is not there)."""
    code = [task for task in score.tasks if not task.task.questions]
    form = sum(task.max_score for task in score.tasks if task.task.questions)
    return (round(sum(task.score for task in code), 6), round(sum(task.max_score for task in code), 6),
            round(form, 6))


def complete(score: Score, run: Run) -> bool:
    """Whether everything a student must hand in is there and every public check passes: every task's checks
    (the questions' answers there and readable), every open question answered, nothing stopped or unreadable."""
    if run.intake_problems or run.stopped is not None:
        return False
    if any(task.problem or not task.tests or task.passed != len(task.tests) for task in score.tasks):
        return False
    return all(answer.text for answer in run.open_answers.values())
