"""Reviews of open answers: what a person decided, kept beside a graded class (``OUT/reviews/``).

A review belongs to a question and to an answer's *content* (its digest, see
``grader.model.questions.open_answer_digest``), not to a student: students who
gave the same answer share it, a regrade of an unchanged answer keeps it, and a
changed answer has none until someone looks again. Each question has a file of
its own (``OUT/reviews/<question id>.json``), so two people who split a class's
questions never write the same file; each save replaces the file atomically,
under a lock, after reading it again (two tabs on one question keep each
other's reviews).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import open_below, read_below, write_below

FOLDER = "reviews"
FORMAT = 1
MAX_COMMENT = 4000  # characters of a reviewer's comment


@dataclass(frozen=True)
class Review:
    items: tuple[str, ...]  # the rubric items given
    comment: str = ""
    by: str = ""  # who reviewed (as they named themselves)
    at: str = ""  # when (ISO 8601, UTC)

    def as_data(self) -> dict[str, Any]:
        return {"items": list(self.items), "comment": self.comment, "by": self.by, "at": self.at}


Reviews = dict[str, dict[str, Review]]  # question id -> answer digest -> its review


def _file(out: Path, question: str) -> tuple[str, str]:
    """The reviews file of ``question`` below ``out``, as its parts."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", question):
        raise ValueError(f"not a question id: {question!r}")
    return FOLDER, f"{question}.json"


def _read(out: Path, parts: tuple[str, str]) -> dict[str, Review]:
    path = out.joinpath(*parts)
    if not path.exists() and not path.is_symlink():
        return {}
    text = read_below(out, parts)
    try:
        if text is None:
            raise ValueError("it is a link, or not UTF-8 text")
        data = json.loads(text)
    except ValueError as error:
        raise ReviewsError(f"{path}: cannot be read ({error}); it is not changed") from None
    found = {}
    for digest, entry in (data.get("reviews") or {}).items() if isinstance(data, dict) else []:
        if isinstance(entry, dict) and isinstance(entry.get("items"), list):
            found[str(digest)] = Review(tuple(str(item) for item in entry["items"]), str(entry.get("comment", "")),
                                        str(entry.get("by", "")), str(entry.get("at", "")))
    return found


class ReviewsError(Exception):
    """A reviews file that cannot be read: said once, and never overwritten."""


def load_reviews(out: Path, questions: list[str]) -> Reviews:
    """Every review of these questions kept in ``out``."""
    return {question: _read(out, _file(out, question)) for question in questions}


@contextlib.contextmanager
def _locked(out: Path, parts: tuple[str, str]) -> Iterator[None]:
    with os.fdopen(open_below(out, (parts[0], parts[1].removesuffix(".json") + ".lock")), "r+b") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: one reviewer per question there
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save_review(out: Path, question: str, digests: list[str], review: Review | None) -> dict[str, Review]:
    """Record ``review`` (None: forget it) for each answer of ``digests`` to ``question``; returns the question's
    reviews as saved."""
    parts = _file(out, question)
    with _locked(out, parts):
        reviews = _read(out, parts)
        for digest in digests:
            if review is None:
                reviews.pop(digest, None)
            else:
                reviews[digest] = review
        data = {"format": FORMAT, "question": question,
                "reviews": {digest: reviews[digest].as_data() for digest in sorted(reviews)}}
        write_below(out, parts, json.dumps(data, indent=1, ensure_ascii=False) + "\n", mode=0o600)
    return reviews
