"""The solutions' answers to every unit's questions: one file, ``answers.yaml`` beside the solutions' modules,
which each unit rewrites its own part of (``grader questions --unit ID --key --write``), keeping the others'."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..kit.questions import answer_key, questions_of
from ..model.course import CourseError, Unit
from ..model.files import write_atomically
from ..running.answers import ANSWERS_FILE

HEADER = ("# The solutions' answers: each unit's questions, in the default variant (question ids are one namespace).\n"
          "# `grader questions --unit ID --key --write` rewrites one unit's part and keeps the others'.\n")


def write_solutions_key(unit: Unit) -> tuple[Path, int]:
    """Rewrite ``unit``'s answers in the solutions' ``answers.yaml`` (the default variant's key), in place where
    they were and after the others where they are new; every other entry is kept. Returns the file and how many
    answers of the unit it holds."""
    path = unit.source_dir / ANSWERS_FILE
    existing: Any = {}
    if path.exists():
        try:
            existing = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise CourseError([f"{unit.shown(path)}: cannot be read ({error}); fix it or remove it first"]) from None
        if not isinstance(existing, dict):
            raise CourseError([f"{unit.shown(path)}: must map each question's id to its answer"])
    ours = {question.id for question in questions_of(unit)}
    key = answer_key(unit, None)
    merged = {name: key.pop(name) if name in ours else value for name, value in existing.items()
              if name not in ours or name in key}
    merged.update(key)
    write_atomically(path, HEADER + yaml.safe_dump(merged, allow_unicode=True, sort_keys=False))
    return path, len(ours)
