"""The light protocol's differential test, as a script for any environment the grader is installed in: every
reference submission of every unit of the course (the solutions, the stubs, each correct style and each known
mistake), graded by the hidden suites through the grader's light per-test protocol and through pytest's own, must
get the same outcomes. Prints JSON: the pytest version, how many runs were compared, and each
difference. ``tests/course/test_interpreters.py`` runs it at both ends of the pytest range pyproject.toml allows.

    python tests/interpreters/protocol.py > differences.json
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from grader.authoring.mistakes import load_mistakes, materialize  # noqa: E402
from grader.authoring.validate import with_answers  # noqa: E402
from grader.model.course import load_course  # noqa: E402
from grader.running import pipeline  # noqa: E402
from grader.running.course_code import load_code  # noqa: E402
from grader.running.pipeline import run_suites  # noqa: E402

SEED = 20261203
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def outcomes(run: Any) -> dict[str, Any]:
    """What each test's outcome says; numbers in messages left out (a known mistake draws its own random
    weights, different in every run, whatever the protocol)."""
    return {name: [o.passed, o.status, NUMBER.sub("#", o.message),
                   [o.finding.text.code, o.finding.hidden.code, o.finding.mistake] if o.finding else None]
            for name, o in sorted(run.outcomes.items())}


def both_ways(unit: Any, path: Path, kind: str, code: Any) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The outcomes through the light protocol, through pytest's own, and how many tests went light."""
    went = []
    real = pipeline.Collector._may_go_light

    def counting(self: Any, item: Any) -> bool:
        light = real(self, item)
        went.append(light)
        return light

    pipeline.Collector._may_go_light = counting  # type: ignore[method-assign]
    try:
        light = outcomes(run_suites(unit, path, kind, seed=SEED, code=code))  # type: ignore[arg-type]
    finally:
        pipeline.Collector._may_go_light = real  # type: ignore[method-assign]
    pipeline.Collector._may_go_light = lambda self, item: False  # type: ignore[method-assign]
    try:
        full = outcomes(run_suites(unit, path, kind, seed=SEED, code=code))  # type: ignore[arg-type]
    finally:
        pipeline.Collector._may_go_light = real  # type: ignore[method-assign]
    return light, full, sum(went)


def main() -> int:
    course = load_course(ROOT)
    compared, light_tests, differences = 0, 0, []
    with tempfile.TemporaryDirectory(prefix="protocol-") as temp:
        for unit in course.units:
            code = load_code(unit)
            styles = unit.content("styles")
            submissions = {"solutions": unit.source_dir, "stubs": unit.stubs_dir}
            for style in sorted(p for p in styles.iterdir() if p.is_dir()) if styles else []:
                submissions[f"style {style.name}"] = with_answers(unit, style, Path(temp) / unit.id / "styles")
            for mistake in load_mistakes(unit):
                submissions[f"mistake {mistake.name}"] = materialize(unit, mistake, Path(temp) / unit.id / mistake.name)
            for name, path in submissions.items():
                for kind in ("hidden",):  # the public suites are proved in the main suite (test_light_protocol)
                    light, full, went = both_ways(unit, path, kind, code)
                    compared += 1
                    light_tests += went
                    differences += [f"{unit.id}, {name}, {kind}: {test}: {light.get(test)} light, {full.get(test)} "
                                    "pytest's" for test in sorted(set(light) | set(full))
                                    if light.get(test) != full.get(test)]
    print(json.dumps({"pytest": pytest.__version__, "compared": compared, "light_tests": light_tests,
                      "differences": differences}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
