"""A unit's hints catalogue: for each known mistake, a title and a hint, in every language."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .located import load_yaml
from .messages import LANGUAGES, Language


@dataclass(frozen=True)
class Hint:
    id: str
    title: dict[Language, str]
    hint: dict[Language, str]


class HintsError(ValueError):
    pass


def load_hints(path: Path) -> dict[str, Hint]:
    """The course's hints catalogue: ``id: {title: {en, zh}, hint: {en, zh}}``."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise HintsError(f"{path}: cannot be read ({error})") from None
    if not isinstance(data, dict):
        raise HintsError(f"{path}: expected a mapping of hint ids")
    hints = {}
    for ident, entry in data.items():
        try:
            hints[ident] = Hint(ident, {lang: str(entry["title"][lang]) for lang in LANGUAGES},
                                {lang: str(entry["hint"][lang]) for lang in LANGUAGES})
        except (KeyError, TypeError):
            raise HintsError(f"{path}: {ident} needs title and hint, each in {' and '.join(LANGUAGES)}") from None
    return hints
