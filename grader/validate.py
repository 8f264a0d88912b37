"""``grader validate``: prove the course is sound before it reaches students.

- ``course.yaml`` is valid and ``exercises/`` is in sync with ``solutions/``;
- the solutions get full marks; the stubs get 0, every hidden test failing;
- every known mistake loses points on the tests that concern it, keeps all
  the others, and so scores strictly between 0 and full marks; and the
  feedback names it (its ``hint``) and no mistake it does not make.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import Course
from .feedback import diagnosed
from .mistakes import Mistake, load_mistakes, materialize
from .runner import run_suites
from .sandbox import SandboxMode
from .scoring import Score, score_run
from .stubs import stale_files


@dataclass
class MistakeVerdict:
    mistake: Mistake
    score: Score
    unexpected_failures: list[str]  # tests outside the mistake's concern that failed
    concerned_failures: list[str]
    diagnosed: list[str] = field(default_factory=list)  # the mistakes the feedback named

    @property
    def diagnosis_ok(self) -> bool:
        if not self.mistake.hint:
            return True
        return self.mistake.hint in self.diagnosed and set(self.diagnosed) <= {self.mistake.hint, *self.mistake.also}

    @property
    def ok(self) -> bool:
        return (not self.unexpected_failures and bool(self.concerned_failures)
                and 0 < self.score.score < self.score.max_score and self.diagnosis_ok)


def judge_mistake(
    course: Course, mistake: Mistake, seed: int, sandbox_mode: SandboxMode = "auto"
) -> MistakeVerdict:
    with tempfile.TemporaryDirectory(prefix="grader-mistake-") as folder:
        path = materialize(course, mistake, Path(folder) / mistake.name)
        score = score_run(course, run_suites(course, path, seed=seed, sandbox_mode=sandbox_mode))
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
    return MistakeVerdict(mistake, score, unexpected, concerned, diagnosed(score))


def validate(course: Course, args: argparse.Namespace) -> int:
    problems: list[str] = []
    seed, mode = args.seed, args.sandbox
    print(f"Validating {course.model.name()} (seed {seed})")
    stale = stale_files(course.source_dir, course.stubs_dir)
    if stale:
        problems.append(f"{course.model.stubs}/ is out of date ({', '.join(stale)}): run `grader stubs`")
    print(f"  course.yaml valid; {course.model.stubs}/ {'STALE' if stale else 'in sync'}")

    solutions = score_run(course, run_suites(course, course.source_dir, seed=seed, sandbox_mode=mode))
    print(f"  solutions: {solutions.score:g}/{solutions.max_score:g}")
    if solutions.score != solutions.max_score:
        problems.append("the solutions do not get full marks")
    stubs = score_run(course, run_suites(course, course.stubs_dir, seed=seed, sandbox_mode=mode))
    passing = [t.outcome.name for task in stubs.tasks for t in task.tests if t.outcome.passed]
    print(f"  stubs: {stubs.score:g}/{stubs.max_score:g}; hidden tests passing on stubs: {len(passing)}")
    if stubs.score != 0 or passing:
        problems.append(f"hidden tests pass on the untouched stubs: {', '.join(passing) or '(score not 0)'}")

    for mistake in load_mistakes(course):
        verdict = judge_mistake(course, mistake, seed, mode)
        mark = "ok " if verdict.ok else "BAD"
        print(f"  {mark} mistake {mistake.name}: {verdict.score.score:g}/{verdict.score.max_score:g} "
              f"({len(verdict.concerned_failures)} tests catch it)")
        if not verdict.ok:
            detail = "; ".join(verdict.unexpected_failures[:3]) or "no test catches it"
            if not verdict.diagnosis_ok:
                detail = f"the feedback names {verdict.diagnosed or 'nothing'}, not {mistake.hint}"
            problems.append(f"mistake {mistake.name}: {detail}")
    if problems:
        print("\nThe course is NOT sound:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nThe course is sound.")
    return 0
