"""What grading says of every reference submission of the course, as JSON, on the interpreter that runs this.

For each unit: the solutions, the stubs, every correct style and every known mistake, graded by the public
checks and by the hidden suites in the default sandbox, with one seed. Each verdict keeps what must not
depend on the interpreter: the scores, each test's result, the kind of message it gave (its code), the mistake
the grader recognized, and the mistakes the feedback names. And what each unit's demo prints, on the solutions
and on the stubs. ``tests/course/test_interpreters.py`` runs this on every supported Python and compares.

    python tests/interpreters/verdicts.py [--course DIR] [--unit ID ...] [--kind public|hidden]
                                          [--sandbox MODE] > verdicts.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from grader.authoring.mistakes import load_mistakes, materialize  # noqa: E402
from grader.authoring.validate import with_answers  # noqa: E402
from grader.model.course import Unit, load_course  # noqa: E402
from grader.rendering.feedback import diagnosed  # noqa: E402
from grader.rendering.scoring import score_run  # noqa: E402
from grader.running.course_code import load_code  # noqa: E402
from grader.running.pipeline import run_suites  # noqa: E402

SEED = 20261126


def verdict(unit: Unit, path: Path, kind: str, code: Any, sandbox: str = "auto") -> dict[str, Any]:
    run = run_suites(unit, path, kind, seed=SEED, code=code, sandbox_mode=sandbox)  # type: ignore[arg-type]
    score = score_run(unit, run)
    tests = {}
    for task in score.tasks:
        for scored in task.tests:
            outcome, finding = scored.outcome, scored.outcome.finding
            tests[f"{task.task.id}::{outcome.name}"] = [
                outcome.passed, outcome.status, finding.text.code if finding else None,
                finding.mistake if finding else None]
    return {"score": round(score.score, 6), "tasks": {t.task.id: round(t.score, 6) for t in score.tasks},
            "tests": tests, "diagnosed": diagnosed(score), "intake": sorted(run.intake_problems),
            "problems": {t.task.id: t.problem for t in score.tasks if t.problem}}


def unit_verdicts(unit: Unit, kinds: tuple[str, ...] = ("public", "hidden"), sandbox: str = "auto") -> dict[str, Any]:
    code = load_code(unit)
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="verdicts-") as temp:
        folder = Path(temp)
        submissions = {"solutions": unit.source_dir, "stubs": unit.stubs_dir}
        styles = unit.content("styles")
        for style in sorted(p for p in styles.iterdir() if p.is_dir()) if styles is not None else []:
            submissions[f"style {style.name}"] = with_answers(unit, style, folder)
        for mistake in load_mistakes(unit):
            submissions[f"mistake {mistake.name}"] = materialize(unit, mistake, folder / f"mistake-{mistake.name}")
        for name, path in submissions.items():
            found[name] = {kind: verdict(unit, path, kind, code, sandbox) for kind in kinds}
    return found


def demos(unit: Unit) -> dict[str, Any]:
    """What the unit's demo prints run on the solutions and on the stubs (its exit status and its output)."""
    found: dict[str, Any] = {}
    for package in (unit.course.model.source, unit.course.model.stubs) if unit.model.demo else ():
        done = subprocess.run([sys.executable, "-m", f"{package}.{unit.model.demo}"], cwd=unit.root,
                              capture_output=True, text=True, timeout=300)
        found[package] = [done.returncode, done.stdout, done.stderr]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", default=str(ROOT))
    parser.add_argument("--unit", action="append", help="only these units (default: all)")
    parser.add_argument("--kind", choices=["public", "hidden"], action="append", help="only these suites")
    parser.add_argument("--sandbox", default="auto", help="the worker to grade in (grader --sandbox)")
    args = parser.parse_args(argv)
    course = load_course(Path(args.course))
    units = [course.unit(u) for u in args.unit] if args.unit else list(course.units)
    result = {"python": ".".join(map(str, sys.version_info[:2])),
              "units": {unit.id: unit_verdicts(unit, tuple(args.kind or ("public", "hidden")), args.sandbox)
                        for unit in units},
              "demos": {unit.id: demos(unit) for unit in units}}
    json.dump(result, sys.stdout, sort_keys=True, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
