"""``grader validate``: prove the course is sound before it reaches students.

- ``course.yaml`` is valid and ``exercises/`` is in sync with ``solutions/``;
- the solutions get full marks; the stubs get 0, every hidden test failing;
- every known mistake loses points on the tests that concern it, keeps all
  the others, and so scores strictly between 0 and full marks; the feedback
  names it (its ``hint``) and no mistake it does not make; and, unless the
  catalogue says ``public: false``, the public checks lose points on it and
  name it too, so a student learns of it before the grade.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..model.course import Course
from ..rendering.feedback import diagnosed, points
from ..rendering.scoring import Score, score_run
from ..running.pipeline import run_suites
from ..trust.sandbox import SandboxMode
from .mistakes import Mistake, load_mistakes, materialize
from .stubs import stale_files


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


def judge_mistake(
    course: Course, mistake: Mistake, seed: int, sandbox_mode: SandboxMode = "auto"
) -> MistakeVerdict:
    public = None
    with tempfile.TemporaryDirectory(prefix="grader-mistake-") as folder:
        path = materialize(course, mistake, Path(folder) / mistake.name)
        score = score_run(course, run_suites(course, path, seed=seed, sandbox_mode=sandbox_mode))
        if mistake.public:
            public = score_run(course, run_suites(course, path, "public", seed=seed, sandbox_mode=sandbox_mode))
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


def validate(course: Course, args: argparse.Namespace) -> int:
    problems: list[str] = []
    seed, mode = args.seed, args.sandbox
    print(f"Validating {course.model.name()} (seed {seed})")
    stale = stale_files(course.source_dir, course.stubs_dir)
    if stale:
        problems.append(f"{course.model.stubs}/ is out of date ({', '.join(stale)}): run `grader stubs`")
    print(f"  course.yaml valid; {course.model.stubs}/ {'STALE' if stale else 'in sync'}")

    solutions = score_run(course, run_suites(course, course.source_dir, seed=seed, sandbox_mode=mode))
    print(f"  solutions: {points(solutions.score)}/{points(solutions.max_score)}")
    if solutions.score != solutions.max_score:
        problems.append("the solutions do not get full marks")
    stubs = score_run(course, run_suites(course, course.stubs_dir, seed=seed, sandbox_mode=mode))
    passing = [t.outcome.name for task in stubs.tasks for t in task.tests if t.outcome.passed]
    print(f"  stubs: {points(stubs.score)}/{points(stubs.max_score)}; hidden tests passing on stubs: {len(passing)}")
    if stubs.score != 0 or passing:
        problems.append(f"hidden tests pass on the untouched stubs: {', '.join(passing) or '(score not 0)'}")

    for mistake in load_mistakes(course):
        verdict = judge_mistake(course, mistake, seed, mode)
        mark = "ok " if verdict.ok else "BAD"
        public = verdict.public_score
        shown = f"; public {points(public.score)}/{points(public.max_score)}" if public is not None else ""
        print(f"  {mark} mistake {mistake.name}: {points(verdict.score.score)}/{points(verdict.score.max_score)} "
              f"({len(verdict.concerned_failures)} tests catch it{shown})")
        if not verdict.ok:
            detail = "; ".join(verdict.unexpected_failures[:3]) or "no test catches it"
            if not verdict.diagnosis_ok:
                detail = f"the feedback names {verdict.diagnosed or 'nothing'}, not {mistake.hint}"
            elif not verdict.public_ok:
                detail = (f"the public checks give {public.score if public else '?'} points and name "
                          f"{verdict.public_diagnosed or 'nothing'} (they should lose points and name {mistake.hint})")
            problems.append(f"mistake {mistake.name}: {detail}")
    if problems:
        print("\nThe course is NOT sound:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nThe course is sound.")
    return 0
