"""``grader mutants``: which plausible bugs a unit's hidden suites let through.

Every mutant of the unit's solution regions (``grader.authoring.mutation``) is graded by the unit's hidden suites,
as a class on the warm engine of ``grade-all``: the suites collected once, each mutant a submission of its own,
within the unit's budget. A mutant that loses no point *survives*: a bug a student could hand in for full marks.
Either a test is missing (write one that catches it), or the change is no mistake (an equivalent mutant: it
computes the same thing, or the lesson leaves that choice free); the unit's ``survivors.yaml`` lists each of
those with the reason, and ``grader validate`` fails on a survivor it does not list.

``survivors.yaml`` is a list of entries, each ``module``, ``old`` and ``new`` (the mutated lines as the report
prints them, stripped) and ``reason``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from ..model.course import CourseError, Task, Unit
from ..trust.policy import SandboxMode
from .mutation import Mutant, mutants, stripped_lines

SURVIVORS = "survivors.yaml"
CONTROL = "solutions"  # graded beside the mutants: what a mutant is judged against must itself get full marks


class _Accepted(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    module: str
    old: str = Field(min_length=1)
    new: str
    reason: str = Field(min_length=1)


class _Survivors(RootModel[list[_Accepted]]):
    pass


@dataclass(frozen=True)
class Accepted:
    """An equivalent mutant the unit declares, with why it is no mistake."""

    module: str
    old: str
    new: str
    reason: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.module, self.old, self.new


def load_accepted(unit: Unit) -> list[Accepted]:
    """The unit's declared equivalent mutants (none when it has no ``survivors.yaml``)."""
    path = unit.content("survivors")
    if path is None:
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = _Survivors.model_validate(data if data is not None else []).root
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CourseError([f"{unit.shown(path)}: cannot be read: {error}"]) from None
    except ValidationError as error:
        where = "; ".join(f"entry {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5])
        raise CourseError([f"{unit.shown(path)}: each entry is module, old, new and reason: {where}"]) from None
    return [Accepted(e.module.strip(), stripped_lines(e.old), stripped_lines(e.new), e.reason.strip()) for e in entries]


def unit_mutants(unit: Unit) -> list[Mutant]:
    """Every mutant of the unit's modules, module by module in the unit's order."""
    found: list[Mutant] = []
    for module in unit.modules:
        path = unit.source_dir / f"{module}.py"
        found += mutants(path.read_text(encoding="utf-8"), module, unit.shown(path))
    return found


def task_of(unit: Unit, mutant: Mutant) -> Task | None:
    """The task a mutant's line belongs to: of the tasks of its module, the one that covers its function (the
    only one, when it is alone)."""
    tasks = [task for task in unit.tasks if task.module == mutant.module]
    covering = [task for task in tasks if mutant.function in task.covers]
    chosen = covering or tasks
    return chosen[0] if chosen else None


@dataclass
class Verdict:
    """What the hidden suites made of one mutant: ``failed`` names the tasks that lost points (empty: it survived);
    ``why`` is set when it could not be graded (counted as caught: it would not have scored either)."""

    mutant: Mutant
    task: Task | None
    failed: list[str] = field(default_factory=list)
    why: str = ""

    @property
    def survived(self) -> bool:
        return not self.failed and not self.why


@dataclass
class Analysis:
    unit: Unit
    verdicts: list[Verdict]
    accepted: list[Accepted]
    seconds: float

    @property
    def survivors(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.survived]

    def listed(self, verdict: Verdict) -> Accepted | None:
        return next((a for a in self.accepted if a.key == verdict.mutant.key), None)

    @property
    def unlisted(self) -> list[Verdict]:
        return [v for v in self.survivors if self.listed(v) is None]

    @property
    def stale(self) -> list[tuple[Accepted, str]]:
        """Declared survivors that are not: no mutant has those lines any more, or the suites catch it now."""
        made = {v.mutant.key: v for v in self.verdicts}
        stale = []
        for accepted in self.accepted:
            verdict = made.get(accepted.key)
            if verdict is None:
                stale.append((accepted, "no mutant changes those lines so any more"))
            elif not verdict.survived:
                stale.append((accepted, "the hidden suites catch it now"))
        return stale

    def problems(self) -> list[str]:
        """Why the unit's suites are not as strong as declared: each unlisted survivor, each stale entry."""
        path = self.unit.content("survivors") or self.unit.folder / SURVIVORS
        shown = self.unit.shown(path)
        problems = [f"a mutant survives the hidden suites: {where(self.unit, v)}: {_one_line(v.mutant.old)!r} -> "
                    f"{_one_line(v.mutant.new)!r} (catch it with a test, or list it in {shown} with why it is no "
                    "mistake)" for v in self.unlisted]
        problems += [f"{shown} lists {accepted.module}: {_one_line(accepted.old)!r} -> {_one_line(accepted.new)!r}, "
                     f"but {why}: remove it" for accepted, why in self.stale]
        return problems


def where(unit: Unit, verdict: Verdict) -> str:
    path = unit.source_dir / f"{verdict.mutant.module}.py"
    task = verdict.task.id if verdict.task is not None else "no task"
    return f"{unit.shown(path)}:{verdict.mutant.line} ({task}, {verdict.mutant.function})"


def _one_line(text: str) -> str:
    return " / ".join(text.splitlines())


def analyse(unit: Unit, seed: int, sandbox_mode: SandboxMode = "auto", jobs: int | None = None,
            progress: TextIO | None = None, only: Callable[[Mutant], bool] | None = None) -> Analysis:
    """Grade every mutant of the unit (or those ``only`` keeps) with its hidden suites, ``seed`` forced."""
    from ..classwork.batch import grade_all

    accepted = load_accepted(unit)
    found = [m for m in unit_mutants(unit) if only is None or only(m)]
    started = time.monotonic()
    verdicts = [Verdict(mutant, task_of(unit, mutant)) for mutant in found]
    with tempfile.TemporaryDirectory(prefix="grader-mutants-") as folder:
        klass, out = Path(folder) / "class", Path(folder) / "out"
        klass.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(unit.source_dir, klass / CONTROL, ignore=ignore)
        names = [f"mutant{index:04d}" for index in range(len(found))]
        for name, mutant in zip(names, found):
            shutil.copytree(unit.source_dir, klass / name, ignore=ignore)
            (klass / name / f"{mutant.module}.py").write_text(mutant.source, encoding="utf-8")
        result = grade_all(unit, klass, out, seed=seed, jobs=jobs, force=True, sandbox_mode=sandbox_mode,
                           progress_stream=progress)
        failed, why = _failed_tasks(unit, out / CONTROL / "results.json")
        if failed or why or CONTROL in result.failed:
            raise CourseError([f"the solutions, graded as one of the mutants' class, lose points in "
                               f"{', '.join(failed) or result.failed.get(CONTROL) or why}: no mutant can be judged"])
        for name, verdict in zip(names, verdicts):
            if name in result.failed:
                verdict.why = result.failed[name]
            else:
                verdict.failed, verdict.why = _failed_tasks(unit, out / name / "results.json")
    return Analysis(unit, verdicts, accepted, time.monotonic() - started)


def _failed_tasks(unit: Unit, report: Path) -> tuple[list[str], str]:
    """The tasks of code a report gives less than full marks (a mutant changes no answer: the questions, whose
    numbers are each student's own, are not looked at), or why there is no report to read."""
    try:
        data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        tasks: dict[str, Any] = data["extra_data"]["tasks"]
        coded = [task.id for task in unit.tasks if task.module is not None]
        return [task for task in coded if tasks[task]["score"] < tasks[task]["max_score"]], ""
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [], f"no report to read ({type(error).__name__})"


def _score(verdicts: list[Verdict]) -> str:
    caught = sum(not v.survived for v in verdicts)
    share = f"{100 * caught / len(verdicts):.1f}%" if verdicts else "-"
    return f"{caught}/{len(verdicts)} caught ({share})"


def report(analysis: Analysis, say: Callable[[str], Any] = print) -> None:
    """Print the mutation score per task and for the unit, then every survivor, listed or not."""
    unit = analysis.unit
    say(f"  mutants: {len(analysis.verdicts)}, graded by the hidden suites in {analysis.seconds:.0f} s")
    for task in unit.tasks:
        mine = [v for v in analysis.verdicts if v.task is task]
        if mine:
            say(f"    {task.id}: {_score(mine)}")
    say(f"    unit {unit.id}: {_score(analysis.verdicts)}")
    for verdict in analysis.survivors:
        accepted = analysis.listed(verdict)
        mark = "listed " if accepted else "SURVIVES"
        say(f"  {mark} {where(unit, verdict)} {verdict.mutant.kind}")
        for line in verdict.mutant.old.splitlines():
            say(f"      - {line}")
        for line in verdict.mutant.new.splitlines():
            say(f"      + {line}")
        if accepted:
            say(f"      ({accepted.reason})")


def run(units: list[Unit], seed: int, sandbox_mode: SandboxMode, jobs: int | None = None) -> int:
    """``grader mutants``: each unit's mutation score and survivors; exit status 1 when a survivor is not listed
    or a listed one is stale, else 0."""
    problems: list[str] = []
    for unit in units:
        print(f"Mutants of unit {unit.id}: {unit.name()} (seed {seed})")
        if not unit.modules:
            print("  no modules: nothing to mutate")
            continue
        try:
            analysis = analyse(unit, seed, sandbox_mode, jobs, sys.stderr if sys.stderr.isatty() else None)
        except CourseError as error:
            problems += [f"{unit.id}: {problem}" for problem in error.problems]
            continue
        report(analysis)
        problems += [f"{unit.id}: {problem}" for problem in analysis.problems()]
    if problems:
        print("\nThe hidden suites let these through:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nEvery mutant is caught or listed as no mistake.")
    return 0
