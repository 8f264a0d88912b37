"""Known wrong submissions, materialized from the solutions by exact text edits.

A unit's ``mistakes.yaml`` maps each mistake's name to its entry, read against a strict schema: every problem is
one line with the file, its line and the key (``mistakes.yaml:12: last_of_tied_maxima.hints: unknown key``), and
an edit whose text is no longer in the solutions is one such line too (``stale_edits``), so that one stale entry
never hides the others.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from ..model.course import CourseError, Unit
from ..model.located import Lines, parse, validated


class CatalogueError(CourseError):
    """A mistake cannot be materialized as it stands (one line says why)."""

    def __init__(self, problem: str) -> None:
        super().__init__([problem])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Edit(_Strict):
    """One exact replacement in a module of the solutions: ``old`` must be there exactly once."""

    module: str
    old: str = Field(min_length=1)
    new: str


class Entry(_Strict):
    about: str = Field(min_length=1)  # what the mistake is, for people
    hint: str = Field(pattern=r"^[A-Za-z0-9_]+$")  # the diagnosis the feedback must give (a hint id)
    also: list[str] = Field(default_factory=list)  # other diagnoses that are true of it as well
    # the public checks must catch it too (lose points, give the hint), or this says why they cannot
    public: Any = True
    edits: list[Edit] = Field(min_length=1)
    concerns: list[str] = Field(min_length=1)  # prefixes of the hidden tests it may fail (file::test)

    @field_validator("public")
    @classmethod
    def _a_reason(cls, value: Any) -> Any:
        if value is True or (isinstance(value, str) and len(value.strip()) >= 10):
            return value
        raise ValueError("should be true, or a reason of 10 characters or more")


class Catalogue(RootModel[dict[str, Entry]]):
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


def _read(unit: Unit) -> tuple[list[Mistake], Lines] | None:
    path = unit.content("mistakes")
    if path is None:
        return None
    name = unit.shown(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CourseError([f"{name}: the mistakes catalogue cannot be read ({error})"]) from None
    data, lines, problems = parse(text, name)
    catalogue = validated(data if data is not None else {}, Catalogue, lines, problems)
    wrong = [lines.at((mistake, "edits", index, "module"), f"{edit.module!r} is not a module of unit {unit.id} "
                      f"({', '.join(unit.modules) or 'none'})")
             for mistake, entry in catalogue.root.items() for index, edit in enumerate(entry.edits)
             if edit.module not in unit.modules]
    if wrong:
        raise CourseError(wrong)
    mistakes = [Mistake(name, entry.about, [edit.model_dump() for edit in entry.edits], list(entry.concerns),
                        entry.hint, tuple(entry.also), entry.public is True) for name, entry in catalogue.root.items()]
    return mistakes, lines


def load_mistakes(unit: Unit) -> list[Mistake]:
    """The unit's known mistakes (its ``mistakes.yaml``; none when it has no catalogue); ``CourseError`` with one
    located line per problem of the catalogue."""
    found = _read(unit)
    return found[0] if found is not None else []


def stale_edits(unit: Unit) -> dict[str, str]:
    """The mistakes whose edits no longer apply to the solutions, each with its problem line (located)."""
    found = _read(unit)
    if found is None:
        return {}
    mistakes, lines = found
    stale = {}
    for mistake in mistakes:
        for index, edit in enumerate(mistake.edits):
            path = unit.source_dir / f"{edit['module']}.py"
            count = path.read_text(encoding="utf-8").count(edit["old"]) if path.is_file() else 0
            if count != 1:
                where = "is not in" if count == 0 else f"is {count} times in"
                stale[mistake.name] = lines.at((mistake.name, "edits", index, "old"),
                                               f"the text to replace {where} {unit.shown(path)}: it must be there "
                                               "exactly once (change the edit with the solution)")
                break
    return stale


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
