"""Known wrong submissions, materialized from the solutions by exact text edits."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..model.course import CourseError, Unit


class CatalogueError(Exception):
    pass


@dataclass(frozen=True)
class Mistake:
    name: str
    about: str
    edits: list[dict[str, str]]
    concerns: list[str]
    hint: str = ""  # the diagnosis the feedback must give (an id of the course's hints catalogue)
    also: tuple[str, ...] = ()  # other diagnoses that are true of it as well
    public: bool = True  # the public checks must catch it too (lose points, give the hint)

    def concerns_test(self, file: str, test_name: str) -> bool:
        """Whether the test ``file::test_name`` should fail because of this mistake."""
        return any(f"{file}::{test_name}".startswith(prefix) for prefix in self.concerns)


def load_mistakes(unit: Unit) -> list[Mistake]:
    """The unit's known mistakes (its ``mistakes.yaml``; none when it has no catalogue)."""
    path = unit.content("mistakes")
    if path is None:
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise CourseError([f"{path}: the mistakes catalogue cannot be read ({error})"]) from None
    if not isinstance(data, dict):
        raise CourseError([f"{path}: the mistakes catalogue must map each mistake's name to its entry"])
    return [
        Mistake(name, entry["about"], list(entry["edits"]), list(entry["concerns"]), str(entry.get("hint", "")),
                tuple(entry.get("also", ())), bool(entry.get("public", True)))
        for name, entry in data.items()
    ]


def materialize(unit: Unit, mistake: Mistake, target: Path) -> Path:
    """Write the solutions with ``mistake``'s edits into ``target`` (a new folder)."""
    shutil.copytree(unit.source_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
    for edit in mistake.edits:
        path = target / f"{edit['module']}.py"
        text = path.read_text(encoding="utf-8")
        if text.count(edit["old"]) != 1:
            raise CatalogueError(f"mistake {mistake.name}: the text to replace is not found exactly once in "
                                 f"{edit['module']}.py: {edit['old']!r}")
        path.write_text(text.replace(edit["old"], edit["new"]), encoding="utf-8")
    return target
